"""Publishing without kernels: swaps and their rollback, the site link, atomic writes, the state
file, the lock, and recovery, on real folders in a temporary directory."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from entitylist import atomic
from entitylist.engine import release
from entitylist.errors import BusyError, PublishError

GENERATION = "20261129T000000-abcdef"


def folder(path: Path, files: dict[str, str]) -> Path:
    """Create a folder holding the given files."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def contents(path: Path) -> dict[str, str]:
    """Every file under a folder (following a site link) and its text."""
    return {
        str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*")) if p.is_file()
    }


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """An output root with live outputs, and a run folder with a finished generation."""
    out, runs = tmp_path / "out", tmp_path / "build" / "runs" / "key"
    folder(out / "data" / "processed", {"t.csv": "old table\n"})
    folder(out / "charts", {"c.svg": "old chart"})
    folder(out / "site", {"index.html": "old site"})
    new = runs / "generations" / GENERATION
    folder(new / "data" / "processed", {"t.csv": "new table\n"})
    folder(new / "charts", {"c.svg": "new chart"})
    folder(new / "site", {"index.html": "new site"})
    return out, runs


def snapshot(out: Path) -> dict:
    """What a reader sees in each published location."""
    return {name: contents(out / name) for name in ("data/processed", "charts", "site")}


OLD = {
    "data/processed": {"t.csv": "old table\n"},
    "charts": {"c.svg": "old chart"},
    "site": {"index.html": "old site"},
}
NEW = {
    "data/processed": {"t.csv": "new table\n"},
    "charts": {"c.svg": "new chart"},
    "site": {"index.html": "new site"},
}
NEWER_GENERATION = "20261130T000000-fedcba"
NEWER = {
    "data/processed": {"t.csv": "newer table\n"},
    "charts": {"c.svg": "newer chart"},
    "site": {"index.html": "newer site"},
}


def test_exchange_swaps_two_folders_in_place(tmp_path: Path):
    a = folder(tmp_path / "a", {"x": "A"})
    b = folder(tmp_path / "b", {"x": "B"})
    inode_a, inode_b = a.stat().st_ino, b.stat().st_ino
    release.exchange(a, b)
    assert (a / "x").read_text() == "B"
    assert (b / "x").read_text() == "A"
    assert (a.stat().st_ino, b.stat().st_ino) == (inode_b, inode_a)


def test_exchange_by_renames_swaps_too_and_leaves_nothing_aside(tmp_path: Path):
    a = folder(tmp_path / "a", {"x": "A"})
    b = folder(tmp_path / "b", {"x": "B"})
    release.exchange_by_renames(a, b)
    assert ((a / "x").read_text(), (b / "x").read_text()) == ("B", "A")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_publish_swaps_every_location_and_records_the_state(world):
    out, runs = world
    state = {**release.empty_state(), "generation": GENERATION}
    release.publish(out, runs, GENERATION, state)
    assert snapshot(out) == NEW
    assert (out / "site").is_symlink()
    assert not (out / "site").readlink().is_absolute()
    assert json.loads((runs / "state.json").read_text()) == state
    assert not (runs / "journal.json").exists()
    # Only the live folders remain: the old versions and the prepared copies are gone.
    assert sorted(p.name for p in out.iterdir()) == ["charts", "data", "site"]
    assert sorted(p.name for p in (out / "data").iterdir()) == ["processed"]


def test_a_failed_swap_undoes_the_ones_before_it(world):
    out, runs = world
    inodes = release.prepare(out, runs / "generations" / GENERATION, GENERATION)
    # The prepared charts vanish before their swap: data/processed is already swapped
    # when the error comes, and must be swapped back.
    shutil.rmtree(release.incoming(out / "charts", GENERATION))
    journal = {"generation": GENERATION, "inodes": inodes, "state": release.empty_state()}
    atomic.write_text(runs / "journal.json", json.dumps(journal))
    with pytest.raises(PublishError, match=r"charts is missing; .*publishing was undone"):
        release.finish(out, runs, journal)
    assert snapshot(out) == OLD
    assert not (out / "site").is_symlink()
    assert not (runs / "journal.json").exists()
    assert not (runs / "state.json").exists()
    assert sorted(p.name for p in (out / "data").iterdir()) == ["processed"]


def test_a_publish_killed_between_fallback_renames_is_finished(world):
    out, runs = world
    inodes = release.prepare(out, runs / "generations" / GENERATION, GENERATION)
    state = {**release.empty_state(), "generation": GENERATION}
    journal = {"generation": GENERATION, "inodes": inodes, "state": state}
    atomic.write_text(runs / "journal.json", json.dumps(journal))
    # The first of exchange_by_renames' three renames, then the kill: no data/processed.
    live = out / "data" / "processed"
    live.rename(release.set_aside(live))
    journal, warning = release.read_journal(runs)
    assert warning is None
    recovered = release.recover(out, runs, release.empty_state(), lambda _: None, journal)
    assert recovered == state
    assert snapshot(out) == NEW
    assert sorted(p.name for p in (out / "data").iterdir()) == ["processed"]


def test_a_real_site_folder_becomes_a_link_and_the_flip_can_be_undone(world):
    out, runs = world
    undo = release.flip_site(out, runs / "generations" / GENERATION, GENERATION)
    assert (out / "site").is_symlink()
    assert contents(out / "site") == NEW["site"]
    undo()
    assert not (out / "site").is_symlink()
    assert contents(out / "site") == OLD["site"]


def test_a_site_link_is_replaced_in_one_step_and_the_flip_can_be_undone(world, tmp_path: Path):
    out, runs = world
    older = folder(tmp_path / "older-site", {"index.html": "older"})
    shutil.rmtree(out / "site")
    (out / "site").symlink_to(os.path.relpath(older, out))
    undo = release.flip_site(out, runs / "generations" / GENERATION, GENERATION)
    assert contents(out / "site") == NEW["site"]
    undo()
    assert contents(out / "site") == {"index.html": "older"}


def test_a_file_where_the_site_goes_is_refused_before_any_swap(world):
    out, runs = world
    shutil.rmtree(out / "site")
    (out / "site").write_text("not a folder")
    with pytest.raises(PublishError, match=r"/out/site: a file is in the way"):
        release.publish(out, runs, GENERATION, release.empty_state())
    assert contents(out / "data" / "processed") == OLD["data/processed"]
    assert contents(out / "charts") == OLD["charts"]
    assert not (runs / "journal.json").exists()


def preflight_as(user: int | None, out: Path) -> str:
    """Run the preflight check in a forked child, as another user if given; return its error."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, check, report through the pipe
        os.close(read)
        message = ""
        try:
            if user is not None:
                os.setgid(user)
                os.setuid(user)
            release.preflight(out)
        except PublishError as exc:
            message = str(exc)
        finally:
            os.write(write, message.encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    return message


def test_a_folder_that_cannot_be_written_is_refused_before_any_swap():
    # Root ignores permission bits, so the check runs as an unprivileged user when we are root.
    user = 65534 if os.geteuid() == 0 else None
    scratch = Path(tempfile.mkdtemp(prefix="entitylist-readonly-"))
    try:
        out = scratch / "out"
        folder(out / "data" / "processed", {"t.csv": "old\n"})
        folder(out / "charts", {})
        if user is not None:
            for path in (scratch, out, out / "data", out / "data" / "processed", out / "charts"):
                os.chown(path, user, user)
        assert preflight_as(user, out) == ""
        (out / "data").chmod(0o555)
        assert preflight_as(user, out) == (
            f"{out / 'data'}: cannot write here, so nothing can be published; check permissions"
        )
    finally:
        (scratch / "out" / "data").chmod(0o755)
        shutil.rmtree(scratch)


def test_atomic_write_replaces_the_file_and_a_reader_keeps_the_old_one(tmp_path: Path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    with path.open() as reader:
        atomic.write_text(path, "new\n")
        assert reader.read() == "old\n"
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_failed_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path):
    path = tmp_path / "table.csv"
    path.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(IsADirectoryError):
        atomic.write_text(path, "new\n")
    assert path.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_state_round_trips_and_a_missing_one_is_empty_without_warning(tmp_path: Path):
    path = tmp_path / "state.json"
    assert release.read_state(path) == (release.empty_state(), None)
    state = {**release.empty_state(), "steps": {"10-make": {"outputs": {"x": "1"}}}}
    release.write_state(path, state)
    assert release.read_state(path) == (state, None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"version": 2, "steps": {"10-make": {"outp', "unreadable (not complete JSON)"),
        ("", "unreadable (not complete JSON)"),
        ('{"steps": {"10-make": "3f2a"}, "pages": {}}', "not in the shape this version writes"),
        (
            '{"version": 2, "steps": {"10-make": {"outputs": ["x"]}}, "pages": {}}',
            "not in the shape this version writes",
        ),
        ('{"version": 2, "generation": 7, "steps": {}, "pages": {}}', "not in the shape"),
        ('{"version": 2, "steps": {}, "pages": {}, "site": {"site/a": 1}}', "not in the shape"),
        ("[1, 2]", "not in the shape this version writes"),
    ],
    ids=["truncated", "empty", "old format", "outputs a list", "generation", "site", "list"],
)
def test_unusable_state_means_run_everything_with_a_warning(tmp_path: Path, text: str, why: str):
    path = tmp_path / "state.json"
    path.write_text(text)
    state, warning = release.read_state(path)
    assert state == release.empty_state()
    assert warning.startswith(f"{path}: {why}")
    assert warning.endswith("; running every notebook")


def test_a_second_render_refuses_when_told_not_to_wait(tmp_path: Path):
    lock = tmp_path / "render.lock"
    busy = rf"another render is running \(pid {os.getpid()}, started at \d\d:\d\d:\d\d\)"
    with (
        release.render_lock(lock, wait=True, log=print),
        pytest.raises(BusyError, match=busy),
        release.render_lock(lock, wait=False, log=print),
    ):
        pass
    with release.render_lock(lock, wait=False, log=print):
        pass


WAITER = """
import sys
from collections.abc import Callable
from pathlib import Path
from entitylist.engine import release
with release.render_lock(Path(sys.argv[1]), wait=True, log=lambda m: print(m, flush=True)):
    print("got the lock", flush=True)
"""


def test_a_second_render_waits_and_says_for_whom(tmp_path: Path):
    lock = tmp_path / "render.lock"
    with release.render_lock(lock, wait=True, log=print):
        waiter = subprocess.Popen(
            [sys.executable, "-c", WAITER, str(lock)], stdout=subprocess.PIPE, text=True
        )
        first = waiter.stdout.readline()
        assert first.startswith(f"waiting for the render started by pid {os.getpid()} at ")
    rest, _ = waiter.communicate(timeout=60)
    assert rest == "got the lock\n"
    assert waiter.returncode == 0


def test_recovery_without_a_journal_removes_strays_and_old_generations(world):
    out, runs = world
    release.prepare(out, runs / "generations" / GENERATION, GENERATION)
    for name in ("live", "previous", "abandoned"):
        folder(runs / "generations" / name / "site", {"index.html": name})
    folder(runs / "stage", {"x": "left by the engine before generations"})
    state = {**release.empty_state(), "generation": "live", "previous": "previous"}
    assert release.recover(out, runs, state, print, None) == state
    assert snapshot(out) == OLD
    assert sorted(p.name for p in (out / "data").iterdir()) == ["processed"]
    assert sorted(p.name for p in out.iterdir()) == ["charts", "data", "site"]
    assert sorted(p.name for p in (runs / "generations").iterdir()) == ["live", "previous"]
    assert not (runs / "stage").exists()


@pytest.mark.parametrize(
    "text",
    ['{"generation": "g", "inodes": {', "", '{"generation": 5}', '["a"]', "\x00\xff"],
    ids=["truncated", "empty", "wrong shape", "a list", "binary"],
)
def test_an_unusable_journal_is_set_aside_with_a_warning(tmp_path: Path, text: str):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "journal.json").write_text(text, encoding="latin-1")
    journal, warning = release.read_journal(runs)
    assert journal is None
    (aside,) = runs.glob("journal.json.unusable-*")
    assert aside.read_text(encoding="latin-1") == text
    assert warning == (
        f"{runs / 'journal.json'}: unreadable, so an interrupted publish cannot be finished; "
        f"set aside as {aside.name}; running every notebook"
    )
    assert not (runs / "journal.json").exists()
    assert release.read_journal(runs) == (None, None)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 4 MB filesystem (tmpfs), where this process may mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_disk_without_room_is_refused_before_anything_runs(small_disk: Path, tmp_path):
    out = small_disk / "out"
    folder(out / "data" / "processed", {"t.csv": "old\n"})
    need = r"/disk/out: \d+ MB free, a render needs about \d+ MB; "
    with pytest.raises(PublishError, match=need):
        release.check_space(out, small_disk / "runs")
    # The same outputs on a disk with room pass.
    shutil.copytree(out, tmp_path / "roomy")
    assert release.check_space(tmp_path / "roomy", tmp_path / "runs") is None


def test_a_copy_that_fills_the_disk_is_one_line_naming_the_file(small_disk: Path, tmp_path):
    out = tmp_path / "out"
    folder(out / "data" / "processed", {"big.csv": "x" * 5 * 2**20})
    folder(out / "charts", {})
    with pytest.raises(PublishError) as caught:
        release.new_generation(small_disk / "runs", out)
    message = str(caught.value)
    assert message.endswith(
        "big.csv: No space left on device (1 file(s) could not be copied); "
        "nothing was run or published"
    )
    assert "\n" not in message
    assert list((small_disk / "runs" / "generations").iterdir()) == []


def test_a_read_only_generation_is_removed_all_the_same():
    # Root ignores permission bits, so the removal runs as an unprivileged user when we are root.
    user = 65534 if os.geteuid() == 0 else None
    scratch = Path(tempfile.mkdtemp(prefix="entitylist-readonly-"))
    runs = scratch / "runs"
    locked = release.generations_dir(runs) / GENERATION / "charts"
    folder(locked, {"a.svg": "<svg/>"})
    if user is not None:
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, user, user)
    locked.chmod(0o555)
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, remove, report by exit status
        try:
            if user is not None:
                os.setgid(user)
                os.setuid(user)
            release.discard(runs, GENERATION)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    try:
        assert not (release.generations_dir(runs) / GENERATION).exists()
    finally:
        if locked.exists():
            locked.chmod(0o755)
        shutil.rmtree(scratch)


def failing(monkeypatch: pytest.MonkeyPatch, target: object, name: str, nth: int = 1) -> list:
    """Make the nth call of target.name fail as a full disk would; return what it failed on."""
    real, calls, failed = getattr(target, name), [], []

    def call(*args, **kwargs):
        calls.append(args)
        if len(calls) == nth:
            failed.append(args[0])
            raise OSError(28, "No space left on device", str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, call)
    return failed


STEPS = {
    # Before the journal: copying the generation's charts next to the live ones.
    "the copy": lambda mp: failing(mp, release.shutil, "copytree", 2),
    "the journal": lambda mp: failing(mp, release.atomic, "write_text"),
    "the data/processed swap": lambda mp: failing(mp, release, "exchange", 1),
    "the charts swap": lambda mp: failing(mp, release, "exchange", 2),
    # The first replace writes the journal, the second flips the site link.
    "the site flip": lambda mp: failing(mp, Path, "replace", 2),
    "the state write": lambda mp: failing(mp, release, "write_state"),
}


def by_renames(nth: int) -> Callable:
    """Swap with the three-rename fallback (no RENAME_EXCHANGE), the nth rename failing."""

    def inject(mp: pytest.MonkeyPatch) -> list:
        mp.setattr(release, "exchange", release.exchange_by_renames)
        return failing(mp, Path, "rename", nth)

    return inject


# Without RENAME_EXCHANGE each swap is three renames: data/processed's are 1-3, charts' 4-6.
STEPS |= {f"fallback rename {n}": by_renames(n) for n in range(1, 7)}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_failure_at_any_step_of_a_publish_leaves_the_last_generation_whole(
    world, step: str, monkeypatch: pytest.MonkeyPatch
):
    # The finding: with `undo +=` made `undo =`, a failed state write left data/processed
    # new and charts/ and site/ old, under a message saying publishing was undone.
    out, runs = world
    first = {**release.empty_state(), "generation": GENERATION}
    release.publish(out, runs, GENERATION, first)
    second = "20261130T000000-fedcba"
    new = runs / "generations" / second
    folder(new / "data" / "processed", {"t.csv": "newer table\n"})
    folder(new / "charts", {"c.svg": "newer chart"})
    folder(new / "site", {"index.html": "newer site"})
    published = snapshot(out)
    assert published == NEW
    failed = STEPS[step](monkeypatch)
    with pytest.raises(PublishError) as caught:
        release.publish(out, runs, second, {**release.empty_state(), "generation": second})
    monkeypatch.undo()
    assert snapshot(out) == published
    assert json.loads((runs / "state.json").read_text()) == first
    assert not (runs / "journal.json").exists()
    said = str(caught.value)
    assert "No space left on device" in said
    # The message names the file or folder that failed.
    assert str(failed[0]) in said
    if step in ("the copy", "the journal"):
        assert "nothing was published" in said
    else:
        assert "publishing was undone and the last good outputs are in place" in said
    # Nothing half-made is left beside the live outputs.
    assert sorted(p.name for p in out.iterdir()) == ["charts", "data", "site"]
    assert sorted(p.name for p in (out / "data").iterdir()) == ["processed"]


def test_a_first_publish_that_fails_leaves_no_outputs_half_made(world, monkeypatch):
    # Nothing was ever published here: each undo removes what the publish put in place.
    out, runs = world
    shutil.rmtree(out)
    failed = failing(monkeypatch, release, "write_state")
    with pytest.raises(PublishError, match="publishing was undone"):
        release.publish(out, runs, GENERATION, {**release.empty_state(), "generation": GENERATION})
    monkeypatch.undo()
    assert failed
    assert not (out / "site").is_symlink()
    assert sorted(p.name for p in out.rglob("*")) == ["data"]
    assert not (runs / "journal.json").exists()
    assert not (runs / "state.json").exists()


def test_strays_are_removed_also_where_another_folder_has_no_parent(tmp_path: Path):
    out = tmp_path / "out"
    folder(out / f".charts.incoming-{GENERATION}", {"c.svg": "stray chart"})
    (out / f".site.incoming-{GENERATION}").symlink_to("nowhere")
    release.remove_strays(out)
    assert list(out.iterdir()) == []


# Where release.crash_point kills a publish, in order, and what readers see once the next
# render has recovered: before the journal the last publish stays, after it the killed
# publish is finished by the recovery.
CRASH_POINTS = {
    "before-journal": NEW,
    "after-journal": NEWER,
    "after-swap-processed": NEWER,
    "after-swap-charts": NEWER,
    "after-site-flip": NEWER,
    "after-state": NEWER,
}


def publish_twice_killing_the_second(out: Path, runs: Path, point: str) -> tuple:
    """Publish GENERATION, then NEWER_GENERATION killed at the point in a forked child.

    Returns the two publishes' states and the child's wait status."""
    first = {**release.empty_state(), "generation": GENERATION}
    release.publish(out, runs, GENERATION, first)
    second = {**release.empty_state(), "generation": NEWER_GENERATION, "previous": GENERATION}
    for name, files in NEWER.items():
        folder(runs / "generations" / NEWER_GENERATION / name, files)
    pid = os.fork()
    if pid == 0:  # the child: publish with a kill at the point; survive it, exit 0
        try:
            os.environ[release.CRASH_ENV] = point
            release.publish(out, runs, NEWER_GENERATION, second)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return first, second, status


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_publish_killed_at_any_point_is_finished_or_cleared_by_the_next_render(
    world, point: str
):
    out, runs = world
    first, second, status = publish_twice_killing_the_second(out, runs, point)
    assert os.WIFSIGNALED(status)
    assert os.WTERMSIG(status) == signal.SIGKILL
    journal, warning = release.read_journal(runs)
    assert warning is None
    state, _ = release.read_state(runs / "state.json")
    recovered = release.recover(out, runs, state, lambda _: None, journal)
    expected = CRASH_POINTS[point]
    assert snapshot(out) == expected
    assert recovered == (second if expected is NEWER else first)
    assert json.loads((runs / "state.json").read_text()) == recovered
    assert not (runs / "journal.json").exists()
    assert sorted(p.name for p in out.iterdir()) == ["charts", "data", "site"]
    assert sorted(p.name for p in (out / "data").iterdir()) == ["processed"]


@pytest.mark.parametrize(
    "point", ["after-journal", "after-swap-processed", "after-swap-charts", "after-site-flip"]
)
def test_a_recovery_that_fails_undoes_the_swaps_made_before_the_kill_too(
    world, monkeypatch, point: str
):
    out, runs = world
    first, _, _ = publish_twice_killing_the_second(out, runs, point)
    journal, _ = release.read_journal(runs)
    state, _ = release.read_state(runs / "state.json")
    # The recovery's own last step fails (a full disk as it writes the state).
    failed = failing(monkeypatch, release, "write_state")
    with pytest.raises(PublishError, match="publishing was undone"):
        release.recover(out, runs, state, lambda _: None, journal)
    monkeypatch.undo()
    assert failed
    # What the message says is true: every location is the last good publish again.
    assert snapshot(out) == NEW
    assert json.loads((runs / "state.json").read_text()) == first
    assert sorted(p.name for p in out.iterdir()) == ["charts", "data", "site"]
