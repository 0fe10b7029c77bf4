"""Graded sources: every host the data cites is graded in publishers.yaml, a copy is credited
to its original, and what a lawyer would strike never carries a row (issue 15, item 5)."""

import csv
from pathlib import Path

import pytest

from conftest import current_file, edit_cell
from entitylist import config
from entitylist.data import cleaning, manifest, publishers, sources
from entitylist.data.sources import Snapshot
from entitylist.errors import ConfigError, RawDataError


def raw_urls() -> dict[str, tuple[str, int]]:
    """Every URL the current raw pack files cite, read with the csv module, with where."""
    found = {}
    for name, table in sources.RAW_TABLES.items():
        if not table.csv:
            continue
        with manifest.current(name).open(encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                for cell in row.values():
                    for part in (cell or "").split(";"):
                        if part.strip().startswith("http"):
                            found[part.strip()] = (name, number)
    return found


def test_every_host_the_pack_cites_is_graded():
    urls = raw_urls()
    assert len(urls) > 200
    ungraded = sorted(
        f"{where}: {publishers.host(url)}"
        for url, where in urls.items()
        if publishers.publisher(url).kind == "ungraded"
    )
    assert ungraded == []


@pytest.mark.parametrize(
    ("url", "kind", "name"),
    [
        # The new pack's hosts (shared/data README, "Changes of 2026-12-03").
        ("https://www.scmp.com/tech/x", "original", "South China Morning Post"),
        ("https://uhrp.org/statement/x", "primary", "Uyghur Human Rights Project"),
        ("https://www.cecc.gov/media-center/x", "primary", None),
        ("https://politicalemails.org/messages/41184/html_body", "document copy", None),
        ("http://www.zptrmf.live/industrial-electronics/454571", "copy", None),
        ("https://www.thenews.com.pk/print/538585-x", "copy", "AFP, via The News"),
        ("https://newsfortomorrow.com/index.php/x", "copy", None),
        ("https://www.businessfast.co.uk/x", "copy", "Reuters, via Business Fast"),
        ("https://docslib.org/doc/243735/x", "document copy", "Federal Register, via Docslib"),
        ("http://234365w.com/english/2019-10/10/c_138460697.htm", "state media", None),
        ("http://www.globaltimes.cn/content/1166440.shtml", "state media", "Global Times"),
        ("https://diagram-homepage-test-a.netlify.app/x", "unpublishable", None),
        (
            "http://wordp-appli-oeiffwjv3h0b-1837223528.ap-south-1.elb.amazonaws.com/x",
            "unpublishable",
            None,
        ),
        ("https://w.owiki.org/wiki/x", "unpublishable", None),
        ("https://www.theepochtimes.com/x", "unpublishable", "The Epoch Times"),
        ("https://sputniknews.com/x", "unpublishable", "Sputnik"),
        # A host that only ends like a graded domain is not graded by it.
        ("https://notnetlify.app/x", "ungraded", "notnetlify.app"),
    ],
)
def test_each_host_has_its_grade(url: str, kind: str, name: str | None):
    found = publishers.publisher(url)
    assert found.kind == kind
    if name is not None:
        assert found.name == name


def test_a_copy_is_credited_to_its_original_and_originals_come_first():
    for url in ("https://globalnews.ca/news/6006916/x", "https://o.canada.com/pmn/x"):
        found = publishers.publisher(url)
        assert found.name.startswith("Reuters, via ")
        assert found.original == "Reuters"
        assert found.note is None
    assert publishers.credit(["https://globalnews.ca/a", "https://www.reuters.com/b"]) == [
        "Reuters"
    ]
    ordered = publishers.primary_first(
        ["https://globalnews.ca/a", "https://docslib.org/b", "https://www.federalregister.gov/c"]
    )
    assert ordered == [
        "https://www.federalregister.gov/c",
        "https://docslib.org/b",
        "https://globalnews.ca/a",
    ]


def test_state_media_carry_only_the_views_they_speak_for():
    outlet = publishers.publisher("http://www.globaltimes.cn/content/1166224.shtml")
    assert outlet.may_carry("Global Times (editorial)") is None
    assert outlet.may_carry("PRC Foreign Ministry (Geng Shuang)") is None
    assert "state media" in outlet.may_carry("Hikvision; Megvii")
    assert "state media" in outlet.may_carry(None)


def test_an_ungraded_host_stops_cleaning_naming_file_row_host_and_registry(raw_copy: Path):
    edit_cell(current_file(raw_copy, sources.EVENTS), 41, "source_url", "http://mirror.example/x")
    with pytest.raises(
        RawDataError,
        match=r"events\.csv: row 41, column 'source_url': host 'mirror\.example' is not graded; "
        r"add it to notebooks/publishers\.yaml",
    ):
        cleaning.clean_all(Snapshot(raw_copy))


def test_an_unpublishable_source_is_dropped_and_the_row_keeps_its_others(tables):
    rules = tables["rules"].set_index("raw_row")
    # Row 33 cites a CloudFront hostname, a staging site and the BIS; row 56 a partisan outlet
    # beside the Federal Register.
    assert rules.loc[33, "source_urls"].startswith("https://www.bis.doc.gov/")
    assert "cloudfront" not in rules.loc[33, "source_urls"]
    assert "stage." not in rules.loc[33, "source_urls"]
    assert "americanfaith" not in rules.loc[56, "source_urls"]
    assert "federalregister.gov" in rules.loc[56, "source_urls"]


def test_a_row_no_source_may_carry_is_withheld_and_says_why(tables, raw_copy: Path):
    # The real row 21: Global Times, state media, reporting Hikvision's and Megvii's words.
    events, withheld = tables["events"], tables["withheld"]
    assert 21 not in set(events["raw_row"])
    held = withheld[(withheld["table"] == "events") & (withheld["raw_row"] == 21)]
    assert len(held) == 1
    assert "Global Times is state media" in held["reason"].iloc[0]
    # Global Times' own editorial, and the foreign ministry through China Daily, are kept.
    assert {42, 33, 30} <= set(events["raw_row"])
    # A row whose only source is struck is withheld too, whatever table it is in.
    edit_cell(current_file(raw_copy, sources.SUPPLIERS), 20, "source_url", "https://w.owiki.org/x")
    snapshot = Snapshot(raw_copy)
    assert 20 not in set(cleaning.clean_suppliers(snapshot)["raw_row"])
    held = cleaning.clean_withheld(snapshot)
    held = held[(held["table"] == "suppliers") & (held["raw_row"] == 20)]
    assert "owiki.org is unpublishable" in held["reason"].iloc[0]
    assert "w.owiki.org" not in held["reason"].iloc[0]


def test_a_host_graded_twice_is_refused(tmp_path: Path):
    path = tmp_path / "publishers.yaml"
    text = config.PUBLISHERS.read_text(encoding="utf-8").replace(
        "originals:\n", "originals:\n  theepochtimes.com: The Epoch Times\n", 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="theepochtimes.com is listed twice"):
        config.publishers(path)


def test_a_withheld_row_is_listed_only_from_its_own_day(tables):
    from entitylist import tables as loaded

    def listed(day: str) -> set[int]:
        held = loaded.as_of_filter(tables, day)["withheld"]
        return set(held.loc[held["table"] == "events", "raw_row"])

    # The Global Times row is of Oct. 8, 2019: an as-of view of the day before is silent.
    assert listed("2019-10-07") == set()
    assert listed("2019-10-09") == {21}
