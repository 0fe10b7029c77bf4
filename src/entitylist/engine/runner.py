"""Run a stage's notebooks with papermill, in parallel, and export each one's page.

`execute` is the one place papermill is called. A failure comes back as one line: a desk
error raised in a notebook keeps its own message (it names the file, row or column); any
other error names the notebook and the cell.
"""

import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from entitylist import atomic, errors, paths
from entitylist.engine import checkpoints, kernels
from entitylist.engine.pipeline import Step
from entitylist.errors import DeskError, RenderError

# papermill's log (its "Timeout waiting for execute reply" and the like) would reach stderr
# through logging's last resort; every failure is reported as one line of the render's own.
logging.getLogger("papermill").addHandler(logging.NullHandler())


# How IPython names a frame of a cell in a traceback: "Cell In[7], line 3".
CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failing_line(traceback: list[str]) -> int | None:
    """The line of the failed cell the error came from (the cell's outermost frame)."""
    found = CELL_FRAME.search(ANSI.sub("", "\n".join(traceback)))
    return int(found.group(1)) if found else None


def failing_cell(executed: Path, exec_count: int | None, line: int | None = None) -> str:
    """Name a failed cell as the reporter sees it: its number in the notebook and first line,
    and the line within it that failed, when the traceback says."""
    # lazy: only a failed run reads its notebook back.
    import nbformat

    # papermill adds an error banner and the injected parameters to the executed copy;
    # count only the reporter's own cells.
    cells = [
        c
        for c in nbformat.read(executed, as_version=4).cells
        if "papermill-error-cell-tag" not in c.metadata.get("tags", [])
        and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    found = next(
        (
            (i, c)
            for i, c in enumerate(cells, 1)
            if exec_count is not None and c.get("execution_count") == exec_count
        ),
        None,
    )
    if found is None:
        return "a cell"
    number, cell = found
    first_line = (cell.source.strip().splitlines() or [""])[0][:70]
    named = f"cell {number} ({first_line!r})"
    lines = cell.source.splitlines()
    if line is None or not 0 < line <= len(lines):
        return named
    return f"{named}, line {line} ({lines[line - 1].strip()[:70]!r})"


def desk_error(ename: str, evalue: str) -> DeskError | None:
    """Rebuild a desk error raised inside a notebook, so it reaches the user unwrapped."""
    kind = getattr(errors, ename, None)
    if isinstance(kind, type) and issubclass(kind, DeskError):
        return kind(evalue)
    return None


def resuming_engine() -> str:
    """Register (once) and name the papermill engine that resumes from checkpoints."""
    # lazy: see execute.
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class ResumingClient(PapermillNotebookClient):
        """papermill's client, which takes the cells above `start` from the last run."""

        start = 0
        previous: tuple = ()

        def papermill_execute_cells(self) -> None:
            """Copy the outputs of the code cells above the checkpoint, then run the rest."""
            before = iter(self.previous)
            for cell in self.nb.cells[: self.start]:
                if cell.cell_type == "code":
                    old = next(before)
                    cell.outputs, cell.execution_count = old.outputs, old.execution_count
                    for name in ("papermill", "execution"):
                        if name in old.metadata:
                            cell.metadata[name] = old.metadata[name]
            super().papermill_execute_cells()

        def execute_cell(self, cell, cell_index, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201 (nbclient's)
            """Run a cell from the checkpoint on; leave those above it as copied."""
            if cell_index < self.start:
                return cell
            return super().execute_cell(cell, cell_index, *args, **kwargs)

    class ResumingEngine(NBClientEngine):
        """papermill's nbclient engine, on a checkpoint when the run's Keep finds one."""

        @classmethod
        def execute_managed_notebook(  # noqa: PLR0913 (papermill's signature)
            cls,
            nb_man,  # noqa: ANN001
            kernel_name: str,
            keep: checkpoints.Keep,
            log_output: bool = False,
            stdout_file=None,  # noqa: ANN001
            stderr_file=None,  # noqa: ANN001
            start_timeout: int = 60,
            execution_timeout: float | None = None,
            **kwargs,  # noqa: ANN003
        ):  # noqa: ANN206 (papermill's)
            """As NBClientEngine's, with the client above and the kernel the Keep plans."""
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            # Only the warm kernels' provisioner can hand a run to a checkpoint.
            keep.resumable = keep.resumable and kernel_name == kernels.WARM_KERNEL
            start, launch = keep.plan(nb_man.nb)
            client = ResumingClient(nb_man, **final_kwargs)
            client.start, client.previous = start, tuple(keep.previous)
            token = checkpoints.launching.set(launch)
            try:
                return client.execute()
            finally:
                checkpoints.launching.reset(token)

    papermill_engines.register(RESUMING, ResumingEngine)
    return RESUMING


RESUMING = "entitylist-resuming"


def papermill_run(
    notebook: Path,
    executed: Path,
    parameters: dict,
    work_root: Path,
    timeout: float,
    keep: checkpoints.Keep | None,
) -> None:
    """Execute a notebook with papermill into `executed` (from a checkpoint when `keep` finds
    one); a failed run's checkpoints are killed."""
    # lazy: see execute.
    import papermill

    engine = {"engine_name": resuming_engine(), "keep": keep} if keep else {}
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters={**parameters, "output_root": str(keep.root if keep else work_root)},
            kernel_name=kernels.kernel_name(),
            execution_timeout=timeout,
            # The kernel works in the generation: a relative path a notebook writes lands in
            # its output root (and is checked there), never in the live outputs beside the
            # notebooks. Through nbclient's resources, not papermill's cwd, which changes this
            # whole process's folder from two threads at once.
            resources={"metadata": {"path": str(keep.root if keep else work_root)}},
            progress_bar=False,
            request_save_on_cell_execute=False,
            # Kernel start-up and shutdown chatter is not news for a render's log.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            **engine,
        )
    except checkpoints.ResumeFailed:
        # The checkpoint ended (killed from outside): run from the top instead.
        keep.failed()
        keep.resumable = False
        papermill_run(notebook, executed, parameters, work_root, timeout, keep)
        return
    except BaseException:
        if keep:
            keep.failed()
        raise
    if keep:
        keep.done(executed)


def execute(
    step: Step,
    parameters: dict,
    work_root: Path,
    executed_dir: Path,
    notebooks: Path,
    keep: checkpoints.Keep | None = None,
) -> Path:
    """Run one notebook with papermill; on failure raise one plain error."""
    # lazy: papermill and nbclient take about 2.5 s to import; a no-op render runs nothing.
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    executed = executed_dir / f"{step.id}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill_run(
            notebooks / step.notebook, executed, parameters, work_root, step.cell_timeout, keep
        )
    except PapermillExecutionError as exc:
        own = desk_error(exc.ename, exc.evalue)
        if isinstance(own, errors.WordsError):
            # A template names a missing value, not where it is: add the notebook and cell.
            where = failing_cell(executed, exc.exec_count, failing_line(exc.traceback))
            msg = f"{step.notebook}: {where}: {own}"
            raise errors.WordsError(msg) from None
        if own is not None:
            raise own from None
        msg = (
            f"{step.notebook}: "
            f"{failing_cell(executed, exc.exec_count, failing_line(exc.traceback))} "
            f"raised {exc.ename}: {exc.evalue}; executed notebook kept at {paths.shown(executed)}"
        )
        raise RenderError(msg) from None
    except CellTimeoutError:
        msg = (
            f"{step.notebook}: a cell ran longer than {step.cell_timeout:g} s and was stopped "
            f"(cell_timeout in pipeline.yaml); executed notebook kept at {paths.shown(executed)}"
        )
        raise RenderError(msg) from None
    return executed


def publish_page(step: Step, executed: Path, site: Path) -> dict:
    """Export a step's page into site/ after checking it; return its title and summary.

    A notebook that says it has nothing to publish (meta `skip`, with a reason) leaves no
    page, and the index leaves it out.
    """
    # lazy: pages imports pandas and nbconvert's helpers; a no-op render exports nothing.
    from entitylist.pages import site as pages

    text, meta = pages.export(executed, page=step.page_file)
    target = site / step.page_file
    if meta.get("skip"):
        target.unlink(missing_ok=True)
        return {"skip": str(meta["skip"])}
    pages.check(step.page_file, text)
    atomic.write_text(target, text)
    return {"title": meta["title"], "summary": meta.get("summary", "")}


def run_stage(
    todo: list[Step],
    params: dict[str, dict],
    work_root: Path,
    executed_dir: Path,
    notebooks: Path,
    jobs: int,
    log: Callable[[str], None],
    progress: bool = False,
    keeps: dict[str, checkpoints.Keep] | None = None,
) -> dict[str, dict]:
    """Run a stage's steps in parallel (keeping checkpoints where `keeps` has the step);
    return each page's title and summary (or skip)."""
    site = work_root / paths.SITE_NAME

    def one(step: Step) -> tuple[Step, dict | None]:
        started = time.perf_counter()
        keep = (keeps or {}).get(step.id)
        executed = execute(step, params[step.id], work_root, executed_dir, notebooks, keep)
        meta = publish_page(step, executed, site) if step.page_file else None
        resumed = f" (from cell {keep.resumed_at})" if keep and keep.resumed_at else ""
        log(f"  ran {step.id:<28} {time.perf_counter() - started:6.1f} s{resumed}")
        return step, meta

    site.mkdir(parents=True, exist_ok=True)
    results = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    interrupted = False
    try:
        with tqdm(total=len(todo), unit="notebook", disable=not progress, leave=False) as bar:
            for future in as_completed([pool.submit(one, step) for step in todo]):
                results.append(future.result())
                bar.update()
    except KeyboardInterrupt:
        # Ctrl-C stops the render at once: end the kernels rather than wait for their cells.
        interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        kernels.stop_active()
        raise
    finally:
        if not interrupted:
            pool.shutdown(wait=True)
    return {s.page_file: meta for s, meta in results if meta}
