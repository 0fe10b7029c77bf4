"""Publish a finished render atomically; one render at a time; recover from a killed one.

Layout under build/runs/<key>/ (one key per output root): `generations/<id>/` holds each
render's data/processed, charts and site; `state.json` records what the live outputs are;
`journal.json` exists only while a publish is under way.

Publishing, once every page passed its checks: copy data/processed and charts of the new
generation next to the live folders (same filesystem), write the journal, swap each pair with
one renameat2(RENAME_EXCHANGE), point `site` (a relative symlink) at the generation's site/,
write the state, delete the journal. A failure undoes the swaps already made. A render killed
after the journal was written is finished by the next one (the generation was complete and
checked before the journal existed); one killed before it leaves only strays, removed.
"""

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from entitylist import atomic, paths
from entitylist.errors import BusyError, PublishError

STATE_VERSION = 2
# The folders swapped in place; `site` is a symlink flipped separately.
FOLDERS = (paths.PROCESSED_NAME.as_posix(), paths.CHARTS_NAME)
CRASH_ENV = "ENTITYLIST_CRASH_AT"
RENAME_EXCHANGE = 2
# Filesystems without RENAME_EXCHANGE answer with one of these; then swap with renames.
NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}
AT_FDCWD = -100


def crash_point(name: str) -> None:
    """Die at once with SIGKILL when ENTITYLIST_CRASH_AT names this point (for fault tests)."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def remove_tree(path: Path) -> None:
    """Remove a folder the render made, also where a notebook or a hand left it read-only
    (rmtree alone would leave it beside the live outputs); a fault past that is ignored."""

    def writable_then_retry(function: Callable, name: str, exc_info: tuple) -> None:
        if not isinstance(exc_info[1], PermissionError):
            return
        with contextlib.suppress(OSError):
            Path(name).parent.chmod(0o755)
            if Path(name).is_dir() and not Path(name).is_symlink():
                Path(name).chmod(0o755)
            function(name)

    shutil.rmtree(path, onerror=writable_then_retry)


def empty_state() -> dict:
    """The state of an output root nothing has been published to."""
    return {
        "version": STATE_VERSION,
        "generation": None,
        "previous": None,
        "steps": {},
        "pages": {},
    }


def hashes(data: object) -> bool:
    """Whether parsed JSON is a map of relative paths to hashes."""
    return isinstance(data, dict) and all(isinstance(v, str) for v in data.values())


def valid_step(entry: object) -> bool:
    """Whether a step's record has the shape record() writes."""
    return (
        isinstance(entry, dict)
        and hashes(entry.get("outputs"))
        and hashes(entry.get("inputs", {}))
        and isinstance(entry.get("params", {}), dict)
    )


def valid_checked(data: object) -> bool:
    """Whether parsed JSON is the record of the site files that passed the checks."""
    return isinstance(data, dict) and (
        not data or (isinstance(data.get("key"), str) and hashes(data.get("files")))
    )


def valid_state(data: object) -> bool:
    """Whether parsed JSON has the shape this engine writes, down to each step's record."""
    return (
        isinstance(data, dict)
        and data.get("version") == STATE_VERSION
        and isinstance(data.get("generation"), str | None)
        and isinstance(data.get("previous"), str | None)
        and isinstance(data.get("steps"), dict)
        and isinstance(data.get("pages"), dict)
        and all(isinstance(v, dict) for v in data["pages"].values())
        and hashes(data.get("site", {}))
        and valid_checked(data.get("checked", {}))
        and all(valid_step(v) for v in data["steps"].values())
    )


def valid_journal(data: object) -> bool:
    """Whether parsed JSON is a journal publish() wrote."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("generation"), str)
        and "/" not in data["generation"]
        and isinstance(data.get("inodes"), dict)
        and all(isinstance(data["inodes"].get(name), int) for name in FOLDERS)
        and valid_state(data.get("state"))
    )


def quarantine(path: Path) -> Path | None:
    """Move an unusable record aside (kept for a look, never read again); return where."""
    if not path.exists():
        return None
    target = path.with_name(f"{path.name}.unusable-{time.strftime('%Y%m%dT%H%M%S')}")
    path.replace(target)
    return target


def read_journal(runs: Path) -> tuple[dict | None, str | None]:
    """The journal of an interrupted publish, or None; an unusable one is set aside, with a
    warning, and the render runs every notebook."""
    path = journal_path(runs)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError):
        data = None
    if valid_journal(data):
        return data, None
    aside = quarantine(path)
    warning = (
        f"{path}: unreadable, so an interrupted publish cannot be finished; set aside as "
        f"{aside.name if aside else 'nothing'}; running every notebook"
    )
    return None, warning


def read_state(path: Path) -> tuple[dict, str | None]:
    """Return the recorded state and a warning when it exists but cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty_state(), None
    except (OSError, UnicodeDecodeError) as exc:
        return empty_state(), f"{path}: unreadable ({exc}); running every notebook"
    try:
        data = json.loads(text)
    except ValueError:
        return empty_state(), f"{path}: unreadable (not complete JSON); running every notebook"
    if not valid_state(data):
        msg = f"{path}: not in the shape this version writes; running every notebook"
        return empty_state(), msg
    return {**empty_state(), **data}, None


def write_state(path: Path, state: dict) -> None:
    """Write the state atomically."""
    atomic.write_text(path, json.dumps(state, indent=2, sort_keys=True) + "\n")


@contextmanager
def render_lock(path: Path, wait: bool, log: Callable[[str], None]) -> Iterator[None]:
    """Hold this checkout's render lock; wait for another render, or refuse when not waiting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid, _, started = (handle.read().split() + ["?", "?", "?"])[:3]
            if not wait:
                msg = (
                    f"another render is running (pid {pid}, started at {started}); "
                    "--no-wait does not wait for it: render again when it has finished"
                )
                raise BusyError(msg) from None
            log(f"waiting for the render started by pid {pid} at {started}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} - {time.strftime('%H:%M:%S')}\n")
        handle.flush()
        yield


def exchange(a: Path, b: Path) -> None:
    """Swap two paths: one atomic renameat2(RENAME_EXCHANGE), or three renames where refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in NO_EXCHANGE:
            raise OSError(code, os.strerror(code), str(b))
    exchange_by_renames(a, b)


def exchange_by_renames(a: Path, b: Path) -> None:
    """Swap two paths with three renames: b is missing for a moment, which a journal covers.

    A rename that fails puts back the ones before it: b is never left aside, where the
    clean-up after a failed publish would delete it.
    """
    aside = set_aside(b)
    b.rename(aside)
    try:
        a.rename(b)
    except OSError:
        aside.rename(b)
        raise
    try:
        aside.rename(a)
    except OSError:
        b.rename(a)
        aside.rename(b)
        raise


def set_aside(path: Path) -> Path:
    """Where the fallback swap parks a live folder between its renames."""
    return path.with_name(f".{path.name}.aside")


def incoming(live: Path, generation: str) -> Path:
    """Where the new version of a live folder waits, next to it, before the swap."""
    return live.with_name(f".{live.name}.incoming-{generation}")


def site_target(out_root: Path, generation_dir: Path) -> str:
    """The relative link target that makes out_root/site show a generation's site."""
    return os.path.relpath(generation_dir / paths.SITE_NAME, out_root)


def generations_dir(runs: Path) -> Path:
    """Where this output root's generations are built and kept."""
    return runs / "generations"


# A generation's folder name, as new_generation makes it: the time, and six hex digits.
GENERATION_NAME = re.compile(r"\d{8}T\d{6}-[0-9a-f]{6}")


def beside_generations(generation_dir: Path) -> list[Path]:
    """What was written beside the generations (a notebook's '../'), outside any output root."""
    return sorted(
        p for p in generation_dir.parent.iterdir() if not GENERATION_NAME.fullmatch(p.name)
    )


def new_generation(
    runs: Path, out_root: Path, warn: Callable[[str], None] = lambda _: None
) -> tuple[str, Path]:
    """Start a generation as a copy of the live outputs, so steps that are skipped keep theirs.

    A real copy, not hard links: a notebook that writes a file in place (pandas to_csv,
    Path.write_text) would otherwise change the live file before anything is checked.
    """
    generation = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    target = generations_dir(runs) / generation
    try:
        for name in (*FOLDERS, paths.SITE_NAME):
            live = out_root / name
            if live.is_dir():
                ignore = no_links(out_root, warn)
                shutil.copytree(live, target / name, symlinks=True, ignore=ignore)
            else:
                (target / name).mkdir(parents=True)
    except OSError as exc:
        discard(runs, generation)
        msg = f"{failure(exc, target)}; nothing was run or published"
        raise PublishError(msg) from None
    return generation, target


def no_links(out_root: Path, warn: Callable[[str], None]) -> Callable[[str, list[str]], set]:
    """A copytree filter that leaves out symbolic links, naming each: nothing the render
    made is one, and one could show a reader any file on the machine."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        links = {n for n in names if (Path(folder) / n).is_symlink()}
        for name in sorted(links):
            shown = os.path.relpath(Path(folder) / name, out_root)
            warn(f"{shown}: a symbolic link the render did not make; left out of the new site")
        return links

    return ignore


# Room a render needs beyond twice the live outputs (a generation, the incoming copies): the
# executed notebooks and what the notebooks add. The desk's site is a few megabytes.
SPARE_BYTES = 64 * 2**20


def size(folder: Path) -> int:
    """Bytes of the files under a folder (its links followed: site/ is one)."""
    return (
        sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
    )


def check_space(out_root: Path, runs: Path) -> None:
    """Refuse before any notebook runs when a disk has no room for a generation and its copies."""
    live = sum(size(out_root / name) for name in (*FOLDERS, paths.SITE_NAME))
    needed = 2 * live + SPARE_BYTES
    for folder in sorted({runs, out_root}):
        nearest = next(p for p in (folder, *folder.parents) if p.exists())
        free = shutil.disk_usage(nearest).free
        if free < needed:
            msg = (
                f"{nearest}: {free / 2**20:.0f} MB free, a render needs about "
                f"{needed / 2**20:.0f} MB; free some space and render again"
            )
            raise PublishError(msg)


def failure(exc: OSError, where: Path) -> str:
    """One line for a filesystem fault: the path and why, also for copytree's list of them."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        _, target, why = exc.args[0][0]
        # copytree keeps each fault as text, "[Errno 28] No space left on device: '<path>'".
        found = re.match(r"\[Errno \d+\] ([^:]+)", str(why))
        reason = found.group(1) if found else why
        return f"{target}: {reason} ({len(exc.args[0])} file(s) could not be copied)"
    return f"{exc.filename or where}: {exc.strerror or exc}"


def preflight(out_root: Path) -> None:
    """Refuse before any swap when a live location cannot take the new outputs."""
    site = out_root / paths.SITE_NAME
    if site.exists() and not site.is_dir():
        msg = f"{site}: a file is in the way of the site folder; move it and render again"
        raise PublishError(msg)
    for name in FOLDERS:
        live = out_root / name
        if live.exists() and not live.is_dir():
            msg = f"{live}: not a folder; move it and render again"
            raise PublishError(msg)
    parents = {(out_root / name).parent for name in (*FOLDERS, paths.SITE_NAME)}
    for folder in sorted(parents):
        nearest = next(p for p in (folder, *folder.parents) if p.exists())
        if not os.access(nearest, os.W_OK | os.X_OK):
            msg = f"{nearest}: cannot write here, so nothing can be published; check permissions"
            raise PublishError(msg)


def prepare(out_root: Path, generation_dir: Path, generation: str) -> dict[str, int]:
    """Copy each folder of the generation next to its live one; return their inode numbers."""
    inodes = {}
    for name in FOLDERS:
        live = out_root / name
        waiting = incoming(live, generation)
        live.parent.mkdir(parents=True, exist_ok=True)
        remove_tree(waiting)
        shutil.copytree(generation_dir / name, waiting, symlinks=True)
        inodes[name] = waiting.stat().st_ino
    return inodes


def swap_folder(out_root: Path, name: str, generation: str, inode: int) -> Callable | None:
    """Put a prepared folder in place; return how to undo it (None if already in place)."""
    live = out_root / name
    waiting = incoming(live, generation)
    if live.exists() and live.stat().st_ino == inode:
        # Swapped before a kill: undone like a swap made now (the old version waits in the
        # new one's place, or there was none).
        return swap_undo(live, waiting)
    if not (waiting.exists() and waiting.stat().st_ino == inode):
        # pragma: no mutate start (a message's wording)
        msg = f"{waiting}: the new version of {name} is missing; the publish cannot finish"
        # pragma: no mutate end
        raise PublishError(msg)
    aside = set_aside(live)
    if not live.exists() and aside.exists():
        # Killed between the fallback's renames: the old version is aside.
        aside.rename(waiting.with_name(waiting.name + ".old"))
    if not live.exists():
        waiting.rename(live)
    else:
        exchange(waiting, live)
    return swap_undo(live, waiting)


def swap_undo(live: Path, waiting: Path) -> Callable:
    """How to undo a folder swap: exchange back with the old version, or move the new aside."""
    if waiting.exists():
        return lambda: exchange(waiting, live)
    return lambda: live.rename(waiting)


def site_link(out_root: Path) -> str | None:
    """Where out_root/site points now (None if it is no link), for the journal."""
    site = out_root / paths.SITE_NAME
    return str(site.readlink()) if site.is_symlink() else None


def flip_site(
    out_root: Path, generation_dir: Path, generation: str, journal: dict | None = None
) -> Callable | None:
    """Point out_root/site at the generation's site in one step; return how to undo it.

    A flip made before a kill is undone by pointing back where the link pointed when the
    publish began, as its journal says; a journal from before that was recorded, never."""
    site = out_root / paths.SITE_NAME
    target = site_target(out_root, generation_dir)
    link = out_root / f".{paths.SITE_NAME}.incoming-{generation}"
    if site.is_symlink() and str(site.readlink()) == target:
        known = journal is not None and "site_before" in journal
        return link_undo(site, link, journal["site_before"]) if known else None
    link.unlink(missing_ok=True)
    link.symlink_to(target)
    if site.is_dir() and not site.is_symlink():
        # A real site/ folder from before symlinks: swap it for the link like the others.
        exchange(link, site)
        return lambda: exchange(link, site)
    was = site_link(out_root)
    link.replace(site)
    return link_undo(site, link, was)


def link_undo(site: Path, link: Path, before: str | None) -> Callable:
    """How to point the site link back where it was (or remove it, if there was none)."""

    def undo() -> None:
        if before is None:
            site.unlink()
        else:
            link.unlink(missing_ok=True)
            link.symlink_to(before)
            link.replace(site)

    return undo


def journal_path(runs: Path) -> Path:
    """Where a publish under way records what it is doing."""
    return runs / "journal.json"


def publish(out_root: Path, runs: Path, generation: str, state: dict) -> None:
    """Publish a checked generation: prepare, journal, swap, flip, record; undo on failure."""
    generation_dir = generations_dir(runs) / generation
    preflight(out_root)
    try:
        inodes = prepare(out_root, generation_dir, generation)
    except OSError as exc:
        remove_strays(out_root)
        # pragma: no mutate start (a message's wording)
        msg = f"{failure(exc, out_root)}; nothing was published"
        # pragma: no mutate end
        raise PublishError(msg) from None
    crash_point("before-journal")
    journal = {
        "generation": generation,
        "inodes": inodes,
        "state": state,
        "site_before": site_link(out_root),
    }
    try:
        # Indented and sorted for a person; json.loads reads it back either way.
        text = json.dumps(journal, indent=2, sort_keys=True)  # pragma: no mutate
        atomic.write_text(journal_path(runs), text)
    except OSError as exc:
        remove_strays(out_root)
        # pragma: no mutate start (a message's wording)
        msg = f"{exc.filename or journal_path(runs)}: {exc.strerror}; nothing was published"
        # pragma: no mutate end
        raise PublishError(msg) from None
    crash_point("after-journal")
    finish(out_root, runs, journal)


def finish(out_root: Path, runs: Path, journal: dict) -> None:
    """Carry a journalled publish to its end (idempotent); undo what it did if a step fails."""
    generation = journal["generation"]
    generation_dir = generations_dir(runs) / generation
    undo: list[Callable] = []
    try:
        for name in FOLDERS:
            step = swap_folder(out_root, name, generation, journal["inodes"][name])
            undo += [step] if step else []
            crash_point(f"after-swap-{Path(name).name}")
        step = flip_site(out_root, generation_dir, generation, journal)
        undo += [step] if step else []
        crash_point("after-site-flip")
        write_state(runs / "state.json", journal["state"])
        crash_point("after-state")
    except (OSError, PublishError) as exc:
        for step in reversed(undo):
            step()
        journal_path(runs).unlink(missing_ok=True)
        remove_strays(out_root)
        # pragma: no mutate start (a message's wording)
        where = getattr(exc, "filename", None) or out_root
        detail = getattr(exc, "strerror", None) or str(exc)
        msg = f"{where}: {detail}; publishing was undone and the last good outputs are in place"
        # pragma: no mutate end
        raise PublishError(msg) from None
    journal_path(runs).unlink(missing_ok=True)
    remove_strays(out_root)
    prune(runs, journal["state"], out_root)


def remove_strays(out_root: Path) -> None:
    """Remove prepared folders and links no publish is using any more."""
    for name in (*FOLDERS, paths.SITE_NAME):
        live = out_root / name
        if not live.parent.exists():
            continue
        strays = [*live.parent.glob(f".{live.name}.incoming-*"), set_aside(live)]
        for stray in strays:
            if not (stray.exists() or stray.is_symlink()):
                continue
            if stray.is_symlink() or stray.is_file():
                stray.unlink()
            else:
                remove_tree(stray)


def linked_generation(out_root: Path) -> str | None:
    """The generation the live site link points at, if it is one."""
    site = out_root / paths.SITE_NAME
    if not site.is_symlink():
        return None
    parts = site.readlink().parts
    return parts[-2] if len(parts) >= 2 else None


def live_generation(out_root: Path, state: dict) -> str | None:
    """The generation readers see now: the state's, else the one the site link points at."""
    return state.get("generation") or linked_generation(out_root)


def prune(runs: Path, state: dict, out_root: Path) -> None:
    """Remove every generation but the live one and the one before it."""
    keep = {state.get("generation"), state.get("previous"), linked_generation(out_root)}
    folder = generations_dir(runs)
    if not folder.exists():
        return
    for generation in folder.iterdir():
        if generation.name not in keep:
            remove_tree(generation)


def recover(
    out_root: Path, runs: Path, state: dict, log: Callable[[str], None], journal: dict | None
) -> dict:
    """Finish a publish a killed render left journalled, or clear its strays; return the state."""
    if journal is not None:
        log(f"finishing the publish of {journal['generation']}, interrupted by a killed render")
        finish(out_root, runs, journal)
        return journal["state"]
    remove_strays(out_root)
    prune(runs, state, out_root)
    # Left behind by failed renders of the engine before generations.
    for legacy in ("stage", "previous"):
        remove_tree(runs / legacy)
    return state


def discard(runs: Path, generation: str) -> None:
    """Remove a generation that will not be published."""
    remove_tree(generations_dir(runs) / generation)


def last_published(out_root: Path, runs: Path, state: dict) -> Path:
    """The root holding what readers see now: its generation, or the live folders."""
    generation = live_generation(out_root, state)
    if generation and (generations_dir(runs) / generation).is_dir():
        return generations_dir(runs) / generation
    return out_root
