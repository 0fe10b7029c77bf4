"""Warm kernels: real papermill runs on kernels forked from a real zygote.

Each run must start clean (no state from the run before it on the same pool), a failed or
dead kernel must not spoil the next run, and the pool must leave no process behind.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import papermill
import pytest
from nbclient.exceptions import DeadKernelError
from papermill.exceptions import PapermillExecutionError

from conftest import ctrl_c_as_at_a_terminal, until
from entitylist.engine import kernels

pytestmark = pytest.mark.notebooks

# What a run can change in its process: its namespace, a library's options, a package
# module's global, the Altair theme registry, a cached flag, the environment.
STATE = """
import os, sys, json
import altair as alt
import pandas as pd
from entitylist import theme
from entitylist.pages import fonts
state = {
    "leak_global": "LEAK" in globals(),
    "pandas_max_rows": pd.options.display.max_rows,
    "headline_size": theme.HEADLINE_SIZE,
    "altair_theme": alt.theme.active,
    "leak_theme": "leak" in alt.theme.names(),
    "fonts_registered": fonts._registered,
    "leak_env": os.environ.get("LEAK"),
}
"""
# Run first, before any import: a warm kernel already holds the libraries.
WARM = """
import sys, json, os
warm = {"pandas_preloaded": "pandas" in sys.modules, "ppid": os.getppid(), "pid": os.getpid()}
"""


def notebook(path: Path, *cells: str) -> Path:
    """Write a notebook of code cells."""
    cells = [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def run(path: Path, cwd: Path | None = None) -> None:
    """Execute a notebook as the render does (render.execute), on the kernel it would use."""
    papermill.execute_notebook(
        str(path),
        str(path.with_suffix(".out.ipynb")),
        kernel_name=kernels.kernel_name(),
        cwd=str(cwd or path.parent),
        progress_bar=False,
        request_save_on_cell_execute=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )


def polluter(tmp_path: Path) -> Path:
    """A run that records the state it found, then changes every part of it."""
    return notebook(
        tmp_path / "a.ipynb",
        WARM,
        STATE,
        "before = state",
        """
        LEAK = 1
        pd.options.display.max_rows = 7
        theme.HEADLINE_SIZE = 99
        alt.theme.register("leak", enable=True)(lambda: {"config": {}})
        fonts.register()
        os.environ["LEAK"] = "1"
        """,
        STATE,
        f"""
        Path = __import__("pathlib").Path
        Path({str(tmp_path / "a.json")!r}).write_text(
            json.dumps({{"before": before, "after": state, **warm}}))
        """,
    )


def inspector(tmp_path: Path, name: str = "b") -> Path:
    """A run that records the state it found."""
    return notebook(
        tmp_path / f"{name}.ipynb",
        WARM,
        STATE,
        f"""
        Path = __import__("pathlib").Path
        Path({str(tmp_path / f"{name}.json")!r}).write_text(json.dumps({{"seen": state, **warm}}))
        """,
    )


def read(path: Path) -> dict:
    """Read what a run recorded."""
    return json.loads(path.read_text())


def gone(pid: int, seconds: float = 20.0) -> bool:
    """Wait (bounded) until a process has ended and been reaped or is a zombie."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if status == "Z":
            return True
        time.sleep(0.05)
    return False


def test_a_run_sees_nothing_the_run_before_it_changed(tmp_path: Path):
    with kernels.warm() as pool:
        run(polluter(tmp_path))
        run(inspector(tmp_path))
        zygote = pool.pid
        launched = list(pool.launched)
    a, b = read(tmp_path / "a.json"), read(tmp_path / "b.json")
    # The first run really changed every part of the state...
    assert all(a["after"][key] != a["before"][key] for key in a["before"]), a
    # ...and the next run on the same pool found it as the first run had found it.
    assert b["seen"] == a["before"]
    # Both ran warm: forked from the pool's zygote, with the libraries already imported.
    assert a["ppid"] == b["ppid"] == zygote
    assert a["pandas_preloaded"]
    assert b["pandas_preloaded"]
    assert launched == [a["pid"], b["pid"]]


def test_a_failed_or_dead_run_does_not_spoil_the_next(tmp_path: Path):
    failing = notebook(
        tmp_path / "fail.ipynb",
        "import pandas as pd\npd.options.display.max_rows = 7\nLEAK = 1",
        "raise ValueError('this run fails')",
    )
    dying = notebook(tmp_path / "die.ipynb", "import os\nos.environ['LEAK'] = '1'\nos._exit(3)")
    with kernels.warm() as pool:
        run(polluter(tmp_path))  # the reference: what a clean run finds
        with pytest.raises(PapermillExecutionError, match="this run fails"):
            run(failing)
        with pytest.raises(DeadKernelError):
            run(dying)
        run(inspector(tmp_path))
        assert pool.failed is None
        zygote = pool.pid
    b = read(tmp_path / "b.json")
    assert b["seen"] == read(tmp_path / "a.json")["before"]
    assert b["ppid"] == zygote


def test_two_runs_share_the_pool_at_the_same_time(tmp_path: Path):
    # Each run waits for the other's file: they can only both finish if they overlap.
    pair = []
    for me, other in (("left", "right"), ("right", "left")):
        pair.append(
            notebook(
                tmp_path / f"{me}.ipynb",
                f"""
                import os, time
                from pathlib import Path
                Path({str(tmp_path / me)!r}).write_text(str(os.getppid()))
                for _ in range(1200):
                    if Path({str(tmp_path / other)!r}).exists():
                        break
                    time.sleep(0.05)
                else:
                    raise TimeoutError("the other run never started")
                """,
            )
        )
    with kernels.warm() as pool:
        kernels.kernel_name()  # start the zygote before the threads ask for kernels
        errors = []

        def job(path: Path) -> None:
            try:
                run(path)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=job, args=(path,)) for path in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        zygote = pool.pid
        launched = len(set(pool.launched))
    assert errors == []
    assert (tmp_path / "left").read_text() == (tmp_path / "right").read_text() == str(zygote)
    assert launched == 2


def test_the_zygote_forks_with_a_single_thread(tmp_path: Path):
    with kernels.warm() as pool:
        run(inspector(tmp_path))
        tasks = list(Path(f"/proc/{pool.pid}/task").iterdir())
        assert pool.threads == 1
        assert len(tasks) == 1


def test_kernel_start_up_is_quiet(tmp_path: Path, capfd: pytest.CaptureFixture):
    with kernels.warm() as pool:
        run(inspector(tmp_path))
        assert pool.failed is None
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_the_pool_stops_its_zygote_and_kernels_on_an_error(tmp_path: Path):
    with pytest.raises(RuntimeError, match="render failed"), kernels.warm() as pool:  # noqa: PT012
        run(inspector(tmp_path))
        zygote = pool.pid
        from jupyter_client.manager import KernelManager

        # A kernel still running when the error comes: nobody shut it down.
        manager = KernelManager(kernel_name=kernels.kernel_name())
        manager.start_kernel()
        still_running = manager.provisioner.pid
        assert still_running in pool.launched
        msg = "render failed"
        raise RuntimeError(msg)
    assert kernels.active() is None
    assert gone(zygote)
    assert gone(still_running)


SCRIPT = """
import json, sys, time
from jupyter_client.manager import KernelManager
from entitylist.engine import kernels
with kernels.warm() as pool:
    manager = KernelManager(kernel_name=kernels.kernel_name())
    manager.start_kernel()
    print(json.dumps({"zygote": pool.pid, "kernel": manager.provisioner.pid}), flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL])
def test_no_process_outlives_a_render_stopped_by_ctrl_c_or_killed(signum: int):
    render = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path.cwd(),
        preexec_fn=ctrl_c_as_at_a_terminal,  # noqa: PLW1509 (a signal disposition only)
    )
    try:
        pids = json.loads(render.stdout.readline())
        assert Path(f"/proc/{pids['kernel']}").exists()
        render.send_signal(signum)
        render.wait(timeout=60)
    finally:
        render.kill()
        render.stdout.close()
    assert gone(pids["zygote"])
    assert gone(pids["kernel"])


def test_without_a_zygote_runs_fall_back_to_ordinary_kernels_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A zygote that dies at start-up, as one would on a broken import.
    monkeypatch.setattr(kernels, "SERVE", ("-c", "raise SystemExit(3)"))
    warnings = []
    with kernels.warm(warnings.append) as pool:
        run(inspector(tmp_path, "first"))
        run(inspector(tmp_path, "second"))
        assert pool.failed
    assert len(warnings) == 1
    assert "using ordinary kernels" in warnings[0]
    first = read(tmp_path / "first.json")
    # An ordinary kernel: launched by this process, importing the libraries itself.
    assert first["ppid"] == os.getpid()
    assert not first["pandas_preloaded"]
    assert read(tmp_path / "second.json")["seen"] == first["seen"]


def test_outside_a_pool_the_project_kernel_runs():
    assert kernels.active() is None
    assert kernels.kernel_name() == kernels.KERNEL


def test_a_warm_kernel_can_be_interrupted(tmp_path: Path):
    from jupyter_client.manager import KernelManager

    with kernels.warm() as pool:
        manager = KernelManager(kernel_name=kernels.kernel_name())
        manager.start_kernel(cwd=str(tmp_path))
        client = manager.blocking_client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            assert manager.provisioner.pid in pool.launched
            # Interrupt once the cell is running, as nbclient does on a timeout.
            # stop_on_error=False: otherwise ipykernel aborts requests that arrive while it
            # is still recovering from the interrupt, a race the next cell can lose.
            client.execute(
                "import time\nopen('started', 'w').close()\ntime.sleep(120)", stop_on_error=False
            )
            assert until((tmp_path / "started").exists, 60)
            manager.interrupt_kernel()
            reply = client.get_shell_msg(timeout=60)
            assert reply["content"]["status"] == "error"
            assert reply["content"]["ename"] == "KeyboardInterrupt"
            # The kernel lives on and runs the next cell.
            assert client.execute_interactive("1 + 1", timeout=60)["content"]["status"] == "ok"
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


# What a run can only get right if it is read when the run starts, not when the zygote did.
NOW = """
import json, os, random
from pathlib import Path
import numpy as np
from entitylist import config
from entitylist.data import schemas
config.COMPANIES = Path(os.environ["PROBE_COMPANIES"])
now = {
    "env": os.environ.get("PROBE"),
    "slugs": sorted(schemas.current("financials").columns["company"].checks[0].statistics[
        "allowed_values"]),
    "random": random.random(),
    "numpy": float(np.random.random()),
}
np.random.seed(0)
random.seed(0)
Path(os.environ["PROBE_OUT"]).write_text(json.dumps(now))
"""


def test_a_run_sees_configuration_environment_and_a_fresh_random_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import numpy as np

    from entitylist import config

    seen = []
    with kernels.warm():
        # Everything below changes after the zygote has imported the package.
        for number, slug in enumerate(["dahua-tech", "dahua-2"]):
            edited = tmp_path / f"companies-{number}.yaml"
            text = config.COMPANIES.read_text(encoding="utf-8")
            edited.write_text(text.replace("slug: dahua", f"slug: {slug}"), encoding="utf-8")
            monkeypatch.setenv("PROBE", f"run {number}")
            monkeypatch.setenv("PROBE_COMPANIES", str(edited))
            monkeypatch.setenv("PROBE_OUT", str(tmp_path / f"now-{number}.json"))
            run(notebook(tmp_path / f"now-{number}.ipynb", NOW))
            seen.append(read(tmp_path / f"now-{number}.json"))
    assert [s["env"] for s in seen] == ["run 0", "run 1"]
    assert "dahua-tech" in seen[0]["slugs"]
    assert "dahua-2" in seen[1]["slugs"]
    assert "dahua" not in seen[0]["slugs"] + seen[1]["slugs"]
    # Each run draws as a fresh interpreter would: not its sibling's numbers, and not the
    # numbers of the seed the run before it set.
    assert seen[0]["random"] != seen[1]["random"]
    assert seen[0]["numpy"] != seen[1]["numpy"]
    assert seen[1]["numpy"] != np.random.RandomState(0).random_sample()
