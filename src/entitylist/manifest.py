"""The raw snapshot's manifest: every file in data/raw with its origin, licence and sha256.

Kept free of pandas so that checking it costs milliseconds.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path

from entitylist import atomic, paths
from entitylist.errors import ManifestError


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(manifest: Path = paths.MANIFEST) -> dict[str, dict]:
    """Return the manifest's entries keyed by file path relative to data/raw."""
    if not manifest.exists():
        return {}
    try:
        listing = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"{manifest}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        raise ManifestError(msg) from exc
    return {entry["path"]: entry for entry in listing["files"]}


def write_manifest(entries: dict[str, dict], manifest: Path = paths.MANIFEST) -> None:
    """Write the manifest sorted by path so that its diffs are stable."""
    listing = {"files": [entries[key] for key in sorted(entries)]}
    atomic.write_text(manifest, json.dumps(listing, indent=2, ensure_ascii=False) + "\n")


def verify_manifest(raw_dir: Path = paths.RAW, manifest: Path | None = None) -> int:
    """Check every raw file against its manifest hash; return how many were checked."""
    manifest = manifest or raw_dir / paths.MANIFEST.name
    entries = read_manifest(manifest)
    if not entries:
        msg = f"{manifest}: missing or empty; every raw file must be listed with its sha256"
        raise ManifestError(msg)
    on_disk = {
        p.relative_to(raw_dir).as_posix()
        for p in raw_dir.rglob("*")
        if p.is_file() and p != manifest and not p.name.startswith(".")
    }
    unlisted = sorted(on_disk - set(entries))
    if unlisted:
        msg = f"data/raw/{unlisted[0]}: not listed in {manifest.name}; add it with its source"
        raise ManifestError(msg)
    for rel, entry in entries.items():
        path = raw_dir / rel
        if not path.exists():
            msg = f"data/raw/{rel}: listed in {manifest.name} but missing"
            raise ManifestError(msg)
        actual = sha256(path)
        if actual != entry["sha256"]:
            msg = (
                f"data/raw/{rel}: sha256 {actual[:12]}… differs from the manifest's "
                f"{entry['sha256'][:12]}…; raw files are never edited, add a new snapshot instead"
            )
            raise ManifestError(msg)
    return len(entries)


def add_to_manifest(
    path: Path,
    *,
    description: str,
    origin: str,
    licence: str,
    retrieved: str | None = None,
    raw_dir: Path = paths.RAW,
) -> dict:
    """List a new raw file in the manifest; refuse to re-list a file whose bytes changed."""
    manifest = raw_dir / paths.MANIFEST.name
    entries = read_manifest(manifest)
    rel = Path(path).resolve().relative_to(raw_dir.resolve()).as_posix()
    digest = sha256(path)
    if rel in entries and entries[rel]["sha256"] != digest:
        msg = f"data/raw/{rel}: already listed with another sha256; raw files are immutable"
        raise ManifestError(msg)
    entry = {
        "path": rel,
        "description": description,
        "origin": origin,
        "retrieved": retrieved or dt.date.today().isoformat(),
        "licence": licence,
        "sha256": digest,
        "bytes": Path(path).stat().st_size,
    }
    entries[rel] = entry
    write_manifest(entries, manifest)
    return entry
