"""The update path's parts on small inputs made from real rows: editions of a few real list
entries, one table's rows, a snapshot written without cleaning. Each runs in well under a
second, so that `make mutation` judges the update path's mutants here first (README,
"Mutation testing"); the whole-pack tests in test_sources.py and test_editions.py check the
same path end to end."""

import csv
import functools
import io
import json
from pathlib import Path

import pytest

from conftest import tree
from entitylist.data import csl, manifest, sources, update
from entitylist.errors import DeskError, RawDataError

LIST = sources.RAW_TABLES[sources.SCREENING_LIST]
EVENTS = sources.RAW_TABLES[sources.EVENTS]


@functools.cache
def real_list() -> dict:
    """The committed screening list's compact document, read once."""
    return json.loads(manifest.current(sources.SCREENING_LIST).read_bytes())


def entity_entries() -> list[dict]:
    """The list's Entity List entries, in file order (fresh copies, to change)."""
    document = real_list()
    el = document["tables"]["sources"].index(csl.EL_SOURCE)
    return [json.loads(json.dumps(e)) for e in document["entries"] if e["s"] == el]


def noisy_entries() -> list[dict]:
    """Five real entries with the list's noise: several aliases and countries, no citation,
    no country, one citation shared with another entry."""
    entries = entity_entries()
    many = [e for e in entries if len(e.get("a") or []) > 1 and len(e.get("c") or []) > 1]
    return [
        *many[:2],
        next(e for e in entries if "fr" not in e),
        next(e for e in entries if "c" not in e),
        next(e for e in entries if e.get("fr") == many[0].get("fr") and e is not many[0]),
    ]


def edition_bytes(entries: list[dict], generated: str = "2026-08-31T13:15:00+00:00") -> bytes:
    """A compact edition of the list holding only these entries (and one entry of another
    list, which the Entity List never counts)."""
    document = real_list()
    other = next(
        e for e in document["entries"] if document["tables"]["sources"][e["s"]] != csl.EL_SOURCE
    )
    mini = {**document, "sourceGeneratedAt": generated, "entries": [other, *entries]}
    mini["entryCount"] = len(mini["entries"])
    return json.dumps(mini).encode("utf-8")


def keys_of(data: bytes) -> list[str]:
    """The entry keys of an edition, in file order."""
    return update.edition(data, "test").index.tolist()


def test_a_first_edition_has_nothing_to_compare_with():
    entries = noisy_entries()
    change = update.compare(LIST, None, edition_bytes(entries))
    assert (change.table, change.before, change.after) == (LIST.name, 0, len(entries))
    assert (change.unit, change.removed, change.renamed, change.changed) == ("entries", [], {}, {})
    assert change.lost == []


def test_a_second_edition_names_the_entry_removed_added_renamed_and_changed():
    entries = noisy_entries()
    old = edition_bytes(entries)
    first, second, uncited, stateless, sharing = (json.loads(json.dumps(e)) for e in entries)
    # The second entry is renamed, keeping its old name as an alias, as the list does.
    second["a"] = [*second["a"], second["n"]]
    second["n"] += " (Singapore Branch)"
    # The uncited entry's licence policy changes; the countryless one leaves.
    uncited["lp"] = next(i for i in range(5) if i != uncited["lp"])
    arrived = {**entity_entries()[-1], "n": "Example Trading Co.", "a": []}
    new = edition_bytes([first, second, uncited, sharing, arrived])
    old_keys, new_keys = keys_of(old), keys_of(new)

    change = update.compare(LIST, old, new)

    assert (change.before, change.after, change.unit) == (5, 5, "entries")
    assert change.removed == [old_keys[3]]
    assert change.added == [new_keys[4]]
    assert change.renamed == {old_keys[1]: new_keys[1]}
    assert list(change.changed) == [old_keys[2]]
    policy = change.changed[old_keys[2]]
    assert list(policy) == ["license_policy"]
    assert policy["license_policy"][0] != policy["license_policy"][1]
    assert change.lost == [old_keys[3], old_keys[1]]
    # Nothing else moved: the same edition compared with itself is no change at all.
    same = update.compare(LIST, old, old)
    assert (same.added, same.removed, same.renamed, same.changed) == ([], [], {}, {})


def test_a_candidate_that_is_no_list_is_named_as_the_update_candidate():
    old = edition_bytes(noisy_entries())
    for new in (b"", b'{"entries": 3}'):
        with pytest.raises(DeskError) as caught:
            update.compare(LIST, old, new)
        assert f"{LIST.in_pack} (update candidate)" in str(caught.value)
    # A current edition that no longer reads is named as the table's current file.
    with pytest.raises(DeskError) as caught:
        update.compare(LIST, b"", old)
    assert str(caught.value).startswith(f"{LIST.name}: ")


def test_changed_entries_are_reported_in_the_order_of_the_list():
    entries = noisy_entries()
    # Two entries change, the later one first in the alphabet: the report keeps file order.
    earlier, later = next(
        (i, j)
        for i in range(len(entries))
        for j in range(i + 1, len(entries))
        if entries[i]["n"] > entries[j]["n"]
    )
    fresh = [json.loads(json.dumps(e)) for e in entries]
    for i in (earlier, later):
        fresh[i]["lr"] = next(n for n in range(9) if n != entries[i]["lr"])
    # An entry arrives too: the two editions' keys differ, as they do from week to week.
    old, new = edition_bytes(entries), edition_bytes([*fresh, entity_entries()[-1]])
    keys = keys_of(old)
    assert sorted([keys[earlier], keys[later]]) != [keys[earlier], keys[later]]
    assert list(update.compare(LIST, old, new).changed) == [keys[earlier], keys[later]]


def renamed_pair(change_new) -> tuple[bytes, bytes, list[str], list[str]]:
    """An edition of the noisy entries and one where the first is renamed and then changed
    by change_new(old entry, new entry); the keys of both."""
    entries = noisy_entries()
    old = edition_bytes(entries)
    fresh = json.loads(json.dumps(entries[0]))
    fresh["n"] = "Kurshid Ghoura Trading" if fresh["n"] != "Kurshid Ghoura Trading" else "X"
    change_new(entries[0], fresh)
    new = edition_bytes([fresh, *entries[1:]])
    return old, new, keys_of(old), keys_of(new)


def test_a_rename_is_the_old_name_kept_as_an_alias_or_the_same_aliases():
    def as_alias(old: dict, fresh: dict) -> None:
        fresh["a"] = [*(old.get("a") or []), old["n"]]

    old, new, before, after = renamed_pair(as_alias)
    assert update.compare_editions(LIST, old, new).renamed == {before[0]: after[0]}

    old, new, before, after = renamed_pair(lambda old, fresh: None)  # same aliases
    change = update.compare_editions(LIST, old, new)
    assert change.renamed == {before[0]: after[0]}
    assert (change.added, change.removed) == ([], [])


@pytest.mark.parametrize(
    "differ",
    [
        pytest.param(lambda old, fresh: fresh.update(a=["Someone Else"]), id="other aliases"),
        pytest.param(lambda old, fresh: fresh.update(c=["PK"]), id="other countries"),
        pytest.param(lambda old, fresh: fresh.update(fr="99 FR 1"), id="other citations"),
    ],
)
def test_a_new_name_without_the_old_ones_facts_is_a_removal_and_an_addition(differ):
    old, new, before, after = renamed_pair(differ)
    change = update.compare_editions(LIST, old, new)
    assert change.renamed == {}
    assert change.removed == [before[0]]
    assert change.added == [after[0]]


def test_a_rename_ignores_how_the_citations_are_spaced():
    def respaced(old: dict, fresh: dict) -> None:
        fresh["a"] = [*(old.get("a") or []), old["n"]]
        fresh["fr"] = "  " + old["fr"].replace(" ", "  ") + " "

    old, new, before, after = renamed_pair(respaced)
    assert update.compare_editions(LIST, old, new).renamed == {before[0]: after[0]}


def test_a_rename_pairs_one_to_one_or_not_at_all():
    entries = noisy_entries()
    old_entry = entries[0]
    twins = [
        {**old_entry, "n": f"{old_entry['n']} ({place})", "a": [*old_entry["a"], old_entry["n"]]}
        for place in ("East", "West")
    ]
    old, new = edition_bytes(entries), edition_bytes([*twins, *entries[1:]])
    change = update.compare_editions(LIST, old, new)
    # Two candidates for one old name: neither is taken for it.
    assert change.renamed == {}
    assert change.removed == [keys_of(old)[0]]
    assert sorted(change.added) == sorted(keys_of(new)[:2])
    # Two old entries that one new entry continues: neither is paired.
    merged = {**old_entry, "n": f"{old_entry['n']} Group", "a": [t["n"] for t in twins]}
    old, new = edition_bytes([*twins, *entries[1:]]), edition_bytes([merged, *entries[1:]])
    change = update.compare_editions(LIST, old, new)
    assert change.renamed == {}
    assert sorted(change.removed) == sorted(keys_of(old)[:2])
    assert change.added == keys_of(new)[:1]


def csv_bytes(rows: list[dict]) -> bytes:
    """Rows written as the pack writes a CSV table."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def real_rows(table: str) -> list[dict]:
    """A table's current rows, as text."""
    path = manifest.current(table)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rows_of_a_table_added_removed_and_changed_by_key():
    rows = real_rows(sources.EVENTS)[:6]
    table = EVENTS
    old = csv_bytes(rows)
    keys = update.row_keys(update.read_csv_text(old.decode(), "old", table.key), table.key)
    changed = dict(rows[2])
    column = next(c for c in changed if c not in table.key and changed[c])
    changed[column] += " (corrected)"
    arrived = {**rows[5], table.key[-1]: rows[5][table.key[-1]] + " (again)"}
    new = csv_bytes([rows[0], rows[1], changed, rows[3], rows[4], arrived])
    change = update.compare(table, old, new)
    assert (change.table, change.before, change.after, change.unit) == (table.name, 6, 6, "rows")
    assert change.removed == [keys[5]]
    assert len(change.added) == 1
    assert change.added[0] != keys[5]
    assert change.changed == {keys[2]: {column: (rows[2][column], changed[column])}}
    first = update.compare(table, None, new)
    assert (first.before, first.after, first.removed) == (0, 6, [])
    assert len(first.added) == 6


def test_a_key_given_twice_in_a_candidate_is_refused():
    rows = real_rows(sources.EVENTS)[:3]
    column = next(c for c in rows[0] if c not in EVENTS.key)
    again = {**rows[0], column: rows[0][column] + " (again)"}
    with pytest.raises(RawDataError, match=r"rows 1 and 3"):
        update.compare(EVENTS, csv_bytes(rows), csv_bytes([rows[0], rows[1], again]))


def test_a_current_table_that_no_longer_reads_is_named_by_its_table():
    rows = real_rows(sources.EVENTS)[:3]
    with pytest.raises(DeskError) as caught:
        update.compare(EVENTS, b"", csv_bytes(rows))
    assert str(caught.value).startswith(f"{EVENTS.name}: ")


def changed_events() -> bytes:
    """The current events table less its last row, a real row changed."""
    rows = real_rows(sources.EVENTS)
    return csv_bytes(rows[:-1])


def test_a_snapshot_is_staged_then_committed_with_its_consents(raw_copy: Path):
    old_list = manifest.current(LIST.name, raw_copy)
    events, listing = changed_events(), edition_bytes(noisy_entries())
    candidates = {EVENTS.name: events, LIST.name: listing}
    events_change = update.compare(
        EVENTS, manifest.current(EVENTS.name, raw_copy).read_bytes(), events
    )
    list_change = update.TableChange(LIST.name, 3420, 5, unit="entries")
    report = update.UpdateReport(changes=[events_change, list_change])
    lost = {"events": events_change.removed}
    before = tree(raw_copy)
    old_events = manifest.current(EVENTS.name, raw_copy)

    written = update.write_snapshot(raw_copy, candidates, "2026-12-24", report, lost)

    events_path, list_path = written
    # The CSV is dated by its retrieval, the list by the day its source was generated.
    assert events_path == raw_copy / "pack" / "2026-12-24" / EVENTS.name
    assert list_path.parent == raw_copy / LIST.folder / "2026-08-31"
    assert events_path.read_bytes() == events
    assert list_path.read_bytes() == listing
    assert oct(events_path.parent.stat().st_mode & 0o777) == "0o755"
    assert manifest.current(EVENTS.name, raw_copy) == events_path
    assert manifest.current(LIST.name, raw_copy) == list_path
    manifest.verify_manifest(raw_copy)
    # Old files are never rewritten, and nothing staged is left behind.
    after = tree(raw_copy)
    assert {k: after[k] for k in before if k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    assert not [p for p in raw_copy.rglob(f"{manifest.STAGING_PREFIX}*")]
    assert not (raw_copy / manifest.JOURNAL).exists()
    entries = manifest.read_manifest(manifest.manifest_path(raw_copy))
    entry = entries[events_path.relative_to(raw_copy).as_posix()]
    assert entry["table"] == EVENTS.name
    assert entry["rows"] == events_change.after
    assert entry["retrieved"] == "2026-12-24"
    assert entry["supersedes"] == old_events.relative_to(raw_copy).as_posix()
    assert (entry["origin"], entry["licence"], entry["description"]) == (
        EVENTS.origin,
        EVENTS.licence,
        EVENTS.description,
    )
    assert entry["removals_confirmed"]["rows"] == events_change.removed
    assert entry["removals_confirmed"]["processed"] == lost
    listed = entries[list_path.relative_to(raw_copy).as_posix()]
    assert listed["rows"] == len(json.loads(listing)["entries"])
    assert listed["supersedes"] == old_list.relative_to(raw_copy).as_posix()
    assert listed["removals_confirmed"] is False
    assert listed["count_change_confirmed"]["before"] == 3420
    assert listed["origin"] == LIST.origin


def test_a_second_snapshot_of_the_same_day_gets_its_own_folder(raw_copy: Path):
    rows = real_rows(sources.EVENTS)
    report = update.UpdateReport()
    first_events = csv_bytes(rows[:-1])
    report.changes = [update.TableChange(EVENTS.name, len(rows), len(rows) - 1)]
    (first,) = update.write_snapshot(
        raw_copy, {EVENTS.name: first_events}, "2026-12-24", report, {}
    )
    report.changes = [update.TableChange(EVENTS.name, len(rows) - 1, len(rows) - 2)]
    (second,) = update.write_snapshot(
        raw_copy, {EVENTS.name: csv_bytes(rows[:-2])}, "2026-12-24", report, {}
    )
    assert second.parent.name == "2026-12-24.2"
    assert first.read_bytes() == first_events
    entries = manifest.read_manifest(manifest.manifest_path(raw_copy))
    assert (
        entries[second.relative_to(raw_copy).as_posix()]["supersedes"]
        == first.relative_to(raw_copy).as_posix()
    )


def test_a_snapshot_that_fails_while_staged_leaves_nothing(raw_copy: Path):
    # The second table of the folder is not text: the first is staged already when it fails.
    candidates = {EVENTS.name: changed_events(), sources.REVENUE: b"\xff\xfe not text"}
    report = update.UpdateReport(changes=[update.TableChange(name, 1, 1) for name in candidates])
    before = tree(raw_copy)
    with pytest.raises(UnicodeDecodeError):
        update.write_snapshot(raw_copy, candidates, "2026-12-24", report, {})
    assert tree(raw_copy) == before
    assert not (raw_copy / "pack" / "2026-12-24").exists()


def test_an_unchanged_pack_is_vetted_without_cleaning_and_writes_nothing(raw_copy: Path):
    current = {name: manifest.current(name, raw_copy).read_bytes() for name in sources.RAW_TABLES}
    before = tree(raw_copy)
    report, candidates, lost = update.vet(current, raw_copy)
    assert (report.changes, candidates, lost) == ([], {}, {})
    assert sorted(report.unchanged) == sorted(sources.RAW_TABLES)
    taken = update.take_in(current, raw_copy, "2026-12-24")
    assert (taken.changes, taken.written) == ([], [])
    assert sorted(taken.unchanged) == sorted(sources.RAW_TABLES)
    assert tree(raw_copy) == before


def test_taking_in_finishes_a_stopped_update_first(raw_copy: Path):
    staging = raw_copy / "pack" / f"{manifest.STAGING_PREFIX}2026-12-24.x"
    staging.mkdir()
    (staging / EVENTS.name).write_bytes(changed_events())
    current = {EVENTS.name: manifest.current(EVENTS.name, raw_copy).read_bytes()}
    update.take_in(current, raw_copy, dry_run=True)
    assert staging.exists()  # a dry run changes nothing, not even a leftover
    update.take_in(current, raw_copy)
    assert not staging.exists()
    manifest.verify_manifest(raw_copy)


def test_taking_in_a_removal_needs_consent_unless_it_is_given(raw_copy: Path):
    # take_in and vet (fetch's way in) assume no consent.
    before = tree(raw_copy)
    with pytest.raises(RawDataError, match=r"--allow-removals"):
        update.take_in({EVENTS.name: changed_events()}, raw_copy, "2026-12-24")
    with pytest.raises(RawDataError, match=r"--allow-removals"):
        update.vet({EVENTS.name: changed_events()}, raw_copy)
    assert tree(raw_copy) == before


def test_a_table_new_to_the_snapshot_is_taken_in_as_all_added(raw_copy: Path):
    # us_share.csv came with a later pack: before it, the snapshot had no current file for it.
    path = manifest.manifest_path(raw_copy)
    listing = manifest.read_listing(path)
    data = manifest.current(sources.US_SHARE, raw_copy).read_bytes()
    kept = listing["current"].pop(sources.US_SHARE)
    listing["files"] = [e for e in listing["files"] if e["path"] != kept]
    (raw_copy / kept).unlink()
    path.write_text(manifest.listing_text(listing), encoding="utf-8")
    report, candidates, _ = update.vet({sources.US_SHARE: data}, raw_copy)
    (change,) = report.changes
    assert (change.table, change.before, change.removed) == (sources.US_SHARE, 0, [])
    assert change.after == len(change.added) > 0
    assert candidates == {sources.US_SHARE: data}
