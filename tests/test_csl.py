"""The screening list read three ways, its citations parsed, and facts of the 2026 list pinned.

csl-sample-2019.csv holds 115 real rows of trade.gov's CSV (tests/fixtures/csl/README.md);
the tests lay the same rows out as trade.gov's JSON and as the compact JSON (bench/csl.py)
and require identical tables from all three. The 2026 list is read from the raw snapshot;
its facts are computed here again with plain json and re, not with csl.py.
"""

import collections
import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from bench.csl import as_compact, as_trade_gov_json, clean, synthetic
from entitylist import paths
from entitylist.data import csl, schemas
from entitylist.errors import ParseError

SAMPLE = Path(__file__).parent / "fixtures" / "csl" / "csl-sample-2019.csv"
LIST_2026 = paths.RAW / "csl" / "2026-07-31" / "screening-list-2026-07-31.json"
EL = "Entity List (EL) - Bureau of Industry and Security"


def cleaned(table: pd.DataFrame) -> pd.DataFrame:
    """A csl table with the columns cleaning adds (when it became known, its raw file)."""
    from entitylist.data.cleaning import SCREENING_LIST_DAY

    return table.assign(known_since=SCREENING_LIST_DAY, raw_file="csl/test.json")


def sample_rows() -> list[dict[str, str]]:
    """The sample's rows as Python's csv module reads them."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sample_frame() -> pd.DataFrame:
    """The sample as text, blanks as ''."""
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def shapes() -> dict[str, bytes]:
    """The sample's bytes in each of the three shapes."""
    as_json = as_trade_gov_json(sample_frame())
    return {"csv": SAMPLE.read_bytes(), "json": as_json, "compact": as_compact(as_json)}


@pytest.fixture(scope="module")
def parties() -> pd.DataFrame:
    """The parties of the real CSV sample."""
    return csl.read(SAMPLE.read_bytes(), "csl-sample-2019.csv")


@pytest.fixture(scope="module")
def entries(parties: pd.DataFrame) -> pd.DataFrame:
    """The sample's entity_list table, checked against its schema."""
    return schemas.validate(
        "entity_list", cleaned(csl.entity_list(parties)), "csl-sample-2019.csv"
    )


def entry(table: pd.DataFrame, name: str) -> pd.Series:
    """The one row of a name."""
    found = table[table["name"] == name]
    assert len(found) == 1, f"{name}: {len(found)} rows"
    return found.iloc[0]


# --- parse_citations, on the styles of the real lists -----------------------------------------


def cited(text: str | None) -> list[tuple]:
    """Each citation as (volume, page, note, status, repeat)."""
    return [(c.volume, c.page, c.note, c.status, c.repeat) for c in csl.parse_citations(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80 FR 69852", [(80, 69852, None, "parsed", False)]),
        ("80FR 69852", [(80, 69852, None, "parsed", False)]),
        ("84  FR 21233", [(84, 21233, None, "parsed", False)]),
        ("76 FR 67059 No. 210", [(76, 67059, "No. 210", "parsed", False)]),
        ("76 FR 50407 (8/15/2011)", [(76, 50407, "(8/15/2011)", "parsed", False)]),
        ("82 F.R. 48792 10/20/2017", [(82, 48792, "10/20/2017", "parsed", False)]),
        ("Vol. 83, No. 91, 05/10/2018", [(83, None, "No. 91, 05/10/2018", "partial", False)]),
        ("76 FR No. 197 (10/12/2011)", [(76, None, "No. 197 (10/12/2011)", "partial", False)]),
        (
            "66 FR 24266, 77 FR 58006 (no. 182); 84 FR 40241, 84 FR 40241",
            [
                (66, 24266, None, "parsed", False),
                (77, 58006, "(no. 182)", "parsed", False),
                (84, 40241, None, "parsed", False),
                (84, 40241, None, "parsed", True),
            ],
        ),
        (
            "76 FR no. 242 pg. 78146, 77 FR 58006 (no. 182)",
            [(76, 78146, "no. 242", "parsed", False), (77, 58006, "(no. 182)", "parsed", False)],
        ),
        (
            "85 FR 34501; 88 FR",
            [(85, 34501, None, "parsed", False), (88, None, None, "partial", False)],
        ),
        (
            "81 FR 14953; 84 fr 40241",
            [(81, 14953, None, "parsed", False), (84, 40241, None, "parsed", False)],
        ),
        ("83 FR 44824;", [(83, 44824, None, "parsed", False)]),
        (
            "79 FR 24566; 5/1/14; 83 FR 3580; 1/26/18",
            [(79, 24566, "5/1/14", "parsed", False), (83, 3580, "1/26/18", "parsed", False)],
        ),
        (
            "85 FR 51603, 8/20/20. 85 FR 52901, 8/27/20",
            [(85, 51603, "8/20/20", "parsed", False), (85, 52901, "8/27/20", "parsed", False)],
        ),
        (
            "46 F.R. 46154 9/17/81 and 46 F.R. 19290 3/30/81",
            [(46, 46154, "9/17/81", "parsed", False), (46, 19290, "3/30/81", "parsed", False)],
        ),
        (
            "68 F.R. 38290 6/27/03 72 F.R. 4236 1/30/07",
            [(68, 38290, "6/27/03", "parsed", False), (72, 4236, "1/30/07", "parsed", False)],
        ),
        (
            "73 FR 54508 (9/22/08), 74 FR 36516 (2/24/09",
            [(73, 54508, "(9/22/08)", "parsed", False), (74, 36516, "(2/24/09", "parsed", False)],
        ),
        (
            "76 FR 78146 (12/16/11) 77 FR",
            [(76, 78146, "(12/16/11)", "parsed", False), (77, None, None, "partial", False)],
        ),
        ("notice pending", [(None, None, None, "unparsed", False)]),
        (
            "as amended, 84 FR 54002",
            [(None, None, None, "unparsed", False), (84, 54002, None, "parsed", False)],
        ),
        ("", []),
        ("   ", []),
        (None, []),
    ],
)
def test_parse_citations(text: str | None, expected: list[tuple]) -> None:
    assert cited(text) == expected


def test_citation_year_piece_and_normal_form() -> None:
    first, second = csl.parse_citations("82 F.R. 48792 10/20/2017,  83F.R. 28801 6/21/2018")
    assert (first.year, first.citation, first.piece) == (
        2017,
        "82 FR 48792",
        "82 F.R. 48792 10/20/2017",
    )
    assert (second.year, second.citation, second.piece) == (
        2018,
        "83 FR 28801",
        "83F.R. 28801 6/21/2018",
    )
    assert [c.position for c in csl.parse_citations("notice pending")] == [1]
    (partial,) = csl.parse_citations("Vol. 60, No. 109, 06/07/95")
    assert (partial.year, partial.citation) == (1995, None)


# --- one table whatever the shape -------------------------------------------------------------


def test_shapes_are_told_apart_by_content(shapes: dict[str, bytes]) -> None:
    kinds = {name: csl.detect(csl.decode(data, name), name)[0] for name, data in shapes.items()}
    assert kinds == {"csv": "trade.gov CSV", "json": "trade.gov JSON", "compact": "compact JSON"}
    assert {name: csl.suffix(data, name) for name, data in shapes.items()} == {
        "csv": ".csv",
        "json": ".json",
        "compact": ".json",
    }


@pytest.mark.parametrize("name", ["json", "compact"])
def test_three_shapes_give_identical_tables(shapes: dict[str, bytes], name: str) -> None:
    from_csv = csl.read(shapes["csv"], "csv")
    other = csl.read(shapes[name], name)
    pd.testing.assert_frame_equal(csl.entity_list(other), csl.entity_list(from_csv))
    pd.testing.assert_frame_equal(csl.entity_citations(other), csl.entity_citations(from_csv))
    pd.testing.assert_frame_equal(other, from_csv)


def test_compact_shape_collapses_licence_whitespace_as_the_real_file_does(
    shapes: dict[str, bytes],
) -> None:
    # The CSV writes "EAR.  (See"; the compact file's tables hold it with one space.
    assert "EAR.  (See §744.11" in shapes["csv"].decode("utf-8")
    tables = json.loads(shapes["compact"])["tables"]["licenceRequirements"]
    assert "For all items subject to the EAR. (See §744.11 of the EAR)" in tables
    assert not any("  " in text for text in tables)


# --- the real 2019 CSV sample -----------------------------------------------------------------


def test_sample_parties_and_entries_counted_from_the_file(
    parties: pd.DataFrame, entries: pd.DataFrame
) -> None:
    rows = sample_rows()
    assert len(parties) == len(rows) == 115
    assert len(entries) == sum(row["source"] == EL for row in rows) == 22
    assert entries["entry_id"].tolist() == list(range(1, 23))
    # raw_row is the data row: 32 Group China Ltd. sits on line 7, the header on line 1.
    assert entry(entries, "32 Group China Ltd.")["raw_row"] == 6
    assert rows[5]["name"] == "32 Group China Ltd."


def test_mis_decoded_apostrophe_is_repaired(parties: pd.DataFrame, entries: pd.DataFrame) -> None:
    raw_name = "Gui\x92an New District Huawei Investment Co., Ltd., Guiyang, Guizhou"
    assert raw_name in {row["name"] for row in sample_rows()}
    guian = entry(
        entries, "Gui\u2019an New District Huawei Investment Co., Ltd., Guiyang, Guizhou"
    )
    assert guian["repaired"] == 1
    assert entries["repaired"].sum() == 1
    assert not parties["name"].str.contains("[\x80-\x9f]").any()


def test_names_are_stripped_and_blanks_are_missing(parties: pd.DataFrame) -> None:
    assert " ADRIAN MANUEL HERNANDEZ" in {row["name"] for row in sample_rows()}
    assert "ADRIAN MANUEL HERNANDEZ" in set(parties["name"])
    # '""' in the CSV is a blank, and blank is missing, never the empty string.
    assert not parties.isin([""]).any().any()
    assert pd.isna(entry(parties, "200G PSA HOLDINGS LLC")["aliases"])


def test_countries_come_from_the_ends_of_the_address_items(entries: pd.DataFrame) -> None:
    # Read off the sample's addresses field by eye.
    expected = {
        "32 Group China Ltd.": ("HK", False, True),
        "54th Research Institute of China": ("CN", True, False),
        "Gulf Gate Sea Cargo LLC": ("AE; AF", False, False),
        "A.C. International": ("CN", True, False),
        "Gulf Gate Spedition GmbH": ("AT", False, False),
    }
    for name, (countries, china, hong_kong) in expected.items():
        row = entry(entries, name)
        assert (row["countries"], row["china"], row["hong_kong"]) == (countries, china, hong_kong)
    assert set(entries.loc[entries["china"], "name"]) == {
        "54th Research Institute of China",
        "A.C. International",
        "Gui\u2019an New District Huawei Investment Co., Ltd., Guiyang, Guizhou",
    }
    assert set(entries.loc[entries["hong_kong"], "name"]) == {
        "32 Group China Ltd.",
        "ACTeam Logistics Ltd.",
    }


def test_aliases_and_licence_text(entries: pd.DataFrame) -> None:
    institute = entry(entries, "54th Research Institute of China")
    assert institute["aliases"].split("; ") == [
        "China Electronics Technology Group Corp. (CETC) 54th Research Institute",
        "Communication, Telemetry and Telecontrol Research Institute (CTI)",
        "and Shijiazhuang Communication Observation and Control Technology Institute.",
    ]
    assert institute["license_policy"] == "See §744.3(d) of this part"
    group = entry(entries, "32 Group China Ltd.")
    assert (
        group["license_requirement"]
        == "For all items subject to the EAR. (See §744.11 of the EAR)"
    )
    assert group["license_policy"] == "Presumption of denial."


def test_sample_citations(parties: pd.DataFrame, entries: pd.DataFrame) -> None:
    institute = entry(entries, "54th Research Institute of China")
    assert (institute["first_citation"], institute["first_year"], institute["citations"]) == (
        "66 FR 24266",
        2001,
        3,
    )
    table = schemas.validate("entity_citations", cleaned(csl.entity_citations(parties)), "sample")
    notes = table.loc[table["entry_id"] == institute["entry_id"], "note"]
    assert notes.fillna("").tolist() == ["", "(no. 182)", ""]
    finance = entry(entries, "A.P. Finance Limited")
    assert table.loc[table["entry_id"] == finance["entry_id"], "note"].tolist() == ["(8/15/2011)"]
    assert len(table) == entries["citations"].sum() == 25


def test_sample_citation_status_counted_independently(parties: pd.DataFrame) -> None:
    # Every Entity List row of the sample has "<volume> FR <page>" first; the State
    # Department's "Vol. 83, No. 91, ..." rows have a volume and no page.
    rows = sample_rows()
    el_texts = [row["federal_register_notice"] for row in rows if row["source"] == EL]
    assert all(re.match(r"\s*\d+\s*FR\s+\d+", text) for text in el_texts)
    vol_rows = sum(row["federal_register_notice"].startswith("Vol.") for row in rows)
    blank_rows = sum(not row["federal_register_notice"].strip() for row in rows)
    statuses = collections.Counter(
        c.status if c.position == 1 else "later"
        for text in parties["fr_text"].dropna()
        for c in csl.parse_citations(text)
    )
    assert statuses["partial"] == vol_rows == 3
    assert statuses["unparsed"] == 0
    assert statuses["parsed"] == len(rows) - vol_rows - blank_rows


def test_namibia_code_na_is_not_read_as_missing() -> None:
    data = (
        "source,name,alt_names,addresses,federal_register_notice,license_requirement,"
        "license_policy\n"
        f"{EL},Example Mining (constructed),,"
        '"1 Independence Ave, Windhoek, NA",85 FR 1,All,Denial\n'
    ).encode()
    assert csl.entity_list(csl.read(data, "namibia.csv")).loc[0, "countries"] == "NA"


def test_byte_order_mark_is_ignored() -> None:
    with_bom = csl.read(b"\xef\xbb\xbf" + SAMPLE.read_bytes(), "bom.csv")
    pd.testing.assert_frame_equal(with_bom, csl.read(SAMPLE.read_bytes(), "plain.csv"))


def test_unreadable_citation_is_kept_and_counted() -> None:
    frame = sample_frame()
    frame.loc[frame["name"] == "GBNTT", "federal_register_notice"] = "notice pending"
    parties = csl.read(frame.to_csv(index=False).encode(), "doctored.csv")
    entries = csl.entity_list(parties)
    gbntt = entry(entries, "GBNTT")
    assert (gbntt["citation_status"], gbntt["citations"]) == ("unparsed", 1)
    assert pd.isna(gbntt["first_year"])
    assert len(entries) == 22
    citations = csl.entity_citations(parties)
    row = citations[citations["entry_id"] == gbntt["entry_id"]].iloc[0]
    assert (row["piece"], row["status"]) == ("notice pending", "unparsed")


def test_region_name_as_country_reads_alike_from_csv_and_json() -> None:
    # The 2026 list gives two entries the country "CRIMEA (OCCUPIED)" beside UA.
    frame = sample_frame().head(10).copy()
    frame.loc[5, "addresses"] = (
        "1 Lenina St, Sevastopol, CRIMEA (OCCUPIED); 2 Khreshchatyk, Kyiv, UA"
    )
    as_json = json.loads(as_trade_gov_json(frame))
    as_json["results"][5]["addresses"] = [
        {"address": "1 Lenina St, Sevastopol", "country": "CRIMEA (OCCUPIED)"},
        {"address": "2 Khreshchatyk, Kyiv", "country": "UA"},
    ]
    from_csv = csl.read(frame.to_csv(index=False).encode(), "crimea.csv")
    from_json = csl.read(json.dumps(as_json).encode(), "crimea.json")
    assert from_csv.loc[5, "countries"] == from_json.loc[5, "countries"] == "CRIMEA (OCCUPIED); UA"


# --- bad input: one line naming the file --------------------------------------------------------


def compact_with(change: dict) -> bytes:
    """The sample in the compact shape with one entry's keys changed."""
    document = json.loads(as_compact(as_trade_gov_json(sample_frame())))
    document["entries"][3].update(change)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe" + "source".encode("utf-16-le"), r"^bad: not UTF-8 text \(byte 0\)$"),
        (b"", r"^bad: empty; not the screening list$"),
        (b'{"results": [', r"^bad: not valid JSON \(Expecting value, line 1, column 14\)$"),
        (b'{"count": 3}', r"^bad: JSON, but not the screening list"),
        (
            b"<html><body>Service unavailable</body></html>",
            r"^bad: not the screening list's CSV: column 'source' missing$",
        ),
        (b'{"results": [{"name": "X"}]}', r"^bad: results\[0\], key 'source': field required"),
        (
            compact_with({"lr": 999}),
            r"^bad: entries\[3\], key 'lr': 999 is not an index into its table$",
        ),
        (compact_with({"c": "CN"}), r"^bad: entries\[3\], key 'c': input should be a valid tuple"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        csl.read(data, "bad")
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_missing_column_is_named() -> None:
    data = sample_frame().drop(columns="addresses").to_csv(index=False).encode()
    with pytest.raises(
        ParseError, match="^cut.csv: not the screening list's CSV: column 'addresses' missing$"
    ):
        csl.read(data, "cut.csv")


def test_csv_cut_off_mid_row_is_refused() -> None:
    data = SAMPLE.read_bytes()
    cut = data[: data.rindex(b",http://bit.ly/")]  # the last row loses its last two fields
    with pytest.raises(
        ParseError, match=r"^cut.csv: row 115 has 26 fields, the header 28; the file is cut short$"
    ):
        csl.read(cut, "cut.csv")


# --- the synthetic list the benchmark times ----------------------------------------------------


def test_synthetic_list_reads_as_generated() -> None:
    frame, countries = synthetic(20_000)
    table = clean(frame.to_csv(index=False).encode())
    kept = frame["source"] == EL
    assert len(table) == kept.sum()
    assert table["countries"].tolist() == countries[kept].tolist()
    assert table["repaired"].sum() == frame.loc[kept, "name"].str.contains("\x92").sum()
    assert (
        table["citation_status"].value_counts()["none"]
        == (frame.loc[kept, "federal_register_notice"] == "").sum()
    )


# --- facts of the 2026 list, computed again with plain json and re ------------------------------


@pytest.fixture(scope="module")
def document_2026() -> dict:
    """The 2026 list as plain JSON."""
    if not LIST_2026.exists():
        pytest.fail(f"{LIST_2026} missing: import shared/data/csl into data/raw first")
    return json.loads(LIST_2026.read_bytes())


@pytest.fixture(scope="module")
def parties_2026() -> pd.DataFrame:
    """The 2026 list read by csl.py."""
    return csl.read(LIST_2026.read_bytes(), LIST_2026.name)


@pytest.fixture(scope="module")
def entries_2026(parties_2026: pd.DataFrame) -> pd.DataFrame:
    """The 2026 entity_list table, checked against its schema."""
    return schemas.validate("entity_list", cleaned(csl.entity_list(parties_2026)), LIST_2026.name)


@pytest.fixture(scope="module")
def el_2026(document_2026: dict) -> list[dict]:
    """The 2026 list's Entity List rows, in file order."""
    sources = document_2026["tables"]["sources"]
    return [e for e in document_2026["entries"] if sources[e["s"]] == EL]


def first_year(notice: str | None) -> int | None:
    """Year of the first '<volume> FR' in a notice: volume + 1935."""
    found = re.search(r"(\d+)\s*F\.?R", notice or "")
    return int(found.group(1)) + 1935 if found else None


def test_the_2026_list_has_3420_entries_1104_in_china(
    el_2026: list[dict], entries_2026: pd.DataFrame
) -> None:
    # Both numbers are stated by the source's README (shared/data/csl/README.md).
    assert len(el_2026) == len(entries_2026) == 3420
    china = sum("CN" in e.get("c", []) for e in el_2026)
    assert china == entries_2026["china"].sum() == 1104
    hong_kong = sum("HK" in e.get("c", []) for e in el_2026)
    assert hong_kong == entries_2026["hong_kong"].sum()
    both = sum({"CN", "HK"} <= set(e.get("c", [])) for e in el_2026)
    assert both == (entries_2026["china"] & entries_2026["hong_kong"]).sum()


def test_the_2026_china_entries_by_year_of_first_citation(
    el_2026: list[dict], entries_2026: pd.DataFrame
) -> None:
    expected = collections.Counter(
        first_year(e.get("fr")) for e in el_2026 if "CN" in e.get("c", [])
    )
    china = entries_2026[entries_2026["china"]]
    counted = collections.Counter(None if pd.isna(y) else int(y) for y in china["first_year"])
    assert counted == expected
    assert expected[2019] == china["first_year"].eq(2019).sum()


def test_the_2026_entries_without_citation(
    el_2026: list[dict], entries_2026: pd.DataFrame
) -> None:
    # 24 with no citation, 6 of them with a Chinese address: as the README says.
    none = entries_2026[entries_2026["citation_status"] == "none"]
    assert len(none) == sum(not e.get("fr") for e in el_2026) == 24
    assert (
        none["china"].sum()
        == sum(not e.get("fr") and "CN" in e.get("c", []) for e in el_2026)
        == 6
    )


def test_the_2026_citation_status_counted_independently(
    el_2026: list[dict], entries_2026: pd.DataFrame, parties_2026: pd.DataFrame
) -> None:
    partial = [
        e["fr"]
        for e in el_2026
        if e.get("fr") and not re.match(r"\s*\d+\s*FR\s+(?:no\. \d+ pg\. )?\d", e["fr"])
    ]
    assert partial == ["76 FR No. 197 (10/12/2011)"] * 2
    counts = entries_2026["citation_status"].value_counts().to_dict()
    assert counts == {"parsed": 3420 - 24 - 2, "partial": 2, "none": 24}
    table = schemas.validate(
        "entity_citations", cleaned(csl.entity_citations(parties_2026)), LIST_2026.name
    )
    pieces = sum(len(re.findall(r"\d+\s*F\.?R", e.get("fr") or "", re.I)) for e in el_2026)
    assert len(table) == entries_2026["citations"].sum() == pieces


def test_the_2026_list_keeps_84_fr_54004_as_given(
    el_2026: list[dict], parties_2026: pd.DataFrame
) -> None:
    # Altay and Shihezi bureaus, NetPosa, SenseNets and Nanjing FiberHome Starrysky cite it.
    citing = [e["n"] for e in el_2026 if "84 FR 54004" in (e.get("fr") or "")]
    assert len(citing) == 5
    table = csl.entity_citations(parties_2026)
    assert (table["citation"] == "84 FR 54004").sum() == 5


def test_the_2026_list_repairs_nothing_it_cannot(parties_2026: pd.DataFrame) -> None:
    # Its one C1 character, U+0081 in an ITAR Debarred name, stands for no Windows-1252 byte.
    assert parties_2026["repaired"].sum() == 0
    assert "Murat B\x81key" in set(parties_2026["name"])


def test_the_2026_aliases_split_on_semicolons(entries_2026: pd.DataFrame) -> None:
    izhmash = entries_2026[entries_2026["aliases"].str.contains("NPO Izhmash OAO", na=False)]
    assert izhmash["aliases"].str.split("; ").map(lambda a: "OJSC Concern Kalashnikov" in a).all()
    assert not entries_2026["aliases"].str.contains(r";(?! )|; ;|;$", na=False).any()
