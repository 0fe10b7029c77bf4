"""The raw snapshot's manifest: every file in data/raw, its origin, licence and sha256, and for
each source table which file is current and which earlier file it supersedes.

Raw files are never edited or overwritten: a changed source arrives as a new dated snapshot
folder (`python -m entitylist update`), and the manifest points the table at it. Kept free of
pandas so that checking it costs milliseconds.
"""

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

from entitylist import atomic, paths
from entitylist.errors import ManifestError

FORMAT = 2
FIELDS = (
    "path",
    "table",
    "description",
    "origin",
    "retrieved",
    "licence",
    "sha256",
    "bytes",
    "rows",
    "supersedes",
    "removals_confirmed",
    "count_change_confirmed",
)
# A committed update that has not finished: the new manifest and the folders to move into
# place (update.update writes it; finish() completes it). Hidden, so never a raw file.
JOURNAL = ".update-journal.json"
# What an update stages before its commit: hidden, removed if it never committed.
STAGING_PREFIX = ".staging-"


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest_path(raw_dir: Path = paths.RAW) -> Path:
    """Return the manifest of a raw folder."""
    return Path(raw_dir) / paths.MANIFEST.name


def read_listing(manifest: Path = paths.MANIFEST) -> dict:
    """Return the manifest as stored: {"format", "current", "files"}; empty if absent."""
    if not manifest.exists():
        return {"format": FORMAT, "current": {}, "files": []}
    try:
        listing = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"{manifest}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        raise ManifestError(msg) from exc
    if listing.get("format") != FORMAT:
        msg = f"{manifest}: format {listing.get('format')!r}, expected {FORMAT}"
        raise ManifestError(msg)
    return listing


def read_manifest(manifest: Path = paths.MANIFEST) -> dict[str, dict]:
    """Return the manifest's file entries keyed by path relative to data/raw."""
    return {entry["path"]: entry for entry in read_listing(manifest)["files"]}


def current_files(raw_dir: Path = paths.RAW) -> dict[str, str]:
    """Return {table: path relative to data/raw} of the current file of each source table."""
    return dict(read_listing(manifest_path(raw_dir))["current"])


def current(table: str, raw_dir: Path = paths.RAW) -> Path:
    """Return the current file of a source table, or a ManifestError naming the table."""
    chosen = current_files(raw_dir).get(table)
    if chosen is None:
        msg = f"data/raw: no current file for {table!r} in {paths.MANIFEST.name}"
        raise ManifestError(msg)
    return Path(raw_dir) / chosen


def sorted_listing(entries: dict[str, dict], current_map: dict[str, str]) -> dict:
    """The manifest as stored: sorted by path so that its diffs are stable."""
    files = [{k: entries[p][k] for k in FIELDS if k in entries[p]} for p in sorted(entries)]
    return {"format": FORMAT, "current": dict(sorted(current_map.items())), "files": files}


def listing_text(listing: dict) -> str:
    """The manifest's text, the one way it is written."""
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"


def write_manifest(
    entries: dict[str, dict], current_map: dict[str, str], manifest: Path = paths.MANIFEST
) -> None:
    """Write the manifest sorted by path so that its diffs are stable."""
    atomic.write_text(manifest, listing_text(sorted_listing(entries, current_map)))


def check_chains(entries: dict[str, dict], current_map: dict[str, str], manifest: Path) -> None:
    """Each table's current file is listed, heads its chain, and supersedes only its own table."""
    superseded = {e["supersedes"] for e in entries.values() if e.get("supersedes")}
    for table, chosen in current_map.items():
        if chosen not in entries:
            # pragma: no mutate start (a message's wording)
            msg = f"{manifest.name}: current file of {table!r}, data/raw/{chosen}, is not listed"
            # pragma: no mutate end
            raise ManifestError(msg)
        if chosen in superseded:
            # pragma: no mutate start (a message's wording)
            msg = f"{manifest.name}: data/raw/{chosen} is current for {table!r} but superseded"
            # pragma: no mutate end
            raise ManifestError(msg)
    for entry in entries.values():
        older = entry.get("supersedes")
        if older and (older not in entries or entries[older].get("table") != entry.get("table")):
            # pragma: no mutate start (a message's wording)
            msg = (
                f"{manifest.name}: data/raw/{entry['path']} supersedes data/raw/{older}, "
                f"which is not a listed file of the table {entry.get('table')!r}"
            )
            # pragma: no mutate end
            raise ManifestError(msg)


def verify_manifest(raw_dir: Path = paths.RAW, manifest: Path | None = None) -> int:
    """Check every raw file against its manifest hash; return how many were checked."""
    manifest = manifest or manifest_path(raw_dir)
    if (Path(raw_dir) / JOURNAL).exists():
        msg = (
            f"data/raw: an update was stopped after it was committed ({JOURNAL} is there); "
            "run `python -m entitylist check` to finish it"
        )
        raise ManifestError(msg)
    listing = read_listing(manifest)
    entries = {entry["path"]: entry for entry in listing["files"]}
    if not entries:
        msg = f"{manifest}: missing or empty; every raw file must be listed with its sha256"
        raise ManifestError(msg)
    on_disk = {
        p.relative_to(raw_dir).as_posix()
        for p in Path(raw_dir).rglob("*")
        if p.is_file() and p != manifest and not any(part.startswith(".") for part in p.parts)
    }
    unlisted = sorted(on_disk - set(entries))
    if unlisted:
        msg = f"data/raw/{unlisted[0]}: not listed in {manifest.name}; add it with its source"
        raise ManifestError(msg)
    for rel, entry in entries.items():
        path = Path(raw_dir) / rel
        if not path.exists():
            msg = f"data/raw/{rel}: listed in {manifest.name} but missing"
            raise ManifestError(msg)
        actual = sha256(path)
        if actual != entry["sha256"]:
            msg = (
                f"data/raw/{rel}: sha256 {actual[:12]}… differs from the manifest's "
                f"{entry['sha256'][:12]}…; raw files are never edited: put the changed source "
                "in a new snapshot with `make update PACK=<folder>` "
                "(README, 'A source changed')"
            )
            raise ManifestError(msg)
    check_chains(entries, listing["current"], manifest)
    return len(entries)


def new_entry(
    listing: dict,
    rel: str,
    data: bytes,
    *,
    description: str,
    origin: str,
    licence: str,
    retrieved: str | None = None,
    table: str | None = None,
    rows: int | None = None,
    removals_confirmed: dict | None = None,
    count_change_confirmed: dict | None = None,
) -> dict:
    """The manifest entry of a new raw file; with a table, it supersedes the table's current
    file. A path already listed with other bytes is refused: raw files are immutable."""
    entries = {entry["path"]: entry for entry in listing["files"]}
    digest = hashlib.sha256(data).hexdigest()
    if rel in entries and entries[rel]["sha256"] != digest:
        msg = f"data/raw/{rel}: already listed with another sha256; raw files are immutable"
        raise ManifestError(msg)
    previous = listing["current"].get(table) if table else None
    entry = {
        "path": rel,
        "table": table,
        "description": description,
        "origin": origin,
        "retrieved": retrieved or dt.date.today().isoformat(),
        "licence": licence,
        "sha256": digest,
        "bytes": len(data),
        "rows": rows,
        "supersedes": previous if previous != rel else entries.get(rel, {}).get("supersedes"),
        "removals_confirmed": removals_confirmed or False,
    }
    if count_change_confirmed:
        entry["count_change_confirmed"] = count_change_confirmed
    return entry


def with_entries(listing: dict, added: list[dict]) -> dict:
    """The manifest with new entries listed, each made its table's current file."""
    entries = {entry["path"]: entry for entry in listing["files"]}
    current_map = dict(listing["current"])
    for entry in added:
        entries[entry["path"]] = entry
        if entry["table"]:
            current_map[entry["table"]] = entry["path"]
    return sorted_listing(entries, current_map)


def add_to_manifest(path: Path, *, raw_dir: Path = paths.RAW, **meta) -> dict:
    """List a new raw file (see new_entry); with a table, make it that table's current file.

    The file it replaces stays on disk and is recorded as superseded.
    """
    manifest = manifest_path(raw_dir)
    listing = read_listing(manifest)
    rel = Path(path).resolve().relative_to(Path(raw_dir).resolve()).as_posix()
    entry = new_entry(listing, rel, Path(path).read_bytes(), **meta)
    atomic.write_text(manifest, listing_text(with_entries(listing, [entry])))
    return entry


def consented(raw_dir: Path, raw_tables: list[str], table: str) -> set[str]:
    """The rows of a processed table whose removal `update --allow-removals` consented to, in
    the current files of the source tables behind it (consent is per file, hence per update)."""
    entries = read_manifest(manifest_path(raw_dir))
    current = current_files(raw_dir)
    keys: set[str] = set()
    for name in raw_tables:
        consent = entries.get(current.get(name, ""), {}).get("removals_confirmed")
        if isinstance(consent, dict):
            keys.update(consent.get("processed", {}).get(table, []))
    return keys


# ---------------------------------------------------------------------------------------
# Committing an update: every new folder and the manifest, all or nothing


def commit(raw_dir: Path, moves: dict[Path, Path], listing: dict) -> None:
    """Commit staged folders and the manifest that lists them: the journal, written in one
    rename, is the commit; before it nothing is published, after it finish() completes it."""
    journal = {
        "renames": [
            [staged.relative_to(raw_dir).as_posix(), final.relative_to(raw_dir).as_posix()]
            for staged, final in moves.items()
        ],
        "manifest": listing,
    }
    atomic.write_text(Path(raw_dir) / JOURNAL, json.dumps(journal, indent=2) + "\n")
    finish(raw_dir)


def finish(raw_dir: Path = paths.RAW) -> str | None:
    """Complete a committed update, or remove what an uncommitted one staged; say which."""
    raw_dir = Path(raw_dir)
    journal_file = raw_dir / JOURNAL
    if not journal_file.exists():
        leftovers = [p for p in raw_dir.glob(f"*/{STAGING_PREFIX}*") if p.is_dir()]
        for staged in leftovers:
            shutil.rmtree(staged)
        return (
            f"removed {len(leftovers)} folder(s) an unfinished update staged"
            if leftovers
            else None
        )
    journal = json.loads(journal_file.read_text(encoding="utf-8"))
    for staged, final in journal["renames"]:
        if (raw_dir / staged).exists() and not (raw_dir / final).exists():
            (raw_dir / staged).rename(raw_dir / final)
        if not (raw_dir / final).exists():
            # pragma: no mutate start (a message's wording)
            msg = f"data/raw/{final}: missing; the update in {JOURNAL} cannot be finished"
            # pragma: no mutate end
            raise ManifestError(msg)
    atomic.write_text(manifest_path(raw_dir), listing_text(journal["manifest"]))
    journal_file.unlink()
    return "finished an update that was stopped after it was committed"


def latest_retrieval(raw_dir: Path = paths.RAW) -> str:
    """Return the latest retrieval date among the current files: the snapshot's date."""
    entries = read_manifest(manifest_path(raw_dir))
    return max(entries[path]["retrieved"] for path in current_files(raw_dir).values())
