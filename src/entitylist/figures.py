"""The numbers of the story: every figure a chart or sentence shows is computed here."""

import pandas as pd

KIND_ORDER = [
    "regional public security bureau",
    "subordinate public security bureau",
    "institute",
    "company",
]
KIND_LABELS = {
    "regional public security bureau": "Xinjiang regional public security bureau",
    "subordinate public security bureau": "Subordinate public security bureaus",
    "institute": "Institute",
    "company": "Companies",
}


def entries_by_kind(entries: pd.DataFrame) -> pd.DataFrame:
    """Count the 9 Oct 2019 rule's entries by kind, in the rule's order of kinds."""
    counts = entries["kind_detail"].value_counts().reindex(KIND_ORDER, fill_value=0)
    table = counts.rename_axis("kind_detail").reset_index(name="entries")
    table["kind"] = table["kind_detail"].map(KIND_LABELS)
    return table[table["entries"] > 0].reset_index(drop=True)[["kind", "kind_detail", "entries"]]


def rule_summary(entries: pd.DataFrame) -> dict[str, int]:
    """Headline counts of the 9 Oct 2019 rule: entries, companies, government bodies."""
    kinds = entries["kind"].value_counts()
    return {
        "entries": len(entries),
        "companies": int(kinds.get("company", 0)),
        "government": int(kinds.get("government", 0) + kinds.get("institute", 0)),
        "subordinate_bureaus": int((entries["kind_detail"] == "subordinate public security bureau").sum()),
        "unverified_names": int((entries["name_status"] != "verified").sum()),
    }
