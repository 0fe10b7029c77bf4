"""Warm kernels: a fork server ("zygote") that imports the heavy libraries once per render.

`warm()` opens a pool for the length of a render. At the first notebook run it starts the
zygote, a plain Python process that imports pandas, pandera, Altair, vl-convert, ipykernel
and the package modules the notebooks use, then waits. For every run it forks a child that
becomes an IPython kernel on the run's connection file, so each run starts in a fresh
process (clean namespace, module state as a fresh import leaves it) and pays no import cost.

jupyter_client reaches the zygote through a kernel provisioner (provisioner.py), named by
the `entitylist-warm` kernelspec that `make venv` installs (`python -m entitylist.engine.kernels
install`). Outside a pool, or when the zygote cannot start, that kernelspec starts an
ordinary kernel, so a run never depends on the zygote.

A fork copies only the calling thread, so the zygote holds no thread, event loop or ZMQ
context when it forks: it stops numpy's BLAS from starting a thread pool, and it imports
ipykernel without creating its application.
"""

import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from entitylist.engine import checkpoints

# The project kernel `make venv` installs into .venv; a "python3" kernelspec in a
# reporter's home folder could otherwise point papermill at another interpreter.
KERNEL = "entitylist"
WARM_KERNEL = "entitylist-warm"
PROVISIONER = "entitylist-warm"
# What a notebook run would import anyway: the libraries, the kernel's own, then the
# package modules the notebooks import (charts registers the Altair theme, as a fresh
# import would). Imports only: nothing here may start a thread.
PRELOAD = (
    "numpy",
    "pandas",
    "pandera.pandas",
    "altair",
    "vl_convert",
    "PIL.Image",
    "ipykernel.kernelapp",
    # What IPKernelApp.initialize would import in every kernel: the debugger (debugpy),
    # the history database, the shell's completer and extensions, tornado's asyncio glue.
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "sqlite3",
    "tornado.platform.asyncio",
    "tornado.queues",
    "entitylist.charts",
    "entitylist.data.cleaning",
    "entitylist.figures",
    "entitylist.data.manifest",
    "entitylist.paths",
    "entitylist.publish",
    "entitylist.data.schemas",
    "entitylist.data.sources",
    "entitylist.story",
    "entitylist.tables",
)
# Thread pools that native libraries would start at import; the zygote must fork alone.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
STOP_SECONDS = 5.0
# How the pool starts the zygote, after the kernelspec's interpreter and its flags.
SERVE = ("-m", "entitylist.engine.kernels", "serve")


def launcher_split(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """Split a kernelspec command into the interpreter part and ipykernel's own arguments."""
    try:
        at = argv.index("ipykernel_launcher")
    except ValueError:
        return None
    if at < 2 or argv[at - 1] != "-m":
        return None
    return argv[: at - 1], argv[at + 1 :]


# --- the zygote process ----------------------------------------------------------------


def thread_count() -> int:
    """Threads of this process, as the operating system counts them."""
    return sum(1 for _ in Path("/proc/self/task").iterdir())


def reply(message: dict) -> None:
    """Send one JSON line to the pool."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def preload() -> None:
    """Import what every run would import, then move it out of the collector's way."""
    for name in PRELOAD:
        importlib.import_module(name)
    # Frozen objects are never scanned again, so forked kernels keep sharing their pages.
    gc.freeze()


def fork_kernel(request: dict) -> int:
    """Fork a child for a kernel; return its pid (0 in the child), once it leads a session."""
    sys.stdout.flush()
    sys.stderr.flush()
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_read)
        # Its own session, like an ordinary kernel: interrupts reach its process group only.
        os.setsid()
        os.write(ready_write, b"1")
        os.close(ready_write)
        return 0
    os.close(ready_write)
    os.read(ready_read, 1)
    os.close(ready_read)
    return pid


def stop_children(children: set[int]) -> None:
    """Terminate the kernels still running, then kill those that do not stop in time."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = STOP_SECONDS
        while children and deadline > 0:
            reap(children)
            select.select([], [], [], 0.05)
            deadline -= 0.05
        if not children:
            return


def reap(children: set[int]) -> None:
    """Collect the exit status of every kernel that has ended."""
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def serve() -> dict | None:
    """Preload, then fork a kernel per request; return a request only in a forked child."""
    try:
        preload()
    except Exception as exc:  # noqa: BLE001 (any import failure means: no warm kernels)
        reply({"error": f"{type(exc).__name__}: {exc}"})
        return None
    # Checkpoints (checkpoints.py) outlive the kernel that forked them: they become ours.
    checkpoints.adopt_orphans()
    reply({"ready": True, "pid": os.getpid(), "threads": thread_count()})
    children: set[int] = set()
    for line in sys.stdin:
        reap(children)
        request = json.loads(line)
        if request.get("checkpoints"):
            request["checkpoints"]["zygote"] = os.getpid()
        pid = fork_kernel(request)
        if pid == 0:
            return request
        children.add(pid)
        reply({"pid": pid})
    stop_children(children)
    return None


def become_kernel(request: dict) -> None:
    """In a forked child: take the run's environment and folder, then run IPKernelApp."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    # Let go of the zygote's request pipes: kernel output goes where the zygote's errors go.
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(request["env"])
    # ipykernel's parent poller ends the kernel if the zygote, its parent, goes away.
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    os.chdir(request["cwd"])
    # lazy: numpy and ipykernel (about 0.8 s) are for the forked kernel only; the render
    # imports this module to start the zygote, which preloads them.
    import numpy as np

    # A fresh interpreter seeds numpy's global generator from the OS; forked ones would share.
    np.random.seed()
    # lazy: as for numpy above.
    from ipykernel import kernelapp

    sys.argv = ["ipykernel_launcher", *request["args"]]
    app = kernelapp.IPKernelApp.instance()
    app.initialize(request["args"])
    if request.get("checkpoints"):
        checkpoints.Keeper(app.shell, request["checkpoints"])
    app.start()


def zygote_main() -> None:
    """Entry point of the zygote process (`python -m entitylist.engine.kernels serve`)."""
    # Like ipykernel_launcher: the launch folder is not an import location.
    if sys.path and sys.path[0] in ("", str(Path.cwd())):
        del sys.path[0]
    request = serve()
    if request is not None:
        become_kernel(request)


# --- the render's side -----------------------------------------------------------------


class Zygote:
    """The render's handle on its zygote: starts it lazily, asks it for kernels, stops it."""

    def __init__(self, warn: Callable[[str], None], keep: bool = False) -> None:
        """Prepare a pool (keeping checkpoints if asked); nothing starts until a run asks
        for a kernel."""
        self.warn = warn
        folder = Path(tempfile.mkdtemp(prefix="el-ck-")) if keep else None
        self.checkpoints = checkpoints.Store(folder) if folder else None
        self.process: subprocess.Popen | None = None
        self.prefix: list[str] = []
        self.pid: int | None = None
        self.threads: int | None = None
        self.failed: str | None = None
        self.launched: list[int] = []
        self._ready = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the zygote with the warm kernelspec's interpreter and flags, unless it runs."""
        with self._lock:
            if self.process is not None or self.failed:
                return
            argv = warm_spec_argv()
            split = launcher_split(argv) if argv else None
            if split is None:
                self._fail(f"no {WARM_KERNEL} kernelspec; run `make venv`")
                return
            self.prefix = split[0]
            env = {**os.environ, **SINGLE_THREADED}
            try:
                self.process = subprocess.Popen(
                    [*self.prefix, *SERVE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                    start_new_session=True,
                    text=True,
                )
            except OSError as exc:
                self._fail(f"{exc}")

    def _fail(self, reason: str) -> None:
        """Give up on warm kernels for this pool, saying so once."""
        if not self.failed:
            self.failed = reason
            self.warn(f"warm kernels unavailable ({reason}); using ordinary kernels")

    def _read(self) -> dict:
        """Read one reply; an ended zygote reads as an error."""
        line = self.process.stdout.readline() if self.process else ""
        return json.loads(line) if line else {"error": "the zygote exited"}

    def spawn(
        self, cmd: list[str], env: dict[str, str], cwd: str, keep: dict | None = None
    ) -> int | None:
        """Fork a kernel for a kernelspec command (keeping checkpoints as `keep` says); None
        when warm kernels are unavailable."""
        split = launcher_split(cmd)
        with self._lock:
            if self.process is None or self.failed:
                return None
            if split is None or split[0] != self.prefix:
                return None
            try:
                if not self._ready:
                    hello = self._read()
                    if "error" in hello:
                        self._fail(hello["error"])
                        return None
                    self._ready, self.pid, self.threads = True, hello["pid"], hello["threads"]
                request = {"args": split[1], "env": dict(env), "cwd": str(cwd)}
                if keep and self.checkpoints:
                    request["checkpoints"] = keep
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                answer = self._read()
            except (OSError, ValueError) as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            if "error" in answer:
                self._fail(answer["error"])
                return None
            self.launched.append(answer["pid"])
            return answer["pid"]

    def resume(
        self, cmd: list[str], env: dict[str, str], cwd: str, launch: checkpoints.Launch
    ) -> int:
        """Turn a checkpoint into the kernel for a kernelspec command; return its pid."""
        split = launcher_split(cmd)
        if split is None or self.checkpoints is None:
            msg = f"cannot resume a checkpoint with {cmd[:3]}"
            raise RuntimeError(msg)
        order = {"args": split[1], "env": dict(env), "cwd": str(cwd), "checkpoints": launch.config}
        pid = checkpoints.order_resume(launch.resume["name"], self.checkpoints.folder, order)
        self.launched.append(pid)
        return pid

    def stop(self) -> None:
        """End the zygote and every kernel it forked, waiting a bounded time."""
        with self._lock:
            process, self.process = self.process, None
        if process is None:
            self._forget_checkpoints()
            return
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            # On end of input the zygote stops its kernels (stop_children) and exits.
            process.wait(timeout=2 * STOP_SECONDS + 1)
        except subprocess.TimeoutExpired:
            # Its kernels' parent pollers (JPY_PARENT_PID) end them once it is gone.
            process.kill()
            process.wait()
        process.stdout.close()
        self._forget_checkpoints()

    def _forget_checkpoints(self) -> None:
        """Kill the checkpoints left (the zygote's end kills them too) and remove their folder."""
        if self.checkpoints is not None:
            for meta in self.checkpoints.metas():
                self.checkpoints.kill(meta["name"], meta["pid"])
            shutil.rmtree(self.checkpoints.folder, ignore_errors=True)


_active: Zygote | None = None


def warn_line(message: str) -> None:
    """Print a warning as one line on stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def warm(
    warn: Callable[[str], None] = warn_line, eager: bool = False, keep: bool = False
) -> Iterator[Zygote]:
    """Open a pool of warm kernels; always stop it, also on errors and Ctrl-C.

    The zygote starts at the first run (a render with nothing to run starts none), or at
    once if eager. Nested pools share the outer one (the preview keeps one across renders).
    With `keep` (the preview only), kernels keep checkpoints between cells (checkpoints.py).
    """
    global _active
    if _active is not None:
        yield _active
        return
    pool = _active = Zygote(warn, keep)
    try:
        if eager:
            pool.start()
        yield pool
    finally:
        _active = None
        pool.stop()


def stop_active() -> None:
    """End the running pool's zygote and its kernels now (Ctrl-C); the pool stays closed."""
    if _active is not None:
        _active.stop()


def active() -> Zygote | None:
    """The pool of the render running in this process, if any."""
    return _active


def warm_spec_argv() -> list[str] | None:
    """The warm kernelspec's command, or None if `make venv` has not installed it."""
    # lazy: jupyter_client takes about 0.3 s to import; a no-op render starts no kernel.
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(WARM_KERNEL).argv
    except NoSuchKernel:
        return None


def kernel_name() -> str:
    """The kernelspec a run should use now: the warm one inside a pool, else the project's."""
    pool = _active
    if pool is None:
        return KERNEL
    pool.start()
    return KERNEL if pool.failed else WARM_KERNEL


# --- installation ----------------------------------------------------------------------


def install(prefix: str = sys.prefix) -> Path:
    """Install the warm kernelspec beside the project's, naming the provisioner."""
    # lazy: only `make venv` installs the kernelspec.
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    project = manager.get_kernel_spec(KERNEL)
    spec = project.to_dict()
    spec["display_name"] = f"{project.display_name}, warm (for renders)"
    provisioner = {"kernel_provisioner": {"provisioner_name": PROVISIONER}}
    spec["metadata"] = {**spec.get("metadata", {}), **provisioner}
    target = Path(prefix) / "share" / "jupyter" / "kernels" / WARM_KERNEL
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> None:
    """`serve` runs the zygote; `install` writes the warm kernelspec."""
    command = (argv if argv is not None else sys.argv[1:]) or ["install"]
    if command[0] == "serve":
        zygote_main()
    elif command[0] == "install":
        install()
    else:
        msg = f"python -m entitylist.engine.kernels: unknown command {command[0]!r}; use install"
        raise SystemExit(msg)


if __name__ == "__main__":
    main()
