"""Every number a chart or sentence shows is computed here, from the (as-of) tables.

Functions take processed tables and return tables or dicts of facts; the words around them
live in the notebooks. Unknowns stay unknown: a count no source states is missing, never 0,
and a claim that an unknown could overturn (a peak, a leader) is not made.
"""

import re

import pandas as pd

from entitylist import config, words
from entitylist.errors import ParameterError

LISTING_RULE = "2019-22210"
LISTING_DATE = pd.Timestamp("2019-10-09")
LISTING_CITATION = (84, 54002)
# Citations the desk's rules table gives in two ways (the pack's README): one rule.
CITATION_VARIANTS = {(84, 43487): (84, 43493)}
# A citation the screening list gives to entries of more than one rule: never published.
BAD_CITATIONS = {(84, 54004)}
# Any of them as text, however spaced or cased: downloads mask it, the guard refuses it.
WRONG_CITATION = re.compile(
    "|".join(rf"\b{volume}\s*F\.?\s*R\.?\s*{page}\b" for volume, page in sorted(BAD_CITATIONS)),
    re.IGNORECASE,
)
CONFIDENCE_RANK = {"stated": 0, "computed": 1, "approximate": 2, "inferred": 3}
FIRM = ("stated", "computed")
# The kinds of entry of the rule (codes of entries_2019.kind_detail), in the order a page
# shows them; their words are in notebooks/words.yaml.
KIND_ORDER = (
    "regional public security bureau",
    "subordinate public security bureau",
    "institute",
    "company",
)
CITATION = re.compile(r"^\s*(\d+)\s*F\.?\s*R\.?\s*(\d+)\s*$")
# How far into a rule its entity table may begin (see rule_of_entries): the rules whose
# counts the sources state put it 0 to 7 pages in; matches do not change from 5 to 25.
PAGE_WINDOW = 10


def kind_labels() -> dict[str, str]:
    """Each kind of entry's heading for several, by code, in page order (words.yaml)."""
    wording = config.wording()
    return {code: wording.kind(code).several for code in KIND_ORDER}


def kind_singulars() -> dict[str, str]:
    """Each kind of entry's label for one, by code, in page order (words.yaml)."""
    wording = config.wording()
    return {code: wording.kind(code).one for code in KIND_ORDER}


def citation_key(text: object) -> tuple[int, int] | None:
    """(volume, page) of a citation such as '84 FR 54002', with known variants merged."""
    found = CITATION.match(text) if isinstance(text, str) else None
    if not found:
        return None
    key = (int(found[1]), int(found[2]))
    return CITATION_VARIANTS.get(key, key)


def leader(low: pd.Series, high: pd.Series) -> object | None:
    """The label whose lowest possible value beats every other's highest, else None.

    This is the test a superlative must pass: put every unknown at its largest; if the claim
    could flip, there is no leader to name.
    """
    if low.empty:
        return None
    top = low.idxmax()
    others = high.drop(index=top)
    return top if others.empty or low[top] > others.max() else None


# ---------------------------------------------------------------------------------------
# The rule of Oct. 9, 2019


def listing(tables: dict[str, pd.DataFrame]) -> dict[str, object] | None:
    """What happened: when the rule was announced, published and in force, and why."""
    rules, events = tables["rules"], tables["events"]
    rule = rules[rules["rule_id"] == LISTING_RULE]
    if rule.empty:
        return None
    rule = rule.iloc[0]
    before = events[
        (events["category"] == "us_action")
        & events["date"].between(rule["date"] - pd.Timedelta(days=7), rule["date"])
        & events["event"].str.contains("Entity List", regex=False)
    ]
    reason = rule["stated_reason"] if pd.notna(rule["stated_reason"]) else None
    return {
        "announced": before["date"].min() if len(before) else None,
        "published": rule["publication_date"],
        "reason": re.sub(r"\s*\(.*\)$", "", reason) if reason else None,
    }


def rule_summary(entries: pd.DataFrame) -> dict[str, int]:
    """Headline counts of the rule: entries, companies, government bodies, named entries."""
    kinds = entries["kind"].value_counts()
    return {
        "entries": len(entries),
        "companies": int(kinds.get("company", 0)),
        "government": int(kinds.get("government", 0) + kinds.get("institute", 0)),
        "subordinate_bureaus": int(
            (entries["kind_detail"] == "subordinate public security bureau").sum()
        ),
        "named": int(entries["name"].notna().sum()),
        "unnamed": int(entries["name"].isna().sum()),
    }


def profile_page(company: object) -> object:
    """A company's profile page, relative to the site, by its slug; missing for no company."""
    return f"company-{company}.html" if pd.notna(company) else pd.NA


def display_name(name: str, name_zh: object) -> str:
    """The company as a page's title names it: 'Hikvision (海康威视)'."""
    return f"{name} ({name_zh})" if isinstance(name_zh, str) else name


def entry_grid(entries: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """One square per entry, grouped by kind, companies named and linked to their profiles."""
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    names = companies.set_index("company")["name"]
    grid = entries.assign(_kind=entries["kind_detail"].map(order)).sort_values(
        ["_kind", "entry_no"]
    )
    grid = grid.reset_index(drop=True)
    return pd.DataFrame(
        {
            "entry_no": grid["entry_no"],
            "kind": grid["kind_detail"].map(kind_labels()),
            "name": grid["name"],
            "company": grid["company"].map(names),
            "profile": grid["company"].map(profile_page),
        }
    )


def aliases_of(entity_list: pd.DataFrame) -> pd.Series:
    """The list's aliases of each entry, by the entry's name on the list."""
    if entity_list.empty:
        return pd.Series(dtype="str")
    first = entity_list.drop_duplicates("name")
    return first.set_index("name")["aliases"]


def named_entries(
    entries: pd.DataFrame, entity_list: pd.DataFrame, companies: pd.DataFrame
) -> pd.DataFrame:
    """The rule's entries with their names and aliases as the official list gives them."""
    aliases = aliases_of(entity_list)
    names = companies.set_index("company")["name"]
    bureau = "subordinate public security bureau"
    bureaus = int((entries["kind_detail"] == bureau).sum())
    said = config.wording().table("entries")
    unnamed = entries["kind_detail"].map({bureau: words.fill(said.label("bureau"), count=bureaus)})
    return pd.DataFrame(
        {
            "entry_no": entries["entry_no"],
            "name": entries["name"].fillna(unnamed).fillna(said.label("unnamed")),
            "named": entries["name"].notna(),
            "aliases": entries["name"].map(aliases),
            "kind": entries["kind_detail"].map(kind_singulars()),
            "company": entries["company"].map(names),
            "profile": entries["company"].map(profile_page),
        }
    ).sort_values("entry_no", kind="stable")


# ---------------------------------------------------------------------------------------
# The official list: entries, not records

# A record that is a part of another entry: "<entry>. Affiliated Entity: <part>" (Huawei's
# affiliates) or "<entry>. Subordinate Institution - <part>" (the 2018 academies' institutes).
SUB_ROW = re.compile(
    r"^(?P<entry>.+?)\.\s+(?:Affiliated Entity|Subordinate Institution)\s*[:\-]\s*(?P<part>.+)$"
)
# A bracket that ends a name, and the short forms of a name such a bracket may give.
LAST_BRACKET = re.compile(r"^(?P<name>.*\S)\s*\((?P<short>[^()]+)\)$")
ABBREVIATION = re.compile(r"^[A-Z0-9][A-Z0-9&\- ]*$")
END_PUNCTUATION = " .,;:"


def entry_name(name: str) -> str:
    """The name of the entry a record belongs to, as the list writes it (a sub-row's parent)."""
    found = SUB_ROW.match(name)
    return found["entry"] if found else name


def entry_key(name: str) -> str:
    """The identity of the list entry a record belongs to: records with equal keys are one entry.

    The rule. A sub-row ("Huawei Technologies Co., Ltd. (Huawei). Affiliated Entity: Huawei
    Marine Networks Co., Ltd."; "... Second Academy. Subordinate Institution - 204th Research
    Institute") is a part of its parent entry, the name before the marker, never an entry of
    its own. Names are compared after folding case, runs of spaces and doubled punctuation
    ("Co.., Ltd.") and dropping punctuation at the end. A bracket that ends a name is dropped
    when it is a short form of that name, an abbreviation in capitals ("(CGTC)", "(CETC 13)")
    or one of the name's own words ("(Huawei)"): "Huawei Technologies Co., Ltd. (Huawei)" and
    "Huawei Technologies Co., Ltd." are one entry. The list carries that company twice (once
    more with a Hong Kong address, both first cited in May 2019); two would count one company
    twice in that rule's floor. Any other bracket is part of the name: "ACM Research
    (Shanghai)" is not "ACM Research", and merging them would be a guess.
    """
    name = " ".join(entry_name(name).split())
    name = re.sub(r"([.,;:])\1+", r"\1", name).rstrip(END_PUNCTUATION)
    found = LAST_BRACKET.match(name)
    if found:
        short, rest = found["short"].strip(), found["name"].rstrip(END_PUNCTUATION)
        if ABBREVIATION.match(short) or short.casefold() in re.findall(r"\w+", rest.casefold()):
            name = rest
    return name.casefold()


def listing_rule_names(entries: pd.DataFrame) -> set[str]:
    """The list names of the Oct. 9, 2019 entries (the join key: the pack's csl_name)."""
    return set(entries["name"].dropna())


def wrong_citation(entity_list: pd.DataFrame) -> pd.Series:
    """Records whose first citation the desk knows to be wrong (84 FR 54004)."""
    keys = zip(entity_list["first_volume"], entity_list["first_page"], strict=True)
    return pd.Series(
        [pd.notna(v) and pd.notna(p) and (int(v), int(p)) in BAD_CITATIONS for v, p in keys],
        index=entity_list.index,
    )


def first_year(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.Series:
    """The year each record was first cited, where the list's citation can be trusted.

    A record citing 84 FR 54004 gets its year only when it is one of the Oct. 9, 2019 rule's
    entries (known by name from the desk's table); the others' year stays unknown.
    """
    ours = entity_list["name"].isin(listing_rule_names(entries))
    year = entity_list["first_year"].astype("Int64").copy()
    wrong = wrong_citation(entity_list)
    year[wrong & ~ours] = pd.NA
    year[wrong & ours] = LISTING_DATE.year
    return year


def record_citations(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Each record's first citation: as (volume, page) with variants merged, and as text.

    The Oct. 9, 2019 entries count under that rule's citation even where the list cites a
    wrong page; other records with a wrong citation, or none, have none.
    """
    ours = entity_list["name"].isin(listing_rule_names(entries))
    rows = zip(
        entity_list["first_volume"],
        entity_list["first_page"],
        entity_list["first_citation"],
        ours,
        strict=True,
    )
    keys, texts = [], []
    for volume, page, text, own in rows:
        key = (int(volume), int(page)) if pd.notna(volume) and pd.notna(page) else None
        if own and key in BAD_CITATIONS:
            key, text = LISTING_CITATION, "{} FR {}".format(*LISTING_CITATION)
        elif key in BAD_CITATIONS:
            key, text = None, None
        keys.append(CITATION_VARIANTS.get(key, key))
        texts.append(text if key is not None else None)
    return pd.DataFrame(
        {"key": pd.Series(keys, dtype="object"), "text": texts}, index=entity_list.index
    )


def joined(values: pd.Series) -> object:
    """Distinct '; '-separated values of a column, in order, or missing when there are none."""
    seen = dict.fromkeys(
        part.strip() for value in values.dropna() for part in str(value).split(";")
    )
    seen.pop("", None)
    return "; ".join(seen) if seen else pd.NA


def list_entries(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """One row per entry of the list (entry_key), from its records: name, parts, first citation.

    An entry's first citation is the earliest its records give, and its year the earliest
    year; `records` counts its records, `parts` names its sub-rows, `miscited` marks an entry
    whose year is unknown because its records cite only what the desk knows to be wrong.
    """
    cited = record_citations(entity_list, entries)
    records = pd.DataFrame(
        {
            "key": entity_list["name"].map(entry_key),
            "name": entity_list["name"].map(entry_name),
            "part": entity_list["name"].str.extract(SUB_ROW)["part"],
            # A sub-row's aliases are its part's, not the entry's.
            "aliases": entity_list["aliases"].where(~entity_list["name"].str.match(SUB_ROW)),
            "countries": entity_list["countries"],
            "china": entity_list["china"],
            "hong_kong": entity_list["hong_kong"],
            "first": cited["key"],
            "order": cited["key"].map(lambda k: pd.NA if k is None else k[0] * 10**7 + k[1]),
            "first_citation": cited["text"],
            "year": first_year(entity_list, entries),
            "wrong": wrong_citation(entity_list),
            "listing_rule": entity_list["name"].isin(listing_rule_names(entries)),
        }
    )
    # The earliest citation first, and an entry's own record before its sub-rows.
    records = records.assign(
        is_part=records["part"].notna(), order=records["order"].astype("Int64")
    )
    earliest = records.sort_values(["key", "order"], kind="stable", na_position="last")
    grouped = earliest.groupby("key", sort=True)
    table = pd.DataFrame(
        {
            "name": records.sort_values(["key", "is_part"], kind="stable")
            .groupby("key")["name"]
            .first(),
            "records": grouped.size(),
            "china_records": grouped["china"].sum(),
            "first": grouped["first"].first(),
            "first_citation": grouped["first_citation"].first(),
            "year": grouped["year"].min(),
            "china": grouped["china"].any(),
            "hong_kong": grouped["hong_kong"].any(),
            "listing_rule": grouped["listing_rule"].any(),
            "miscited": grouped["wrong"].any() & ~grouped["listing_rule"].any(),
        }
    )
    several = table.index[table["records"] > 1]
    for column in ("part", "aliases", "countries"):
        values = grouped[column].first()
        many = earliest[earliest["key"].isin(several)].groupby("key")[column].agg(joined)
        table[column] = values.where(~values.index.isin(several), many.reindex(values.index))
    table = table.rename(columns={"part": "parts"}).rename_axis("key").reset_index()
    table["year"] = table["year"].astype("Int64")
    table["first"] = table["first"].astype("object").where(table["first"].notna(), None)
    return table[
        [
            "key",
            "name",
            "parts",
            "aliases",
            "countries",
            "china",
            "hong_kong",
            "records",
            "china_records",
            "first",
            "first_citation",
            "year",
            "listing_rule",
            "miscited",
        ]
    ]


def china_records(entity_list: pd.DataFrame) -> pd.DataFrame:
    """Records of the list with an address in mainland China (not entries: see list_entries)."""
    return entity_list[entity_list["china"]].reset_index(drop=True)


def china_entries(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Entries of the list any of whose records gives an address in mainland China."""
    table = list_entries(entity_list, entries)
    return table[table["china"]].reset_index(drop=True)


def still_listed_by_year(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Entries with an address in China still listed, by year of first citation.

    `records` counts their records with a China address, `listing_rule` the entries of the
    Oct. 9, 2019 rule among them; entries whose year is unknown (no citation, or one the desk
    knows is wrong) are left out here and counted by still_listed_summary.
    """
    china = china_entries(entity_list, entries)
    table = (
        china.groupby("year", dropna=True)
        .agg(
            entries=("key", "size"),
            records=("china_records", "sum"),
            listing_rule=("listing_rule", "sum"),
        )
        .reset_index()
    )
    table = table.astype({"year": "int64", "records": "int64", "listing_rule": "int64"})
    table["other"] = table["entries"] - table["listing_rule"]
    return table[["year", "entries", "records", "listing_rule", "other"]]


def still_listed_summary(entity_list: pd.DataFrame, entries: pd.DataFrame) -> dict[str, object]:
    """Numbers the prose uses about the list: entries and records, the leading year if the
    unknowns allow."""
    every = list_entries(entity_list, entries)
    china = every[every["china"]]
    by_year = still_listed_by_year(entity_list, entries).set_index("year")["entries"]
    no_year = int(china["year"].isna().sum())
    top = leader(by_year, by_year + no_year)
    china_rows = china_records(entity_list)
    return {
        "entries": len(every),
        "records": len(entity_list),
        "china": len(china),
        "china_records": len(china_rows),
        "china_parts": int(china_rows["name"].str.match(SUB_ROW).sum()),
        "hong_kong": int(every["hong_kong"].sum()),
        "undated": no_year,
        "undated_records": int(china.loc[china["year"].isna(), "china_records"].sum()),
        "uncited": int((china["year"].isna() & ~china["miscited"]).sum()),
        "uncited_records": int(china_rows["first_year"].isna().sum()),
        "miscited": int((china["year"].isna() & china["miscited"]).sum()),
        "first_year": int(by_year.index.min()) if len(by_year) else None,
        "last_year": int(by_year.index.max()) if len(by_year) else None,
        "leading_year": None if top is None else str(int(top)),
        "leading_count": None if top is None else int(by_year[top]),
        "listing_rule": int(china["listing_rule"].sum()),
    }


def still_listed_columns(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """What the still-listed chart shows: every year from the first citation to the last (a
    year without entries counts 0: the list has none), then one row, not `dated`, for the
    entries whose citation gives no year."""
    summary = still_listed_summary(entity_list, entries)
    years = range(summary["first_year"], summary["last_year"] + 1)
    dated = (
        still_listed_by_year(entity_list, entries)
        .set_index("year")
        .reindex(years, fill_value=0)
        .rename_axis("year")
        .reset_index()
        .astype({"year": "str"})
    )
    undated = pd.DataFrame(
        {
            "year": [""],
            "entries": [summary["undated"]],
            "records": [summary["undated_records"]],
            "listing_rule": [0],
            "other": [0],
        }
    )
    table = pd.concat([dated, undated], ignore_index=True)
    table["dated"] = [True] * len(dated) + [False]
    return table


def china_directory(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Every China entry on the list, once, by year of first citation, the Oct. 2019 ones marked.

    An entry's sub-rows are named as its parts. A citation the desk knows to be wrong is never
    shown: the rule's own citation stands in for the two bureaus of Oct. 9, 2019, and the
    others show none.
    """
    china = china_entries(entity_list, entries)
    unknown = config.wording().page("year_not_known")
    return (
        pd.DataFrame(
            {
                "year": china["year"].map(lambda y: str(int(y)) if pd.notna(y) else unknown),
                "sort": china["year"].fillna(9999),
                "name": china["name"],
                "parts": china["parts"],
                "aliases": china["aliases"],
                "countries": china["countries"],
                "first_citation": china["first_citation"],
                "records": china["china_records"],
                "listing_rule": china["listing_rule"],
            }
        )
        .sort_values(["sort", "name"], kind="stable")
        .drop(columns="sort")
        .reset_index(drop=True)
    )


def first_citations(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.Series:
    """Each China entry's first citation as (volume, page), variants merged, by entry key."""
    china = china_entries(entity_list, entries)
    return pd.Series(list(china["first"]), index=china["key"], dtype="object")


def rule_of_entries(
    entity_list: pd.DataFrame, entries: pd.DataFrame, rules: pd.DataFrame
) -> pd.Series:
    """The citation (volume, first page) of the desk's rule that added each China entry.

    The list cites the page where a rule's entity table begins, a few pages into the rule
    (0 to 7 in the rules whose counts the sources state), so an entry belongs to the rule of
    the desk's table that starts nearest before its first citation's page in the same volume,
    within PAGE_WINDOW pages. Pages no rule of the table covers stay unmatched. An entry
    belongs to one rule only, that of its first citation: a later rule citing it (adding a
    part or an address, or revising it) never counts it again.
    """
    starts = sorted({key for key in rules["citation"].map(citation_key) if key is not None})
    found = {}
    for entry, key in first_citations(entity_list, entries).items():
        candidates = [s for s in starts if key and s[0] == key[0] and s[1] <= key[1]]
        nearest = max(candidates) if candidates else None
        found[entry] = nearest if nearest and key[1] - nearest[1] < PAGE_WINDOW else None
    return pd.Series(found, dtype="object")


def rules_still_listed(
    rules: pd.DataFrame, entity_list: pd.DataFrame, entries: pd.DataFrame
) -> pd.DataFrame:
    """For each rule of the desk's table: distinct China entries it added that are still listed.

    `matched` counts the entries whose first citation falls to the rule (rule_of_entries).
    `still_listed`, the floor a page may print as "at least N", is that count only where it
    can be one: missing where the rule has no citation, and where the matches outnumber the
    China entries the rule stated (or, stating none, every entry it added): the pages then
    belong to entries of a rule the desk's table lacks, and no count is claimed. Without a
    list (an as-of day before it) both are missing.
    """
    cited = rules["citation"].map(citation_key)
    if entity_list.empty:
        # No list (an as-of day before the desk's copy): nothing is known still listed, not 0.
        count = pd.Series(pd.NA, index=rules.index, dtype="Int64")
        return rules.assign(matched=count, still_listed=count)
    matched = rule_of_entries(entity_list, entries, rules).dropna().value_counts()
    count = cited.map(lambda key: pd.NA if key is None else int(matched.get(key, 0)))
    count = count.astype("Int64")
    ceiling = rules["china_entries"].fillna(rules["total_entries"])
    impossible = (count > ceiling).fillna(False)
    return rules.assign(matched=count, still_listed=count.mask(impossible))


def count_disagreements(rules: pd.DataFrame) -> pd.DataFrame:
    """Rules whose stated China count and entries matched on the list differ (needs
    rules_still_listed); `still_listed` is missing where the matches exceed the stated count."""
    both = rules[rules["china_entries"].notna() & rules["matched"].notna()]
    differ = both[both["china_entries"] != both["matched"]]
    return differ[
        ["date", "citation", "title", "china_entries", "matched", "still_listed", "source_url"]
    ].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# The desk's rules table


def additions(rules: pd.DataFrame) -> pd.DataFrame:
    """Rules that add entries: action 'add', or any rule with China entries added."""
    adds = rules[(rules["action"] == "add") | (rules["china_entries"].fillna(0) > 0)]
    return adds[adds["date"].notna()].sort_values(["date", "rule_id"]).reset_index(drop=True)


def lower_bound(rules: pd.DataFrame) -> pd.Series:
    """The least each rule added under China: its stated count, else still listed, else 0."""
    stated = rules["china_entries"]
    still = rules["still_listed"] if "still_listed" in rules else pd.Series(pd.NA, rules.index)
    return stated.fillna(still).fillna(0).astype("int64")


def upper_bound(rules: pd.DataFrame) -> pd.Series:
    """The most each rule could have added under China: stated, else its total, else unbounded."""
    stated = rules["china_entries"].astype("Float64")
    total = rules["total_entries"].astype("Float64")
    return stated.fillna(total).fillna(float("inf")).astype("float64")


def rules_timeline(rules: pd.DataFrame) -> pd.DataFrame:
    """One row per adding rule: date, China count (stated, or at least N still listed)."""
    adds = additions(rules)
    still = adds["still_listed"] if "still_listed" in adds else pd.Series(pd.NA, adds.index)
    status = adds["china_count_status"].where(
        adds["china_count_status"] != "unknown",
        still.map(lambda n: "at least (still listed)" if pd.notna(n) and n > 0 else "unknown"),
    )
    return pd.DataFrame(
        {
            "date": adds["date"],
            "rule": adds["citation"].fillna(adds["rule_id"]),
            "china_entries": adds["china_entries"],
            "still_listed": still.astype("Int64"),
            "shown": lower_bound(adds),
            "count_status": status,
            "milestone": adds["rule_id"].map(config.wording().milestones),
            "is_listing_rule": adds["rule_id"] == LISTING_RULE,
            "source_url": adds["source_url"],
        }
    )


def entries_by_year(rules: pd.DataFrame) -> pd.DataFrame:
    """China entries added per year in the desk's table: stated, at least, and at most."""
    adds = additions(rules).assign(year=lambda d: d["date"].dt.year)
    adds = adds.assign(low=lower_bound(adds), high=upper_bound(adds))
    unknown = adds["china_count_status"] == "unknown"
    table = adds.groupby("year").agg(
        rules=("rule_id", "size"),
        unknown_rules=("china_count_status", lambda s: int((s == "unknown").sum())),
        at_least=("low", "sum"),
        at_most=("high", "sum"),
    )
    table["stated"] = adds[~unknown].groupby("year")["china_entries"].sum()
    table["stated"] = table["stated"].fillna(0).astype("int64")
    return table.reset_index()


def timeline_summary(rules: pd.DataFrame) -> dict[str, object]:
    """Numbers the timeline prose uses: rules, counts known and unknown, a peak if it holds."""
    adds = additions(rules)
    per_year = entries_by_year(rules).set_index("year")
    known = adds[adds["china_count_status"] != "unknown"]
    biggest = known.loc[known["china_entries"].idxmax()] if len(known) else None
    unknown = adds[adds["china_count_status"] == "unknown"]
    still = unknown["still_listed"] if "still_listed" in unknown else pd.Series(dtype="Int64")
    peak = leader(per_year["at_least"], per_year["at_most"])
    return {
        "first": adds["date"].min(),
        "latest": adds["date"].max(),
        "rules": len(adds),
        "rules_unknown": len(unknown),
        "unknown_with_still_listed": int((still.fillna(0) > 0).sum()),
        "unknown_still_listed": int(still.fillna(0).sum()),
        "stated_entries": int(known["china_entries"].sum()),
        "biggest_rule": None if biggest is None else biggest["citation"] or biggest["rule_id"],
        "biggest_entries": None if biggest is None else int(biggest["china_entries"]),
        "biggest_date": None if biggest is None else biggest["date"],
        "peak_year": None if peak is None else str(int(peak)),
        "rules_before_listing": int((adds["date"] < LISTING_DATE).sum()),
        "undated": int(rules["date"].isna().sum()),
    }


def milestone_dates(rules: pd.DataFrame) -> dict[str, object]:
    """Dates of ZTE's listing and removal and of Huawei's listing, where the table has them."""
    notable = rules["notable_entities"].fillna("")
    zte = rules[rules["rule_id"] == "2016-05104"]
    zte_removed = rules[notable.str.contains(r"ZTE Corporation \(removed", regex=True)]
    huawei = rules[notable.str.startswith("Huawei Technologies")]
    return {
        "zte_added": zte["date"].min() if len(zte) else None,
        "zte_china": int(zte["china_entries"].iloc[0]) if len(zte) else None,
        "zte_total": int(zte["total_entries"].iloc[0]) if len(zte) else None,
        "zte_removed": zte_removed["date"].min() if len(zte_removed) else None,
        "huawei_added": huawei["date"].min() if len(huawei) else None,
        "huawei_published": huawei["publication_date"].min() if len(huawei) else None,
    }


# ---------------------------------------------------------------------------------------
# Events


def between(events: pd.DataFrame, first: object, last: object, **where: object) -> pd.DataFrame:
    """Events from one day to another (inclusive), optionally of given categories."""
    chosen = events[events["date"].between(pd.Timestamp(first), pd.Timestamp(last))]
    categories = where.get("categories")
    if categories:
        chosen = chosen[chosen["category"].isin(categories)]
    return chosen.sort_values(["date", "event_id"]).reset_index(drop=True)


def after_listing(events: pd.DataFrame, company: str | None = None) -> pd.DataFrame:
    """Events after the rule took effect, for one company or for any of the eight."""
    later = events[(events["date"] > LISTING_DATE) & events["companies"].notna()]
    if company is not None:
        # A regex keeps the mask boolean even when no event is left to filter.
        named = later["companies"].str.contains(rf"(?:^|;){re.escape(company)}(?:;|$)")
        later = later[named.astype(bool)]
    return later.sort_values(["date", "event_id"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Company figures


def best_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Order figures by how firm they are, firmest first, keeping the input order otherwise."""
    rank = frame["confidence"].map(CONFIDENCE_RANK)
    return frame.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def latest_figure(figures: pd.DataFrame) -> pd.Series | None:
    """The firmest figure of the latest period, or None when there is no figure at all."""
    if figures.empty:
        return None
    latest = figures[figures["period_end"] == figures["period_end"].max()]
    return best_first(latest).iloc[0]


# The definition codes of an overseas share, in the order a key lists them. Cleaning writes
# the codes; notebooks/words.yaml gives each its reader's words (overseas_definitions), and the
# basis of a total revenue its words (revenue_bases).
OVERSEAS_DEFINITIONS = ("regional", "main_business", "outside_mainland", "not_stated")
REVENUE_BASES = ("as_reported", "hk_prospectus", "star_prospectus")


def short_definition(code: str) -> str:
    """'regional' -> 'overseas regions', for a key or a label."""
    return config.wording().definition(code).short


def definition_words(code: str) -> str:
    """'regional' -> 'overseas regions (regional split)', for a table."""
    return config.wording().definition(code).full


def overseas_definitions(financials: pd.DataFrame, company: str) -> int:
    """How many definitions of 'overseas' a company's shares use (by slug)."""
    shares = financials[
        (financials["company"] == company) & (financials["metric"] == "overseas_share")
    ]
    return shares["definition"].nunique()


def superseded(figures: pd.DataFrame) -> pd.Series:
    """Estimates of a period that a firm figure of the same period replaces.

    A stated value from the annual report beats a wire's "nearly 30%" of it: where a company has
    a stated or computed figure of a metric for a period, its approximate and inferred figures of
    that period are not drawn (they stay in the data, marked as they are).
    """
    firm = figures["confidence"].isin(FIRM)
    keys = ["company", "metric", "period"]
    has_firm = firm.groupby([figures[k] for k in keys]).transform("any")
    return ~firm & has_firm


def overseas_shares(financials: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Every overseas share, one series per company, definition and kind of period."""
    shares = financials[financials["metric"] == "overseas_share"]
    shares = shares[~superseded(shares)]
    names = companies.set_index("company")["name"]
    middle = shares["period_start"] + (shares["period_end"] - shares["period_start"]) / 2
    return (
        pd.DataFrame(
            {
                "company": shares["company"].map(names),
                "period": shares["period"],
                "period_type": shares["period_type"],
                "period_start": shares["period_start"],
                "period_end": shares["period_end"],
                "period_middle": middle.dt.normalize(),
                "share_pct": shares["value"],
                "qualifier": shares["qualifier"],
                "definition": shares["definition"].map(definition_words),
                "definition_code": shares["definition"],
                "series": shares["company"].map(names)
                + ", "
                + shares["definition"].map(definition_words),
                "confidence": shares["confidence"],
                "firm": shares["confidence"].isin(FIRM),
                "source_url": shares["source_url"],
                "known_since": shares["known_since"],
            }
        )
        .sort_values(["company", "definition", "period_end"])
        .reset_index(drop=True)
    )


def overseas_facts(
    shares: pd.DataFrame, companies: pd.DataFrame, financials: pd.DataFrame
) -> dict[str, object]:
    """What the overseas-shares chart says about its shares (overseas_shares): how many
    series, the companies with a figure and those without, Hikvision's definitions, how many
    figures are estimates and how many cover half a year."""
    named = list(dict.fromkeys(shares["company"]))
    return {
        "series": shares["series"].nunique(),
        "companies": named,
        "without": [n for n in companies["name"] if n not in named],
        "hikvision_definitions": overseas_definitions(financials, "hikvision"),
        "estimates": int((~shares["firm"]).sum()),
        "half_years": int((shares["period_type"] == "H1").sum()),
    }


def snapshot_facts(snapshot: pd.DataFrame, when: pd.Timestamp) -> dict[str, object]:
    """What the snapshot chart says (snapshot_at): how many companies have a figure, which
    have none, and how many of the figures are estimates."""
    known = snapshot[snapshot["share_pct"].notna()]
    return {
        "known": len(known),
        "companies": len(snapshot),
        "missing": len(snapshot) - len(known),
        "missing_names": list(snapshot.loc[snapshot["share_pct"].isna(), "company"]),
        "when": when,
        "estimates": int((~known["confidence"].isin(FIRM)).sum()),
    }


def snapshot_at(
    financials: pd.DataFrame, companies: pd.DataFrame, when: pd.Timestamp = LISTING_DATE
) -> pd.DataFrame:
    """Each company's latest overseas share public on a date, or none: never a zero."""
    shares = financials[
        (financials["metric"] == "overseas_share") & (financials["known_since"] <= when)
    ]
    rows = []
    for company, name in zip(companies["company"], companies["name"], strict=True):
        best = latest_figure(shares[shares["company"] == company])
        known = best is not None
        rows.append(
            {
                "company": name,
                "share_pct": best["value"] if known else pd.NA,
                "qualifier": best["qualifier"] if known else pd.NA,
                "period": best["period"] if known else pd.NA,
                "definition": definition_words(best["definition"]) if known else pd.NA,
                "confidence": best["confidence"] if known else pd.NA,
                "source_url": best["source_url"] if known else pd.NA,
            }
        )
    table = pd.DataFrame(rows)
    table["share_pct"] = table["share_pct"].astype("Float64")
    return table


def us_suppliers(suppliers: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """US suppliers named in the desk's sources per company, and unnamed ones mentioned."""
    us = suppliers[(suppliers["supplier_country"] == "US") & (suppliers["relation"] == "supplier")]
    named = us[us["named"]].groupby("company")["supplier_key"].agg(lambda s: sorted(set(s)))
    sources = (
        us[us["named"]]
        .groupby("company")["source_url"]
        .agg(lambda s: "; ".join(sorted(set(s.dropna()))))
    )
    unnamed = us[~us["named"]].groupby("company").size()
    table = pd.DataFrame({"company": companies["company"], "name": companies["name"]})
    found = table["company"].map(named)
    table["named_us_suppliers"] = found.map(
        lambda f: len(f) if isinstance(f, list) else pd.NA
    ).astype("Int64")
    table["suppliers"] = found.map(lambda f: words.and_list(f) if isinstance(f, list) else pd.NA)
    table["unnamed_us_mentioned"] = table["company"].isin(unnamed.index)
    table["sources"] = table["company"].map(sources)
    return table


def supplier_facts(table: pd.DataFrame, suppliers: pd.DataFrame) -> dict[str, object]:
    """What the suppliers chart says (us_suppliers): how many companies have US suppliers
    named, which have none, the one with the most (if the unknowns allow) and Hikvision's
    named Chinese suppliers."""
    counted = table[table["named_us_suppliers"].notna()]
    by_name = counted.set_index("name")["named_us_suppliers"].astype(float)
    top = leader(by_name, by_name)
    return {
        "named": len(counted),
        "none": list(table.loc[table["named_us_suppliers"].isna(), "name"]),
        "most": top,
        "most_count": None if top is None else int(by_name[top]),
        "hikvision_domestic": list(domestic_suppliers(suppliers, "hikvision")["supplier"]),
    }


def domestic_suppliers(suppliers: pd.DataFrame, company: str) -> pd.DataFrame:
    """Named Chinese suppliers of a company in the desk's sources: the counterpoint to US parts."""
    own = suppliers[
        (suppliers["company"] == company)
        & (suppliers["supplier_country"] == "China")
        & suppliers["named"]
    ]
    return own.reset_index(drop=True)


def ties(partnerships: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """University and institution ties (not the companies' own offices), latest status last.

    Ties are ordered by institution, so every spelling of one institution (MIT, MIT CSAIL) sits
    together; a partner the source leaves unnamed keeps its own row.
    """
    names = companies.set_index("company")["name"]
    real = partnerships[partnerships["is_partnership"]]
    real = real.assign(_with=real["institution"].fillna(real["partner"]))
    ordered = real.sort_values(["company", "_with", "reported_by"], na_position="first")
    ordered = ordered.drop(columns="_with")
    return ordered.assign(company_name=ordered["company"].map(names)).reset_index(drop=True)


def latest_status(partnerships: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """The latest reported status of each tie: one row per company and institution."""
    ordered = ties(partnerships, companies)
    tie = ordered["institution"].fillna(ordered["partner"])
    return ordered[~pd.DataFrame({"c": ordered["company"], "t": tie}).duplicated(keep="last")]


def institutions(ties_frame: pd.DataFrame) -> list[str]:
    """The institutions a set of ties is with, each once however the sources spell it."""
    named = ties_frame.dropna(subset=["institution"]).drop_duplicates("institution")
    return list(named["institution_name"])


def unnamed_ties(ties_frame: pd.DataFrame) -> pd.DataFrame:
    """Ties whose partner the source does not name: shown, never counted as institutions."""
    return ties_frame[ties_frame["institution"].isna()]


def exposure_comparison(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The eight companies side by side: overseas share, revenue, US suppliers, ties."""
    financials, companies = tables["financials"], tables["companies"]
    suppliers = us_suppliers(tables["suppliers"], companies).set_index("company")
    status = latest_status(tables["partnerships"], companies)
    rows = []
    for company in companies.itertuples():
        own = financials[financials["company"] == company.company]
        share = latest_figure(own[own["metric"] == "overseas_share"])
        revenue = latest_figure(
            own[(own["metric"] == "total_revenue") & (own["period_type"] == "FY")]
        )
        mine = status[status["company"] == company.company]
        rows.append(
            {
                "company": company.company,
                "name": company.name,
                "name_zh": company.name_zh,
                "share_pct": None if share is None else share["value"],
                "share_qualifier": None if share is None else share["qualifier"],
                "share_period": None if share is None else share["period"],
                "share_definition": None if share is None else share["definition"],
                "share_confidence": None if share is None else share["confidence"],
                "share_source": None if share is None else share["source_url"],
                "revenue": None if revenue is None else revenue["value"],
                "revenue_period": None if revenue is None else revenue["period"],
                "us_suppliers": suppliers.at[company.company, "suppliers"],
                "institutions": institutions(mine),
                "ties_ended": int((mine["outcome"] == "ended").sum()),
                "unnamed_ties": len(unnamed_ties(mine)),
            }
        )
    return pd.DataFrame(rows)


def revenue_series(financials: pd.DataFrame, company: str) -> pd.DataFrame:
    """A company's full-year revenue, the firmest figure per year and basis."""
    own = financials[
        (financials["company"] == company)
        & (financials["metric"] == "total_revenue")
        & (financials["period_type"] == "FY")
    ]
    own = best_first(own).drop_duplicates(["year", "definition"])
    return (
        pd.DataFrame(
            {
                "year": own["year"].astype("int64"),
                "revenue_cny_m": own["value"].astype("float64"),
                "basis": own["definition"].map(config.wording().revenue_bases),
                "qualifier": own["qualifier"],
                "confidence": own["confidence"],
                "source_url": own["source_url"],
            }
        )
        .sort_values(["year", "basis"])
        .reset_index(drop=True)
    )


def revenue_facts(series: pd.DataFrame, name: str) -> dict[str, object]:
    """What a revenue chart says (revenue_series): the first and last figures of the latest
    basis, the bases, the first year two bases both give, and how many figures are estimates."""
    bases = list(dict.fromkeys(series["basis"]))
    latest = series[series["basis"] == series.iloc[-1]["basis"]]
    first, last = latest.iloc[0], latest.iloc[-1]
    clash = series[series.duplicated("year", keep=False)]
    return {
        "name": name,
        "first_year": int(first["year"]),
        "first": first["revenue_cny_m"],
        "last_year": int(last["year"]),
        "last": last["revenue_cny_m"],
        "bases": len(bases),
        "basis_names": bases,
        "clash_year": int(clash["year"].iloc[0]) if len(clash) else None,
        "clash_amounts": [words.money(v) for v in clash["revenue_cny_m"]],
        "estimates": int((~series["confidence"].isin(FIRM)).sum()),
    }


def profile(tables: dict[str, pd.DataFrame], company: str) -> dict[str, object]:
    """Everything a company's profile page shows, or a ParameterError naming valid companies."""
    companies = tables["companies"].set_index("company")
    if company not in companies.index:
        msg = f"company={company!r}: not one of {', '.join(companies.index)}"
        raise ParameterError(msg)
    row = companies.loc[company]
    entries = tables["entries_2019"]
    entry = entries[entries["entry_no"] == row["entry_no"]]
    listing_day = entry["publication_date"].iloc[0] if len(entry) else LISTING_DATE
    return {
        "slug": company,
        "name": row["name"],
        "title": display_name(row["name"], row["name_zh"]),
        "name_zh": row["name_zh"] if pd.notna(row["name_zh"]) else None,
        "listed_as": row["listed_as"],
        "list_name": entry["name"].iloc[0]
        if len(entry) and pd.notna(entry["name"].iloc[0])
        else None,
        "entry_no": int(row["entry_no"]),
        "listed_on": listing_day,
        "list_day": tables["entity_list"]["known_since"].max()
        if len(tables["entity_list"])
        else None,
        "suppliers": tables["suppliers"][tables["suppliers"]["company"] == company],
        "ties": ties(tables["partnerships"], tables["companies"]).query("company == @company"),
        "comparison": exposure_comparison(tables).query("company == @company"),
    }


# How long after publication the story gathers reactions: the companies' own statements came
# over the following week (Megvii's chief executive wrote to staff five days later).
REACTION_DAYS = 7
REACTION_CATEGORIES = ["us_reaction", "china_response", "company", "academia", "trade_talks"]


def week_of_listing(events: pd.DataFrame, announced: object, published: object) -> pd.DataFrame:
    """Reactions from the announcement to a week after publication: the US outside government,
    China, the firms, academia, trade talks (the US actions themselves are in the lede)."""
    last = pd.Timestamp(published) + pd.Timedelta(days=REACTION_DAYS)
    return between(events, announced, last, categories=REACTION_CATEGORIES)


def actor_names(events: pd.DataFrame) -> list[str]:
    """Who acted, once each, as a reader names them: 'Freedom House', not its spokesperson;
    co-signers of one statement ('Rep. James McGovern; Sen. Marco Rubio') each by name."""
    bare = events["actor"].str.replace(r"\s*\(.*\)$", "", regex=True)
    return list(dict.fromkeys(name for joined in bare for name in joined.split("; ")))


def reactions(week: pd.DataFrame, companies: pd.DataFrame) -> dict[str, object]:
    """Who answered the listing, by side: US groups and lawmakers, Beijing, the companies."""
    spoke = week.loc[week["category"] == "company", "companies"].dropna()
    slugs = {slug for joined in spoke for slug in joined.split(";")}
    names = companies.set_index("company")["name"]
    return {
        "us": actor_names(week[week["category"] == "us_reaction"]),
        "china": actor_names(week[week["category"] == "china_response"]),
        "not_tied": week[week["category"] == "trade_talks"],
        "companies_spoke": [names[s] for s in companies["company"] if s in slugs],
        "companies_silent": [names[s] for s in companies["company"] if s not in slugs],
    }


def us_market(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each US-market share the sources give, with the share of revenue it implies.

    A share of overseas revenue times the firmest overseas share of the same period is a share
    of total revenue, computed from two figures and labelled so; missing when no overseas share
    of that period is known.
    """
    us, financials = tables["us_share"], tables["financials"]
    names = tables["companies"].set_index("company")["name"]
    shares = financials[financials["metric"] == "overseas_share"]
    rows = []
    for row in us.itertuples():
        base = latest_figure(
            shares[(shares["company"] == row.company) & (shares["period"] == row.period)]
        )
        of_overseas = row.share_of == "overseas revenue" and base is not None
        rows.append(
            {
                "company": row.company,
                "name": names.get(row.company),
                "period": row.period,
                "year": row.year,
                "market": row.market,
                "share_pct": row.share_pct,
                "share_of": row.share_of,
                "overseas_pct": base["value"] if of_overseas else pd.NA,
                "overseas_source": base["source_url"] if of_overseas else pd.NA,
                "of_revenue_pct": row.share_pct * base["value"] / 100 if of_overseas else pd.NA,
                "source_url": row.source_url,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "company",
            "name",
            "period",
            "year",
            "market",
            "share_pct",
            "share_of",
            "overseas_pct",
            "overseas_source",
            "of_revenue_pct",
            "source_url",
        ],
    )


def story_facts(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Every number and name the story's sentences use, computed from the (as-of) tables."""
    entries, companies, events = tables["entries_2019"], tables["companies"], tables["events"]
    rule = listing(tables) or {}
    announced = rule.get("announced") or LISTING_DATE
    week = week_of_listing(events, announced, rule.get("published") or LISTING_DATE)
    talks = week[week["category"] == "trade_talks"]
    snapshot = snapshot_at(tables["financials"], companies)
    suppliers = us_suppliers(tables["suppliers"], companies)
    status = latest_status(tables["partnerships"], companies)
    names = companies.set_index("company")["name"]
    entity_list = tables.get("entity_list")
    listed = (
        still_listed_summary(entity_list, entries)
        if entity_list is not None and len(entity_list)
        else None
    )
    domestic = domestic_suppliers(tables["suppliers"], "hikvision")
    unnamed_us = tables["suppliers"][
        (tables["suppliers"]["supplier_country"] == "US") & ~tables["suppliers"]["named"]
    ].assign(name=lambda d: d["company"].map(names))
    return {
        **rule_summary(entries),
        **rule,
        "company_names": sorted(companies["name"], key=str.lower),
        "requirement": entries["license_requirement"].mode().iloc[0] if len(entries) else None,
        "week": week,
        "reacted": reactions(week, companies),
        "talks_start": talks["date"].min() if len(talks) else None,
        "known_shares": snapshot[snapshot["share_pct"].notna()],
        "later_shares": sorted(
            set(tables["financials"].query("metric == 'overseas_share'")["company"].map(names))
            - set(snapshot.loc[snapshot["share_pct"].notna(), "company"])
        ),
        "us_market": us_market(tables),
        "suppliers": suppliers[suppliers["named_us_suppliers"].notna()],
        "unnamed_us": unnamed_us,
        "hikvision_domestic": domestic,
        "ties": status,
        "institutions": institutions(status),
        "unnamed_ties": unnamed_ties(status),
        "tie_companies": list(dict.fromkeys(status["company_name"])),
        "ties_ended": status[status["outcome"] == "ended"],
        "timeline": timeline_summary(tables["rules"]),
        "milestones": milestone_dates(tables["rules"]),
        "listed": listed,
        "later_events": len(after_listing(events)),
        "hikvision_definitions": overseas_definitions(tables["financials"], "hikvision"),
        "megvii_bases": tables["financials"]
        .query("company == 'megvii' and metric == 'total_revenue' and period == 'FY 2018'")[
            "definition"
        ]
        .nunique(),
    }
