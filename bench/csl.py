"""Consolidated Screening Lists in trade.gov's shapes, for timing csl.py and testing its readers.

`synthetic` makes a trade.gov CSV table of any size and `clean` is what the benchmark times on
its bytes. `as_trade_gov_json` and `as_compact` lay rows of a trade.gov CSV out as trade.gov's
consolidated.json and as the compact JSON of the desk's 2026 copy (following that copy's build
script, scripts/build-screening-list.mjs), with plain json and re, not csl.py, so that the
tests can check csl.py reads all three shapes alike.
"""

import json
import re

import numpy as np
import pandas as pd

from entitylist.data import csl

# The header of data.trade.gov's consolidated.csv (shared/samples/csl-columns.txt).
CSV_HEADER = [
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
]
OTHER_SOURCES = [
    "Specially Designated Nationals (SDN) - Treasury Department",
    "Unverified List (UVL) - Bureau of Industry and Security",
    "Military End User (MEU) List - Bureau of Industry and Security",
]
COUNTRIES = ["CN", "HK", "RU", "IR", "AE", "PK", "SG", "TR"]
# Citation styles of the real lists, so the synthetic list parses like a real one.
CITATIONS = [
    "84 FR 54002",
    "85 FR 34505; 87 FR 6026",
    "76 FR 67059 No. 210",
    "82 F.R. 48792 10/20/2017",
    "66 FR 24266, 77 FR 58006 (no. 182); 84 FR 40241, 84 FR 40241",
    "Vol. 83, No. 91, 05/10/2018",
    "",
]
_ISO2 = re.compile(r"[A-Z]{2}")


def synthetic(rows: int, seed: int = 2019) -> tuple[pd.DataFrame, pd.Series]:
    """Return a trade.gov CSV table (60% Entity List rows) and each row's sorted countries."""
    rng = np.random.default_rng(seed)
    index = pd.Series(np.arange(rows)).astype(str)
    first = np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)]
    second = np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)]
    entity = rng.random(rows) < 0.6
    frame = pd.DataFrame({column: "" for column in CSV_HEADER}, index=range(rows))
    frame["_id"] = "id" + index
    frame["source"] = np.where(entity, csl.EL_SOURCE, np.array(OTHER_SOURCES)[np.arange(rows) % 3])
    # One name in a hundred carries the mis-decoded apostrophe of the real sample.
    mark = np.where(np.arange(rows) % 100 == 0, "\x92s", "")
    frame["name"] = "Company " + index + mark + " Technology Co., Ltd."
    frame["addresses"] = (
        "Building " + index + ", Road 1, City, " + first + "; Unit 2, Road 3, City, " + second
    )
    frame["alt_names"] = np.where(np.arange(rows) % 3 == 0, "Co " + index + "; Firm " + index, "")
    frame["federal_register_notice"] = np.array(CITATIONS)[rng.integers(0, len(CITATIONS), rows)]
    frame["start_date"] = np.where(rng.random(rows) < 0.1, "", "2019-10-09")
    frame["license_requirement"] = "For all items subject to the EAR.  (See §744.11 of the EAR)"
    frame["license_policy"] = "Presumption of denial."
    countries = np.where(
        first == second,
        first,
        np.where(first < second, first + "; " + second, second + "; " + first),
    )
    return frame, pd.Series(countries)


def clean(data: bytes) -> pd.DataFrame:
    """What the benchmark times: a screening list's bytes to the entity_list table."""
    return csl.entity_list(csl.read(data, "synthetic screening list"))


def address(item: str) -> dict:
    """One CSV address item as trade.gov's JSON has it: text, and the country that ends it."""
    parts = [part.strip() for part in item.split(",")]
    country = parts[-1] if _ISO2.fullmatch(parts[-1]) else None
    return {"address": ", ".join(parts[:-1] if country else parts), "country": country}


def listed(text: str) -> list[str]:
    """A ';'-separated CSV field as the JSON's list."""
    return [part.strip() for part in text.split(";") if part.strip()]


def as_trade_gov_json(frame: pd.DataFrame) -> bytes:
    """Rows of a trade.gov CSV (read as text, blanks '') as trade.gov's consolidated.json."""
    results = []
    for row in frame.to_dict("records"):
        result = {key: (value or None) for key, value in row.items()}
        result |= {
            "alt_names": listed(row["alt_names"]),
            "addresses": [address(item) for item in row["addresses"].split(";") if item.strip()],
            "programs": listed(row["programs"]),
        }
        results.append(result)
    document = {"search_performed_at": "2019-01-01T00:00:00+00:00", "results": results}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def interned(table: list[str], value: object) -> int | None:
    """Index of a value in a table of repeated strings, whitespace collapsed; None if blank."""
    text = " ".join(str(value or "").split())
    if not text:
        return None
    if text not in table:
        table.append(text)
    return table.index(text)


def compact_entry(result: dict, tables: dict[str, list[str]]) -> dict:
    """One trade.gov result as the compact file writes it: short keys, strings interned."""
    countries = [str(a["country"]).strip().upper() for a in result["addresses"] if a["country"]]
    aliases = [str(a).strip() for a in result["alt_names"] if str(a or "").strip()]
    entry = {
        "n": str(result["name"] or "").strip(),
        "a": aliases,
        "s": interned(tables["sources"], result["source"]),
        "t": result["type"],
        "c": list(dict.fromkeys(countries)),
        "e": str(result["entity_number"]) if result["entity_number"] else None,
        "lr": interned(tables["licenceRequirements"], result["license_requirement"]),
        "lp": interned(tables["licencePolicies"], result["license_policy"]),
        "pg": interned(tables["programmes"], "; ".join(result["programs"])),
        "fr": str(result["federal_register_notice"] or "").strip(),
        "u": interned(tables["urls"], result["source_list_url"]),
    }
    # The build script leaves out every key whose value is empty.
    return {key: value for key, value in entry.items() if value not in (None, "", [])}


def as_compact(trade_gov_json: bytes) -> bytes:
    """trade.gov's consolidated.json laid out as the compact file of the desk's 2026 copy."""
    document = json.loads(trade_gov_json)
    names = ("sources", "licenceRequirements", "licencePolicies", "programmes", "urls")
    tables: dict[str, list[str]] = {name: [] for name in names}
    entries = [compact_entry(result, tables) for result in document["results"]]
    keys = ("n", "a", "s", "t", "c", "e", "lr", "lp", "pg", "fr", "u")
    compact = {
        "sourceGeneratedAt": document["search_performed_at"],
        "entryCount": len(entries),
        "fieldKey": {key: key for key in keys},
        "tables": tables,
        "entries": entries,
    }
    return json.dumps(compact, ensure_ascii=False).encode("utf-8")
