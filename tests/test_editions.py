"""Screening-list editions compared entry by entry: a stable key per entry, removals and
renames named and refused without consent, a big count change refused without consent, and
`make update` committing the snapshot and its manifest whole whatever moment it is killed."""

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import tree
from entitylist.cli import main
from entitylist.data import csl, manifest, sources, update
from entitylist.errors import RawDataError

LIST = sources.RAW_TABLES[sources.SCREENING_LIST]


def entity_rows(document: dict) -> list[dict]:
    """The compact file's Entity List entries, in file order."""
    el = document["tables"]["sources"].index(csl.EL_SOURCE)
    return [entry for entry in document["entries"] if entry["s"] == el]


def key_of(entry: dict) -> str:
    """An entry's key as the rule writes it (the entries used here share it with no other)."""
    cited = csl.parse_citations(entry.get("fr"))
    first = cited[0].citation if cited else None
    countries = "; ".join(sorted(set(entry.get("c") or []))) or "-"
    return f"{entry['n']} | {countries} | {first or '-'}"


def second_edition(pack: Path) -> dict[str, str]:
    """Make the pack's list a later edition: one entry removed, one added, one renamed.

    Returns the keys involved. The entries chosen are outside China and Hong Kong, so the
    story's own entries and counts are untouched.
    """
    path = pack / LIST.in_pack
    document = json.loads(path.read_bytes())
    document["sourceGeneratedAt"] = "2026-08-31T13:15:00+00:00"
    rows = [e for e in entity_rows(document) if set(e.get("c") or []) == {"AF"} and e.get("fr")]
    gone, renamed = rows[0], rows[1]
    keys = {"removed": key_of(gone), "renamed_from": key_of(renamed)}
    document["entries"].remove(gone)
    # A renamed entry keeps its old name as an alias, as the list does.
    renamed["a"] = [*(renamed.get("a") or []), renamed["n"]]
    renamed["n"] = renamed["n"] + " (Kabul Branch)"
    keys["renamed_to"] = key_of(renamed)
    added = {**rows[2], "n": "Example Trading Co.", "a": [], "fr": "91 FR 12345, 8/20/26."}
    document["entries"].append(added)
    keys["added"] = key_of(added)
    path.write_text(json.dumps(document), encoding="utf-8")
    return keys


def test_the_entry_key_rule(tables):
    listing = tables["entity_list"]
    assert listing["entry_key"].is_unique
    first = listing.iloc[0]
    assert first["entry_key"] == (
        f"{first['name']} | {first['countries'] or '-'} | {first['first_citation'] or '-'}"
    )


def test_records_sharing_name_countries_and_first_citation_get_their_citations_then_a_number():
    names = pd.Series(["A", "A", "A", "B"])
    countries = pd.Series(["CN", "CN", "CN", None])
    fr_text = pd.Series(["84 FR 1; 85 FR 2", "84 FR 1;  85 FR 2", "84 FR 1", None])
    keys = csl.entry_keys(names, countries, ["84 FR 1", "84 FR 1", "84 FR 1", None], fr_text)
    assert keys == [
        "A | CN | 84 FR 1 | 84 FR 1; 85 FR 2",
        "A | CN | 84 FR 1 | 84 FR 1; 85 FR 2 #2",
        "A | CN | 84 FR 1 | 84 FR 1",
        "B | - | -",
    ]


def test_an_entry_keeps_its_key_when_entries_above_it_come_and_go(pack_copy: Path):
    data = (pack_copy / LIST.in_pack).read_bytes()
    before = update.edition(data, "first")
    second_edition(pack_copy)
    after = update.edition((pack_copy / LIST.in_pack).read_bytes(), "second")
    shared = before.index.intersection(after.index)
    assert len(shared) == len(before) - 2
    # The rows moved up by one, their keys did not.
    moved = [k for k in shared if before.loc[k, "entry_id"] != after.loc[k, "entry_id"]]
    assert moved


def test_a_second_edition_through_make_update_names_each_change_and_needs_consent(
    raw_copy: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    from entitylist import paths

    monkeypatch.setattr(paths, "RAW", raw_copy)
    keys = second_edition(pack_copy)
    before = tree(raw_copy)
    assert main(["update", str(pack_copy)]) == 1
    err = capsys.readouterr().err
    assert f"- {keys['removed']}" in err
    assert f"renamed: {keys['renamed_from']} -> {keys['renamed_to']}" in err
    assert "--allow-removals" in err
    assert tree(raw_copy) == before

    assert main(["update", str(pack_copy), "--allow-removals", "--retrieved", "2026-12-01"]) == 0
    err = capsys.readouterr().err
    assert "screening-list: 3420 -> 3420 entries; 1 of 3420 entries REMOVED; 1 renamed" in err
    assert f"+ {keys['added']}" in err
    assert f"- {keys['removed']}" in err
    current = manifest.current(sources.SCREENING_LIST, raw_copy)
    assert current.parent.name == "2026-08-31"
    entry = manifest.read_manifest(raw_copy / "manifest.json")[
        current.relative_to(raw_copy).as_posix()
    ]
    consent = entry["removals_confirmed"]
    assert sorted(consent["rows"]) == sorted([keys["removed"], keys["renamed_from"]])
    assert sorted(consent["processed"]["entity_list"]) == sorted(consent["rows"])
    manifest.verify_manifest(raw_copy)


def test_an_edition_that_moves_the_count_by_more_than_a_tenth_needs_its_own_consent(
    raw_copy: Path, pack_copy: Path
):
    path = pack_copy / LIST.in_pack
    document = json.loads(path.read_bytes())
    rows = entity_rows(document)
    extra = [{**row, "n": f"{row['n']} (new {i})"} for i, row in enumerate(rows[: len(rows) // 8])]
    document["entries"] += extra
    path.write_text(json.dumps(document), encoding="utf-8")
    before = tree(raw_copy)
    with pytest.raises(
        RawDataError,
        match=r"(?s)3,420 -> 3,847 Entity List entries \(\+12\.5%\).*--allow-count-change",
    ):
        update.update(pack_copy, raw_dir=raw_copy, allow_removals=True)
    assert tree(raw_copy) == before
    report = update.update(pack_copy, raw_dir=raw_copy, allow_count_change=True)
    (change,) = report.changes
    assert (change.before, change.after, len(change.added)) == (3420, 3847, 427)
    entry = manifest.read_manifest(raw_copy / "manifest.json")[
        report.written[0].relative_to(raw_copy).as_posix()
    ]
    assert entry["count_change_confirmed"]["after"] == 3847


def test_a_count_change_within_a_tenth_needs_no_consent(raw_copy: Path, pack_copy: Path):
    path = pack_copy / LIST.in_pack
    document = json.loads(path.read_bytes())
    rows = entity_rows(document)
    document["entries"] += [{**row, "n": f"{row['n']} (new)"} for row in rows[:342]]
    path.write_text(json.dumps(document), encoding="utf-8")
    report = update.update(pack_copy, raw_dir=raw_copy, dry_run=True)
    assert report.changes[0].after == 3762


# Runs `update` in a real process that SIGKILLs itself just before its Nth rename, replace or
# unlink: every moment at which the files on disk change.
KILLER = """
import os, signal, sys
from pathlib import Path
from entitylist import paths
from entitylist.cli import main

raw, pack, kill_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
paths.RAW = raw
calls = 0

def deadly(real):
    def call(*args, **kwargs):
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call

for name in ("rename", "replace", "unlink"):
    setattr(os, name, deadly(getattr(os, name)))
sys.exit(main(["update", pack, "--allow-removals", "--retrieved", "2026-12-01"]))
"""


def state(raw: Path) -> dict[str, str]:
    """The current file of every table, after checking every file against the manifest."""
    manifest.verify_manifest(raw)
    return manifest.current_files(raw)


def test_a_kill_at_any_moment_of_an_update_leaves_the_old_snapshot_or_the_new(
    raw_copy: Path, pack_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import shutil
    import signal
    import subprocess
    import sys

    from entitylist import paths

    second_edition(pack_copy)
    revenue = pack_copy / sources.REVENUE
    revenue.write_text(revenue.read_text(encoding="utf-8").replace("Dahua,", "Dahua ,", 1))
    pristine = tmp_path / "pristine"
    shutil.copytree(raw_copy, pristine)
    old = state(raw_copy)
    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference)
    update.update(pack_copy, raw_dir=reference, allow_removals=True, retrieved="2026-12-01")
    new = state(reference)
    assert len({t for t in new if new[t] != old[t]}) == 2  # two tables, two new folders

    outcomes, kill_at = [], 1
    while True:
        shutil.rmtree(raw_copy)
        shutil.copytree(pristine, raw_copy)
        args = [str(raw_copy), str(pack_copy), str(kill_at)]
        done = subprocess.run([sys.executable, "-c", KILLER, *args], capture_output=True)
        if done.returncode == 0:
            assert state(raw_copy) == new
            break
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()
        if (raw_copy / manifest.JOURNAL).exists():
            # Committed: the render refuses and says what to do; `check` finishes it.
            with pytest.raises(Exception, match=r"python -m entitylist check"):
                manifest.verify_manifest(raw_copy)
            monkeypatch.setattr(paths, "RAW", raw_copy)
            assert main(["check"]) == 0
            assert state(raw_copy) == new
            outcomes.append("new")
        else:
            seen = state(raw_copy)
            assert seen in (old, new), f"killed at call {kill_at}: {seen}"
            outcomes.append("old" if seen == old else "new")
            # The next update recovers: it removes what was staged, and takes the pack in.
            update.update(pack_copy, raw_dir=raw_copy, allow_removals=True, retrieved="2026-12-01")
            assert state(raw_copy) == new
        assert not list(raw_copy.glob(f"*/{manifest.STAGING_PREFIX}*"))
        kill_at += 1
    assert {"old", "new"} <= set(outcomes), outcomes


# The comparison itself, on the real list and a second edition made from it (no update run).


def editions(pack: Path, change) -> tuple[bytes, bytes, object]:
    """The pack's list before and after change(document); returns both and what change gave."""
    path = pack / LIST.in_pack
    old = path.read_bytes()
    document = json.loads(old)
    given = change(document)
    return old, json.dumps(document).encode("utf-8"), given


def test_editions_are_compared_entry_by_entry_naming_each_change(pack_copy: Path):
    old = (pack_copy / LIST.in_pack).read_bytes()
    keys = second_edition(pack_copy)
    new = (pack_copy / LIST.in_pack).read_bytes()
    change = update.compare(LIST, old, new)
    assert (change.table, change.before, change.after, change.unit) == (
        LIST.name,
        3420,
        3420,
        "entries",
    )
    assert change.added == [keys["added"]]
    assert change.removed == [keys["removed"]]
    assert change.renamed == {keys["renamed_from"]: keys["renamed_to"]}
    assert change.lost == [keys["removed"], keys["renamed_from"]]
    assert change.changed == {}
    first = update.compare(LIST, None, new)
    assert (first.before, first.after, first.lost, first.unit) == (0, 3420, [], "entries")


def test_a_changed_entry_is_reported_by_its_key_and_field(pack_copy: Path):
    def realias(document: dict) -> tuple[str, str]:
        entry = [e for e in entity_rows(document) if e.get("a")][0]
        aliases = "; ".join(entry["a"])
        entry["a"] = [*entry["a"], "Another Alias"]
        return key_of(entry), aliases

    old, new, (key, aliases) = editions(pack_copy, realias)
    change = update.compare_editions(LIST, old, new)
    assert (change.added, change.removed, change.renamed) == ([], [], {})
    assert change.changed == {key: {"aliases": (aliases, f"{aliases}; Another Alias")}}


def test_a_new_name_is_a_rename_only_when_it_keeps_the_old_one_and_pairs_one_to_one(
    pack_copy: Path,
):
    def rename_two_ways(document: dict) -> dict[str, str]:
        rows = [e for e in entity_rows(document) if set(e.get("c") or []) == {"AF"}]
        plain, twice = rows[0], rows[1]
        keys = {"plain": key_of(plain), "twice": key_of(twice)}
        # A new name without the old one among its aliases: a removal and an addition.
        plain["n"] += " (renamed, old name dropped)"
        plain["a"] = ["Something Else"]
        # Two new entries that both keep the old name: no way to tell which is the rename.
        copy = {**twice, "n": twice["n"] + " (East)", "a": [twice["n"]]}
        twice["a"] = [twice["n"]]
        twice["n"] += " (West)"
        document["entries"].append(copy)
        return keys

    old, new, keys = editions(pack_copy, rename_two_ways)
    change = update.compare_editions(LIST, old, new)
    assert change.renamed == {}
    assert sorted(change.removed) == sorted(keys.values())
    assert len(change.added) == 3


def test_a_rename_keeps_countries_and_citations(pack_copy: Path):
    def moved(document: dict) -> str:
        entry = [e for e in entity_rows(document) if set(e.get("c") or []) == {"AF"}][0]
        key = key_of(entry)
        entry["a"] = [*(entry.get("a") or []), entry["n"]]
        entry["n"] += " (moved)"
        entry["c"] = ["PK"]
        return key

    old, new, key = editions(pack_copy, moved)
    change = update.compare_editions(LIST, old, new)
    assert change.renamed == {}
    assert change.removed == [key]


@pytest.mark.parametrize(
    ("before", "after", "needs_consent"),
    [
        (3420, 3762, False),  # +10.0%: within the bound
        (3420, 3763, True),
        (3420, 3078, False),  # -10.0%
        (3420, 3077, True),
        (0, 3420, False),  # a first edition has nothing to move from
    ],
)
def test_an_entry_count_may_move_by_a_tenth_without_consent(before, after, needs_consent):
    change = update.TableChange(LIST.name, before, after, unit="entries")
    said = update.count_change(change)
    assert (said is not None) == needs_consent
    if needs_consent:
        assert f"{before:,}" in said
        assert f"{after:,}" in said
        assert LIST.name in said
    # Rows of a table are never held to the list's bound.
    assert update.count_change(update.TableChange("events.csv", before, after)) is None


def test_consent_records_the_rows_this_file_loses_and_its_count_change():
    change = update.TableChange(
        LIST.name,
        3420,
        3000,
        removed=["A | CN | 84 FR 1"],
        renamed={"B | - | -": "B2 | - | -"},
        unit="entries",
    )
    other = update.TableChange("events.csv", 61, 60, removed=["2019-10-09 | x | y"])
    report = update.UpdateReport(changes=[change, other])
    lost = {"entity_list": ["A | CN | 84 FR 1"], "events": ["2019-10-09 | x | y"]}
    given = update.consents(LIST.name, report, lost, "2026-12-01T00:00:00+00:00")
    assert given["removals_confirmed"] == {
        "at": "2026-12-01T00:00:00+00:00",
        "rows": ["A | CN | 84 FR 1", "B | - | -"],
        "processed": {"entity_list": ["A | CN | 84 FR 1"]},
    }
    assert given["count_change_confirmed"] == {
        "at": "2026-12-01T00:00:00+00:00",
        "before": 3420,
        "after": 3000,
    }
    # Rows lost from a table whose processed rows all stay still need their consent recorded.
    only_raw = update.consents("events.csv", report, {}, "2026-12-01T00:00:00+00:00")
    assert only_raw["removals_confirmed"]["rows"] == ["2019-10-09 | x | y"]
    assert only_raw["removals_confirmed"]["processed"] == {}
    quiet = update.UpdateReport(changes=[update.TableChange(LIST.name, 3420, 3421)])
    assert update.consents(LIST.name, quiet, {}, "now") == {}
