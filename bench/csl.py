"""Synthetic Consolidated Screening List tables, for timing the Entity List cleaner at scale.

The benchmark times `parsers.entity_list_rows` on these; a unit test checks its output.
"""

import numpy as np
import pandas as pd

from entitylist.parsers import CSL_COLUMNS, EL_SOURCE

OTHER_SOURCES = [
    "Specially Designated Nationals (SDN) - Treasury Department",
    "Unverified List (UVL) - Bureau of Industry and Security",
    "Military End User (MEU) List - Bureau of Industry and Security",
]
COUNTRIES = ["CN", "HK", "RU", "IR", "AE", "PK", "SG", "TR"]


def synthetic(rows: int, seed: int = 2019) -> tuple[pd.DataFrame, pd.Series]:
    """Return a CSL-shaped table (60% Entity List rows) and each row's first-address country."""
    rng = np.random.default_rng(seed)
    index = pd.Series(np.arange(rows)).astype(str)
    country = pd.Series(np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)])
    entity = rng.random(rows) < 0.6
    frame = pd.DataFrame({column: "" for column in CSL_COLUMNS}, index=range(rows))
    frame["_id"] = "id" + index
    frame["source"] = np.where(entity, EL_SOURCE, np.array(OTHER_SOURCES)[np.arange(rows) % 3])
    frame["name"] = "Company " + index + " Technology Co., Ltd."
    frame["addresses"] = (
        "Building " + index + ", Road 1, City, " + country + "; Unit 2, Road 3, CN"
    )
    frame["alt_names"] = np.where(np.arange(rows) % 3 == 0, "Co " + index + "; Firm " + index, "")
    frame["federal_register_notice"] = "84 FR 54002"
    frame["start_date"] = np.where(rng.random(rows) < 0.1, "", "2019-10-09")
    frame["license_requirement"] = "For all items subject to the EAR."
    frame["license_policy"] = "Presumption of denial."
    return frame, country
