"""The Federal Register rule parser, checked against a real rule, FR doc 2023-03929.

The screening list's readers are tested in tests/test_csl.py.
"""

from pathlib import Path

import pandas as pd
import pytest

from entitylist.data import parsers
from entitylist.errors import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"
RULE_XML = FIXTURES / "fr-rule-2023-03929.xml"
SUMMARY_COUNTS = {
    "Canada": 2,
    "China": 5,
    "France": 1,
    "Luxembourg": 1,
    "Netherlands": 1,
    "Russia": 3,
}


@pytest.fixture(scope="module")
def entries() -> pd.DataFrame:
    """The entries of the real 2023-03929 rule."""
    return parsers.parse_rule_entries(RULE_XML.read_bytes())


def entry(entries: pd.DataFrame, country: str, name: str) -> pd.Series:
    """Return the one entry of a name under a country."""
    found = entries[(entries["country"] == country) & (entries["entity"] == name)]
    assert len(found) == 1, f"{name} under {country}: {len(found)} rows"
    return found.iloc[0]


# --- parse_rule_entries on the real rule -------------------------------------------------


def test_rule_has_13_entries_under_six_countries(entries: pd.DataFrame) -> None:
    assert list(entries.columns) == list(parsers.RULE_COLUMNS)
    assert len(entries) == 13
    assert entries["country"].value_counts().to_dict() == SUMMARY_COUNTS


def test_china_entries_in_table_order(entries: pd.DataFrame) -> None:
    china = entries.loc[entries["country"] == "China", "entity"].tolist()
    assert china == [
        "AOOK Technology Ltd.",
        "Beijing Ti-Tech Science and Technology Development Co.",
        "Beijing Yunze Technology Co., Ltd.",
        "China HEAD Aerospace Technology Co.",
        "Spacety Co., Ltd.",
    ]


def test_country_carried_forward_from_heading_row(entries: pd.DataFrame) -> None:
    # Only CPUNTO's block starts with "CANADA"; Electronic Network's row has a blank cell.
    assert entry(entries, "Canada", "Electronic Network Inc.")["country"] == "Canada"
    russia = entries.loc[entries["country"] == "Russia", "entity"].tolist()
    assert russia == [
        "Dexias Industrial Products and Trade Limited Company",
        "Innovation and Technologies LLC",
        "Promtekhkomplekt JSC",
    ]


def test_one_entity_under_three_countries_is_three_entries(entries: pd.DataFrame) -> None:
    head = entries[entries["entity"] == "China HEAD Aerospace Technology Co."]
    assert head["country"].tolist() == ["China", "France", "Netherlands"]
    assert head["address"].str.contains("(See alternate address under", regex=False).all()


def test_aliases_lose_dashes_and_ands_but_keep_abbreviations(entries: pd.DataFrame) -> None:
    aliases = entry(entries, "Canada", "Electronic Network Inc.")["aliases"].split("; ")
    assert aliases == [
        "Electronic Network",
        "Electronic Network Holdings",
        "Electronic Network Holdings Inc.",
        "Electronic Network Incorporated",
        "Electronic Network Products Inc.",
        "Electronic's Network & Technology Corp.",
    ]
    assert entry(entries, "Canada", "CPUNTO Inc.")["aliases"] == "CPUNTO"
    spacety = entry(entries, "Luxembourg", "Spacety Co., Ltd.")["aliases"]
    assert spacety.endswith("; Spacety; Spacety Luxembourg S.A.")
    yunze = entry(entries, "China", "Beijing Yunze Technology Co., Ltd.")["aliases"]
    assert yunze == "Beijing Yunze; Beijing Yunze Technology Company; Yunze Beijing"


def test_address_on_a_continuation_row_joins_the_entry_above(entries: pd.DataFrame) -> None:
    # In the XML, Electronic Network's address sits alone on the next ROW.
    network = entry(entries, "Canada", "Electronic Network Inc.")
    assert network["address"] == "145 Montee De Liesse Ste 10 St. Laurent, Quebec H4T 1T9 Canada"
    head = entry(entries, "China", "China HEAD Aerospace Technology Co.")["address"]
    assert head.split("; ")[0].startswith("5F, Bldg 5, Science and Technology Park")
    assert len(head.split("; ")) == 3


def test_addresses_split_on_and_and_superscripts_rejoined(entries: pd.DataFrame) -> None:
    yunze = entry(entries, "China", "Beijing Yunze Technology Co., Ltd.")["address"]
    assert yunze.split("; ") == [
        "West of Floor 1, Building 7, Jiajia Garden Courtyard 15, Fengtai Beijing 100000 China",
        "201, Floor 2, 36#, Yinhe Garden, Miyun District Beijing 100000 China",
        "402, Floor 4, No. 85, Huilongguan W. Street, Changping District Beijing 102200 China",
    ]
    assert (
        "west 3rd ring r. Beijing"
        in entry(entries, "China", "China HEAD Aerospace Technology Co.")["address"]
    )
    assert (
        "Room 445, 9th Floor, Block B" in entry(entries, "China", "Spacety Co., Ltd.")["address"]
    )


def test_hong_kong_address_is_listed_under_china(entries: pd.DataFrame) -> None:
    aook = entry(entries, "China", "AOOK Technology Ltd.")
    assert (
        aook["address"]
        == "Rm 803 Chevalier Building 45-51 Chatham Rd S Tsim Sha Tsui Hong Kong, China"
    )


def test_licence_columns_keep_footnote_3_and_normalise_whitespace(entries: pd.DataFrame) -> None:
    cpunto = entry(entries, "Canada", "CPUNTO Inc.")
    assert cpunto["license_requirement"] == (
        "For all items subject to the EAR. "
        "(See §§ 734.9(g),[3] 744.21(b), and 746.8(a)(3) of the EAR)"
    )
    assert cpunto["license_review_policy"].startswith("Policy of denial for all items subject")
    assert cpunto["citation"] == "88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]."
    # The one entry whose requirement lists the sections in another order.
    promtekh = entry(entries, "Russia", "Promtekhkomplekt JSC")["license_requirement"]
    assert "746.8(a)(3), and 744.21(b)" in promtekh
    for column in parsers.RULE_COLUMNS:
        text = entries[column].dropna()
        assert not text.str.contains(r"\s{2,}|\n|^\s|\s$").any(), column


@pytest.mark.parametrize(
    ("line", "alias"),
    [
        ("—AOOK; and", "AOOK"),
        ("—Electronic Network Holdings Inc.;", "Electronic Network Holdings Inc."),
        ("—Spacety Luxembourg S.A.", "Spacety Luxembourg S.A."),
        ("—INTEKH OOO.", "INTEKH OOO"),
        ("—Sound and Band;", "Sound and Band"),
    ],
)
def test_clean_alias(line: str, alias: str) -> None:
    assert parsers.clean_alias(line) == alias


def test_str_input_parses_like_bytes() -> None:
    text = RULE_XML.read_text(encoding="utf-8")
    assert parsers.parse_rule_entries(text).equals(
        parsers.parse_rule_entries(RULE_XML.read_bytes())
    )


def test_announced_alias_count_is_enforced() -> None:
    doctored = RULE_XML.read_text(encoding="utf-8").replace(
        "CPUNTO Inc., a.k.a., the following one alias:",
        "CPUNTO Inc., a.k.a., the following two aliases:",
    )
    with pytest.raises(ParseError, match="'CPUNTO Inc.': announces 2 aliases, the table lists 1"):
        parsers.parse_rule_entries(doctored)


def test_broken_xml_is_a_parse_error() -> None:
    truncated = RULE_XML.read_bytes()[:5000]
    with pytest.raises(ParseError, match="not well-formed"):
        parsers.parse_rule_entries(truncated)


def test_rule_without_entity_table_is_a_parse_error() -> None:
    xml = "<RULE><PREAMB><SUM><P>Removal of one entity.</P></SUM></PREAMB></RULE>"
    with pytest.raises(ParseError, match="no Entity List table"):
        parsers.parse_rule_entries(xml)


# --- summary_text and check_against_summary ----------------------------------------------


def test_summary_text_is_the_sum_paragraph() -> None:
    summary = parsers.summary_text(RULE_XML.read_bytes())
    assert summary.startswith("The Department of Commerce is amending the Export")
    assert "SUMMARY" not in summary
    assert summary.endswith("Netherlands (1), and Russia (3).")


def test_parsed_table_agrees_with_the_rules_own_summary(entries: pd.DataFrame) -> None:
    counts = parsers.parse_destination_counts(parsers.summary_text(RULE_XML.read_bytes()))
    assert counts == SUMMARY_COUNTS
    parsers.check_against_summary(entries, counts)  # raises on disagreement


def test_summary_check_names_the_country_that_disagrees(entries: pd.DataFrame) -> None:
    with pytest.raises(ParseError, match=r"^China: the rule's summary says 6 entries, .* has 5$"):
        parsers.check_against_summary(entries, {**SUMMARY_COUNTS, "China": 6})
    without_russia = {k: v for k, v in SUMMARY_COUNTS.items() if k != "Russia"}
    with pytest.raises(ParseError, match="^Russia: the rule's summary says 0 entries"):
        parsers.check_against_summary(entries, without_russia)


def test_summary_check_catches_a_lost_entry(entries: pd.DataFrame) -> None:
    doctored = entries.drop(entries.index[entries["entity"] == "Spacety Co., Ltd."][:1])
    with pytest.raises(ParseError, match="^China: .* says 5 entries, the parsed table has 4"):
        parsers.check_against_summary(doctored, SUMMARY_COUNTS)


def test_summary_check_refuses_empty_counts(entries: pd.DataFrame) -> None:
    with pytest.raises(ParseError, match="no per-destination counts"):
        parsers.check_against_summary(entries, {})


# --- parse_destination_counts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "These entities are listed on the Entity List under the destinations of Canada (2), "
            "China (5), France (1), Luxembourg (1), Netherlands (1), and Russia (3).",
            SUMMARY_COUNTS,
            id="2023-03929 summary",
        ),
        pytest.param(
            "These entries will be listed on the Entity List under the destinations of the "
            "People's Republic of China (China) (3), Hong Kong (2), and Pakistan (1).",
            {"China": 3, "Hong Kong": 2, "Pakistan": 1},
            id="long name with short form",
        ),
        pytest.param(
            "BIS is adding seven entities to the Entity List under the destination of China (7).",
            {"China": 7},
            id="single destination",
        ),
        pytest.param(
            "under the destinations of Burma (1), China (10), Pakistan (2) and Singapore (1). "
            "This rule also revises one existing entry.",
            {"Burma": 1, "China": 10, "Pakistan": 2, "Singapore": 1},
            id="no Oxford comma",
        ),
        pytest.param(
            "under the destinations of the People\u2019s Republic of China (China) (10) and the "
            "United Arab Emirates (UAE) (1).",
            {"China": 10, "United Arab Emirates": 1},
            id="curly apostrophe and UAE",
        ),
        pytest.param(
            "under the destinations of Armenia (2), the Netherlands (1), and the United Kingdom "
            "(1); and revises one entry under Germany (1).",
            {"Armenia": 2, "Netherlands": 1, "United Kingdom": 1},
            id="stops at the end of the list",
        ),
        pytest.param(
            "This final rule amends the EAR by adding twenty-eight entities to the Entity List "
            "under the destination of the People's Republic of China (China).",
            {},
            id="no counts (the Oct 2019 rule's wording)",
        ),
        pytest.param("BIS removes one entity from the Entity List (1).", {}, id="no phrase"),
        pytest.param("", {}, id="empty"),
    ],
)
def test_parse_destination_counts(text: str, expected: dict[str, int]) -> None:
    assert parsers.parse_destination_counts(text) == expected


@pytest.mark.parametrize(
    ("heading", "name"),
    [
        ("CHINA, PEOPLE'S REPUBLIC OF", "China"),
        ("HONG KONG", "Hong Kong"),
        ("UNITED ARAB EMIRATES", "United Arab Emirates"),
        ("BOSNIA AND HERZEGOVINA", "Bosnia and Herzegovina"),
        ("the Netherlands", "Netherlands"),
    ],
)
def test_country_names_match_between_table_and_summary(heading: str, name: str) -> None:
    assert parsers.country_name(heading) == name
