"""Resume a preview's notebook run from its first changed cell (issue 21).

Only under `make preview` (a pool opened with `keep`): before a cell, a warm kernel forks a
checkpoint, a copy of itself that waits on a Unix socket in the pool's folder, when the
cells since its last checkpoint took longer than a fork costs. When the notebook changes
and nothing else did (code, parameters, inputs: the `base` key), the runner asks the
checkpoint nearest above the first changed code cell to become the run's kernel, on a new
connection file, keeping its namespace and modules, and runs the cells from there; the
cells above keep the outputs of the last run, which are the same. `make render` and the
schedule never open such a pool: a published render always starts from a clean kernel.

A checkpoint is named by the hash chain of every code cell run before it (the injected
parameters included) under the base key, so a change above it can never match. It is the
zygote's child (kernels.serve makes the zygote a subreaper) and dies with it (PDEATHSIG); the
runner kills those a newer run supersedes."""

import contextlib
import contextvars
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
ADOPTION_SECONDS = 5.0
# A kernel keeps a checkpoint only after cells that took this long since its last one.
AFTER_SECONDS = 0.3


def prctl(option: int, value: int) -> None:
    """Call Linux's prctl(2) with one argument."""
    if ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl")


def adopt_orphans() -> None:
    """Make this process (the zygote) the parent of checkpoints its kernels leave behind."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def next_key(key: str, source: str) -> str:
    """The chain key after one more code cell."""
    return hashlib.sha256(f"{key}\0{len(source)}\0{source}".encode()).hexdigest()[:24]


def chain(base: str, sources: list[str]) -> list[str]:
    """The key of the checkpoint before each code cell, and after the last."""
    keys = [base]
    for source in sources:
        keys.append(next_key(keys[-1], source))
    return keys


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under a run's output root, with what changes when it is written."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            with contextlib.suppress(OSError):
                st = path.lstat()
                found[path.relative_to(root).as_posix()] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


# --- in the kernel ---------------------------------------------------------------------


class Keeper:
    """A kernel's checkpoint maker: a fork before a code cell, once the cells since the last
    one took longer than a checkpoint costs (forking a kernel, about 0.15 s at load 5)."""

    def __init__(self, shell: Any, config: dict, written: list[str] | None = None) -> None:
        """Keep checkpoints for this kernel's run under config's folder and keys."""
        self.shell = shell
        self.config = config
        self.key = config.get("key") or config["base"]
        self.written = set(written or ())
        self.baseline: dict | None = None
        self.since = time.perf_counter()
        shell.events.register("pre_run_cell", self.before_cell)

    def before_cell(self, info: Any) -> None:
        """Fork a checkpoint of the state before this cell (never before the first)."""
        root = Path.cwd()
        if self.baseline is None:
            self.baseline, self.since = snapshot(root), time.perf_counter()
        key, self.key = self.key, next_key(self.key, info.raw_cell)
        # Cheaper to run again from an earlier checkpoint than to keep one here.
        if key == self.config["base"] or time.perf_counter() - self.since < self.config["after"]:
            return
        now = snapshot(root)
        written = self.written | {p for p, st in now.items() if self.baseline.get(p) != st}
        fork_checkpoint(self, key, sorted(written))
        self.since = time.perf_counter()


def fork_checkpoint(keeper: Keeper, key: str, written: list[str]) -> None:
    """Leave a copy of this kernel waiting for a resume order; the kernel carries on."""
    sys.stdout.flush()
    sys.stderr.flush()
    middle = os.fork()
    if middle:
        os.waitpid(middle, 0)
        return
    # Two forks, so the checkpoint is the zygote's child (a subreaper), not the kernel's,
    # which ends with the run; anything raised here must never reach the kernel's code.
    try:
        if os.fork():
            os._exit(0)
        os.setsid()
        wait_adopted(keeper.config["zygote"])
        serve_checkpoint(keeper, key, written)
    except BaseException:  # noqa: BLE001 (a copy of a kernel must end here, whatever happened)
        os._exit(1)
    os._exit(0)


def wait_adopted(zygote: int) -> None:
    """Wait until the zygote has adopted this process, then die with it."""
    deadline = time.monotonic() + ADOPTION_SECONDS
    while os.getppid() != zygote:
        if time.monotonic() > deadline:
            os._exit(1)
        time.sleep(0.001)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote:
        os._exit(1)


def serve_checkpoint(keeper: Keeper, key: str, written: list[str]) -> None:
    """Wait on the checkpoint's socket; on a resume order, become the order's kernel."""
    folder = Path(keeper.config["dir"])
    name = f"{key}.{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / f"{name}.sock"))
    listener.listen(1)
    meta = {"pid": os.getpid(), "key": key, "written": written}
    meta.update({name: keeper.config[name] for name in ("base", "step")})
    staged = folder / f".{name}.tmp"
    staged.write_text(json.dumps(meta), encoding="utf-8")
    staged.rename(folder / f"{name}.json")
    connection, _ = listener.accept()
    with connection:
        order = json.loads(connection.makefile(encoding="utf-8").readline())
        connection.sendall((json.dumps({"pid": os.getpid()}) + "\n").encode())
    listener.close()
    for suffix in (".sock", ".json"):
        (folder / f"{name}{suffix}").unlink(missing_ok=True)
    become_kernel(keeper, key, written, order)


def become_kernel(keeper: Keeper, key: str, written: list[str], order: dict) -> None:
    """Start a new kernel in this process on the order's connection file, with the
    checkpoint's namespace, modules and execution count (as ipykernel's embed_kernel does)."""
    # lazy: these are imported in every kernel already (the zygote preloads them).
    import asyncio

    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelapp import IPKernelApp
    from ipykernel.zmqshell import ZMQInteractiveShell
    from IPython.core.interactiveshell import InteractiveShell

    old = keeper.shell
    # Kept referenced for good: collecting them would close the kernel's sockets, whose
    # descriptors the new kernel's may reuse.
    keep.extend([old, IPKernelApp.instance(), sys.stdout, sys.stderr])
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        copy = getattr(stream, "_original_stdstream_copy", None)
        if copy is not None:
            os.dup2(copy, fd)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    for singleton in (IPKernelApp, IPythonKernel, ZMQInteractiveShell, InteractiveShell):
        singleton.clear_instance()
    # This process is still inside the old kernel's event loop (a cell was about to run):
    # the new kernel gets a loop of its own; the old one's threads did not survive the fork.
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(asyncio.new_event_loop())
    os.environ.clear()
    os.environ.update(order["env"])
    os.chdir(order["cwd"])
    app = IPKernelApp.instance()
    app.parent_handle = keeper.config["zygote"]
    app.initialize(order["args"])
    app.kernel.user_module = old.user_module
    app.kernel.user_ns = old.user_ns
    sys.modules["__main__"] = old.user_module
    # IPython counted the cell before pre_run_cell; the resumed run sends that cell again.
    app.shell.execution_count = old.execution_count - 1
    Keeper(
        app.shell, {**order["checkpoints"], "zygote": keeper.config["zygote"], "key": key}, written
    )
    app.start()
    os._exit(0)


keep: list[Any] = []


# --- in the render ---------------------------------------------------------------------


@dataclass
class Launch:
    """What the provisioner passes on for one run: where checkpoints go, which to resume."""

    config: dict
    resume: dict | None = None


# Set by the runner in the thread that runs a notebook; read by the provisioner.
launching: contextvars.ContextVar[Launch | None] = contextvars.ContextVar(
    "launching", default=None
)


@dataclass
class Store:
    """The checkpoints of a preview's pool: a folder of sockets, and each step's last run."""

    folder: Path

    def metas(self) -> list[dict]:
        """Every live checkpoint's record, oldest first."""
        found = []
        for meta_file in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns):
            with contextlib.suppress(OSError, ValueError):
                found.append(
                    {**json.loads(meta_file.read_text(encoding="utf-8")), "name": meta_file.stem}
                )
        return found

    def found(self, base: str) -> dict[str, dict]:
        """The live checkpoints under a base key, by chain key (the newest of a key)."""
        return {meta["key"]: meta for meta in self.metas() if meta["base"] == base}

    def supersede(self, step: str, base: str, keys: set[str]) -> None:
        """Kill a step's checkpoints but the newest of each of `keys` under `base`."""
        kept = {meta["name"] for key, meta in self.found(base).items() if key in keys}
        for meta in self.metas():
            if meta["step"] == step and meta["name"] not in kept:
                self.kill(meta["name"], meta["pid"])

    def kill(self, name: str, pid: int) -> None:
        """End one checkpoint and remove its files."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        for suffix in (".sock", ".json"):
            (self.folder / f"{name}{suffix}").unlink(missing_ok=True)

    def root(self, generation: Path) -> Path:
        """The output root the preview's notebooks see: one link, pointed at this generation."""
        link, staged = self.folder / "root", self.folder / ".root.tmp"
        staged.unlink(missing_ok=True)
        staged.symlink_to(generation)
        staged.rename(link)
        return link

    def last(self, step: str) -> Path:
        """Where the step's last successful executed notebook is kept."""
        return self.folder / f"{step}.ipynb"


@dataclass
class Keep:
    """One run's checkpoints: its step and base key, whether it may resume, what it clears."""

    store: Store
    step: str
    base: str
    resumable: bool
    root: Path
    clear: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    previous: list[Any] = field(default_factory=list)
    # The cell the run resumed at, numbered as in the notebook (from 1); None if it did not.
    resumed_at: int | None = None

    def plan(self, nb: Any) -> tuple[int, Launch]:
        """Clear the step's old outputs and return the first cell to run and how to launch.

        The first code cell that differs from the last run's runs first, on its checkpoint
        (or the nearest one above); the last code cell always runs. Without a checkpoint,
        from the top.
        """
        sources = [c.source for c in nb.cells if c.cell_type == "code"]
        self.keys, self.previous, self.resumed_at = chain(self.base, sources), [], None
        config = {"dir": str(self.store.folder), "base": self.base, "step": self.step}
        config["after"] = AFTER_SECONDS
        at, meta = self.resume_point(sources)
        written = set(meta["written"]) if meta else set()
        for output in self.clear:
            if output not in written:
                (self.root / output).unlink(missing_ok=True)
        if meta is None:
            return 0, Launch(config)
        start = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"][at]
        # As the reporter counts: the notebook's own cells, papermill's injected one left out.
        self.resumed_at = sum(
            "injected-parameters" not in c.metadata.get("tags", []) for c in nb.cells[: start + 1]
        )
        return start, Launch(config, meta)

    def resume_point(self, sources: list[str]) -> tuple[int, dict | None]:
        """The code cell to resume at and its checkpoint, or (0, None) for a clean run."""
        # lazy: nbformat is imported by the runner already; this module is the kernel's too.
        import nbformat

        last = self.store.last(self.step)
        if not self.resumable or not last.exists() or len(sources) < 2:
            return 0, None
        before = [c for c in nbformat.read(last, as_version=4).cells if c.cell_type == "code"]
        same = 0
        while same < min(len(sources), len(before)) and sources[same] == before[same].source:
            same += 1
        found = self.store.found(self.base)
        at = next(
            (j for j in range(min(same, len(sources) - 1), 0, -1) if self.keys[j] in found), 0
        )
        if at == 0:
            return 0, None
        self.previous = before[:at]
        return at, found[self.keys[at]]

    def done(self, executed: Path) -> None:
        """Keep the run's executed notebook and its checkpoints; kill the others."""
        shutil.copyfile(executed, self.store.last(self.step))
        self.store.supersede(self.step, self.base, set(self.keys))

    def failed(self) -> None:
        """Kill every checkpoint of the step: a failed run's outputs cannot be reused."""
        self.store.last(self.step).unlink(missing_ok=True)
        self.store.supersede(self.step, self.base, set())


def base_key(record: dict, step: str) -> str:
    """What a checkpoint's state depends on besides the cells run: the step, the package
    code, the parameters and every input's hash (a plan record less notebook and outputs)."""
    kept = {name: record[name] for name in ("code", "params", "inputs")}
    text = json.dumps({"step": step, **kept}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ResumeFailed(OSError):
    """A checkpoint did not answer a resume order (it ended): the run starts clean instead."""


def order_resume(meta_name: str, folder: Path, order: dict) -> int:
    """Ask a checkpoint to become a kernel on the order's connection file; return its pid."""
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(10)
            client.connect(str(folder / f"{meta_name}.sock"))
            client.sendall((json.dumps(order) + "\n").encode())
            answer = client.makefile(encoding="utf-8").readline()
        return int(json.loads(answer)["pid"])
    except (OSError, ValueError, KeyError) as exc:
        msg = f"checkpoint {meta_name}: {exc}"
        raise ResumeFailed(msg) from None
