"""The desk's hand-kept configuration is validated, and errors name the file, entry and field."""

from pathlib import Path

import pytest

from entitylist import config
from entitylist.data import publishers
from entitylist.errors import ConfigError


def test_the_companies_file_holds_the_eight_of_the_rule():
    companies = config.companies()
    assert [c.slug for c in companies] == [
        "hikvision", "dahua", "iflytek", "megvii", "sensetime", "yitu", "meiya-pico", "yixin",
    ]  # fmt: skip
    assert sorted(c.entry_no for c in companies) == list(range(21, 29))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("entry_no: 21", "entry_no: 29"),
            r"companies\[2\] \(dahua\), field entry_no: .*less than or equal to 28",
        ),
        (("slug: yitu", "slug: dahua"), r"slug dahua is given to more than one company"),
        (
            ("match: Dahua", "match: Dahua("),
            r"companies\[2\] \(dahua\), field match: .*regular expression",
        ),
        (("  - slug: dahua", "  - slug: Dahua Technology"), r"field slug"),
    ],
    ids=["entry number", "duplicate slug", "bad pattern", "bad slug"],
)
def test_a_bad_company_entry_is_named(tmp_path: Path, edit, message):
    path = tmp_path / "companies.yaml"
    path.write_text(
        config.COMPANIES.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=rf"companies\.yaml: .*{message}"):
        config.companies(path)


def test_broken_yaml_names_the_line(tmp_path: Path):
    path = tmp_path / "companies.yaml"
    path.write_text("companies:\n  - slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"companies\.yaml \(line \d+\): not valid YAML"):
        config.companies(path)


def test_a_host_classified_twice_is_refused(tmp_path: Path):
    path = tmp_path / "publishers.yaml"
    text = config.PUBLISHERS.read_text(encoding="utf-8").replace(
        "originals:\n", "originals:\n  federalregister.gov: FR again\n", 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="federalregister.gov is listed twice"):
        config.publishers(path)


def test_a_copy_names_its_original_and_originals_come_first():
    reuters = publishers.publisher("https://ndtvprofit.com/business/x")
    assert (reuters.name, reuters.note) == ("Reuters, via NDTV Profit", None)
    rule = publishers.publisher("https://docslib.org/doc/243735/x")
    assert (rule.name, rule.kind) == ("Federal Register, via Docslib", "document copy")
    ordered = publishers.primary_first(
        ["https://www.mondaq.com/a", "https://docslib.org/b", "https://www.federalregister.gov/c"]
    )
    assert ordered == [
        "https://www.federalregister.gov/c",
        "https://docslib.org/b",
        "https://www.mondaq.com/a",
    ]


def test_every_source_host_in_the_data_has_a_readable_publisher(tables):
    urls = {u for t in tables.values() if "source_url" in t for u in t["source_url"].dropna()}
    for url in urls:
        assert publishers.publisher(url).name, url


def test_schemas_read_the_company_slugs_when_they_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables
):
    # The finding: schemas read companies.yaml at import, and a warm kernel imported it
    # before the reporter renamed a slug: a spurious schema error until the package changed.
    from entitylist.data import schemas
    from entitylist.errors import SchemaError

    edited = tmp_path / "companies.yaml"
    edited.write_text(
        config.COMPANIES.read_text(encoding="utf-8").replace("slug: dahua", "slug: dahua-tech"),
        encoding="utf-8",
    )
    financials = tables["financials"]
    renamed = financials.assign(company=financials["company"].replace("dahua", "dahua-tech"))
    schemas.validate("financials", financials, "before")
    monkeypatch.setattr(config, "COMPANIES", edited)
    schemas.validate("financials", renamed, "after")
    with pytest.raises(SchemaError, match=r"column 'company': 'dahua' fails isin"):
        schemas.validate("financials", financials, "after")
    assert (
        "dahua-tech"
        in schemas.datapackage({"financials": renamed})["resources"][0]["schema"]["fields"][0][
            "constraints"
        ]["enum"]
    )


def test_preview_renews_its_kernels_when_a_hand_kept_file_changes():
    from entitylist import paths
    from entitylist.engine import pipeline, preview

    for name in pipeline.HAND_KEPT:
        assert preview.renews_kernels([(None, str(paths.ROOT / name))])
    assert preview.renews_kernels([(None, str(pipeline.PACKAGE_DIR / "charts.py"))])
    assert not preview.renews_kernels([(None, str(paths.NOTEBOOKS / "40-story.ipynb"))])
