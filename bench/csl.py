"""Synthetic Consolidated Screening List files, for timing the Entity List cleaner at scale."""

import numpy as np
import pandas as pd

from entitylist.parsers import CSL_COLUMNS, ENTITY_LIST_SOURCE

OTHER_SOURCES = [
    "Specially Designated Nationals (SDN) - Treasury Department",
    "Unverified List (UVL) - Bureau of Industry and Security",
    "Military End User (MEU) List - Bureau of Industry and Security",
]
COUNTRIES = ["CN", "HK", "RU", "IR", "AE", "PK", "SG", "TR"]


def synthetic(rows: int, seed: int = 2019) -> pd.DataFrame:
    """Return a CSL-shaped table: 60% Entity List rows, several addresses and aliases."""
    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    entity = rng.random(rows) < 0.6
    country = np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)]
    frame = pd.DataFrame({column: "" for column in CSL_COLUMNS}, index=index)
    frame["_id"] = [f"id{i:08d}" for i in index]
    frame["source"] = np.where(
        entity, ENTITY_LIST_SOURCE, np.array(OTHER_SOURCES)[index % len(OTHER_SOURCES)]
    )
    frame["name"] = [f"Company {i} Technology Co., Ltd." for i in index]
    frame["addresses"] = [
        f"Building {i % 97}, Road {i % 13}, City {i % 31}, {c}; Unit {i % 7}, Other Road, {c}"
        for i, c in zip(index, country, strict=True)
    ]
    frame["alt_names"] = [f"Co {i}; Firm {i}" if i % 3 == 0 else "" for i in index]
    frame["federal_register_notice"] = "84 FR 54002"
    frame["start_date"] = np.where(index % 11 == 0, "", "2019-10-09")
    frame["license_requirement"] = "For all items subject to the EAR."
    frame["license_policy"] = "Presumption of denial."
    return frame
