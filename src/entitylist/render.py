"""Run the notebooks with papermill, export their pages, and publish only a complete site.

A render builds into build/stage (a copy of the live outputs), runs the notebooks whose
inputs changed, exports and checks every page, then swaps data/processed, charts and site
into place. A failure leaves the live outputs as they were and keeps the executed notebook.
"""

import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tqdm import tqdm

from entitylist import kernels, paths
from entitylist.errors import ParameterError, RenderError

PACKAGE_DIR = Path(__file__).resolve().parent
OUTPUTS = (paths.PROCESSED_NAME, Path(paths.CHARTS_NAME), Path(paths.SITE_NAME))
# Parameters every notebook takes, set by the render itself.
RUN_PARAMETERS = ("as_of", "output_root")


@dataclass(frozen=True)
class Step:
    """One notebook run: the notebook, its stage, its page and what it reads."""

    notebook: str
    stage: int
    page: str | None
    reads: tuple[str, ...]
    params: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Name the run: the notebook's stem plus its fixed parameters."""
        suffix = "".join(f"-{value}" for _, value in sorted(self.params.items()))
        return Path(self.notebook).stem + suffix

    @property
    def page_file(self) -> str | None:
        """Return the page's file name in site/, if the notebook publishes one."""
        return f"{self.page.format(**self.params)}.html" if self.page else None


def load_pipeline(path: Path = paths.PIPELINE) -> list[Step]:
    """Read notebooks/pipeline.yaml into steps, expanding `each:` into one step per value."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = []
    for entry in spec["notebooks"]:
        common = {
            "notebook": entry["notebook"],
            "stage": int(entry["stage"]),
            "page": entry.get("page"),
            "reads": tuple(entry.get("reads", [])),
        }
        each = entry.get("each")
        if each:
            ((name, values),) = each.items()
            steps += [Step(**common, params={name: value}) for value in values]
        else:
            steps.append(Step(**common, params=dict(entry.get("params", {}))))
    return steps


def select(steps: list[Step], only: Iterable[str] | None) -> list[Step]:
    """Keep the steps named by --only (notebook stem, run id or page); all when None."""
    if not only:
        return steps
    wanted = set(only)
    chosen = [
        s
        for s in steps
        if wanted & {s.id, Path(s.notebook).stem, s.notebook, s.page_file or "", s.page or ""}
    ]
    if not chosen:
        known = ", ".join(sorted({Path(s.notebook).stem for s in steps}))
        msg = f"--only {', '.join(sorted(wanted))}: no such notebook; choose from {known}"
        raise ParameterError(msg)
    return chosen


def hash_paths(digest: "hashlib._Hash", base: Path, names: Iterable[str]) -> None:
    """Feed the names and bytes of files under the given paths (or globs) into a digest."""
    for name in sorted(names):
        if any(char in name for char in "*?["):
            targets = sorted(base.glob(name)) or [base / name]
        else:
            targets = [base / name]
        for target in targets:
            files = (
                sorted(p for p in target.rglob("*") if p.is_file())
                if target.is_dir()
                else [target]
            )
            for file in files:
                digest.update(str(file.relative_to(base)).encode())
                digest.update(file.read_bytes() if file.exists() else b"<missing>")


def code_hash() -> str:
    """Hash the package's code, templates and styles, and the pinned dependencies."""
    digest = hashlib.sha256()
    names = [
        str(p.relative_to(PACKAGE_DIR))
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in {".py", ".j2", ".css", ".json", ".ttf", ".otf"}
    ]
    hash_paths(digest, PACKAGE_DIR, names)
    hash_paths(digest, paths.ROOT, ["requirements.txt"])
    return digest.hexdigest()


def input_hash(step: Step, work_root: Path, parameters: dict, code: str, notebooks: Path) -> str:
    """Hash everything a step's result depends on: notebook, parameters, data, code."""
    digest = hashlib.sha256(code.encode())
    hash_paths(digest, notebooks, [step.notebook])
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    raw = [r for r in step.reads if r.startswith("data/raw")]
    hash_paths(digest, paths.ROOT, raw)
    hash_paths(digest, work_root, [r for r in step.reads if r not in raw])
    return digest.hexdigest()


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """Return a notebook's declared parameters: name -> type, default and help.

    Cached by the notebook's content hash, so a render with nothing to do never pays for
    importing papermill.
    """
    from entitylist import atomic

    digest = hashlib.sha256(notebook.read_bytes()).hexdigest()
    cache = paths.BUILD / "parameters.json"
    known = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    if digest not in known:
        import papermill

        found = papermill.inspect_notebook(str(notebook))
        known[digest] = {name: dict(spec) for name, spec in found.items()}
        atomic.write_text(cache, json.dumps(known, indent=1, sort_keys=True))
    return known[digest]


def coerce(name: str, value: str, spec: dict) -> object:
    """Convert a -p value to the parameter's declared type, or explain what is valid."""
    kind = spec.get("inferred_type_name", "None")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if value.lower() not in {"true", "false"}:
                raise ValueError(value)
            return value.lower() == "true"
    except ValueError:
        msg = f"-p {name}={value!r}: expected {kind} ({spec.get('help') or 'no help'})"
        raise ParameterError(msg) from None
    return value


def validate_overrides(
    steps: list[Step], overrides: dict[str, str], notebooks: Path
) -> dict[str, object]:
    """Check -p key=value pairs against the notebooks' parameters before anything runs."""
    declared: dict[str, dict] = {}
    for notebook in dict.fromkeys(s.notebook for s in steps):
        declared.update(notebook_parameters(notebooks / notebook))
    settable = {k: v for k, v in declared.items() if k not in RUN_PARAMETERS}
    per_page = {name for step in steps for name in step.params}
    typed = {}
    for name, value in overrides.items():
        if name in per_page:
            example = next(s.id for s in steps if name in s.params)
            msg = (
                f"-p {name}: set for each page by pipeline.yaml; to render one page, "
                f"use --only (e.g. --only {example})"
            )
            raise ParameterError(msg)
        if name not in settable:
            valid = ", ".join(
                f"{k} ({v.get('inferred_type_name')}: {v.get('help') or ''})".rstrip(": )") + ")"
                for k, v in sorted(settable.items())
            )
            msg = f"-p {name}: no notebook has this parameter; valid: {valid or 'none'}"
            raise ParameterError(msg)
        typed[name] = coerce(name, value, settable[name])
    return typed


def step_parameters(step: Step, as_of: str | None, overrides: dict, notebooks: Path) -> dict:
    """Return the parameters a step's notebook receives, without the output location."""
    declared = notebook_parameters(notebooks / step.notebook)
    chosen = {"as_of": as_of or "", **step.params}
    chosen.update({k: v for k, v in overrides.items() if k in declared})
    return chosen


def failing_cell(executed: Path, exec_count: int) -> str:
    """Name a failed cell as the reporter sees it: its number in the notebook and first line."""
    import nbformat

    # papermill adds an error banner and the injected parameters to the executed copy;
    # count only the reporter's own cells.
    cells = [
        c
        for c in nbformat.read(executed, as_version=4).cells
        if c.cell_type != "markdown"
        or "papermill-error-cell-tag" not in c.metadata.get("tags", [])
    ]
    own = [c for c in cells if "injected-parameters" not in c.metadata.get("tags", [])]
    number, cell = next(
        (i, c) for i, c in enumerate(own, 1) if c.get("execution_count") == exec_count
    )
    first_line = (cell.source.strip().splitlines() or [""])[0][:70]
    return f"cell {number} ({first_line!r})"


def execute(
    step: Step, parameters: dict, work_root: Path, executed_dir: Path, notebooks: Path
) -> Path:
    """Run one notebook with papermill; on failure name the notebook and the cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = executed_dir / f"{step.id}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebooks / step.notebook),
            str(executed),
            parameters={**parameters, "output_root": str(work_root)},
            kernel_name=kernels.kernel_name(),
            cwd=str(notebooks),
            progress_bar=False,
            request_save_on_cell_execute=False,
            # Kernel start-up and shutdown chatter is not news for a render's log.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        rel = executed.relative_to(paths.ROOT) if executed.is_relative_to(paths.ROOT) else executed
        msg = (
            f"{step.notebook}: {failing_cell(executed, exc.exec_count)} "
            f"raised {exc.ename}: {exc.evalue}; executed notebook kept at {rel}"
        )
        raise RenderError(msg) from None
    return executed


def publish_page(step: Step, executed: Path, site: Path) -> dict:
    """Export a step's page into site/, after checking it; return its title and summary."""
    from entitylist import atomic, pages

    text, meta = pages.export(executed)
    pages.check(step.page_file, text)
    atomic.write_text(site / step.page_file, text)
    return {"title": meta["title"], "summary": meta.get("summary", "")}


@dataclass
class Result:
    """What a render did: the steps it ran and skipped, the pages it published, its time."""

    output_root: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    published: bool = False
    seconds: float = 0.0
    changes: dict = field(default_factory=dict)


def work_dir(out_root: Path) -> Path:
    """Return build/runs/<key>: this output root's staging tree, executed notebooks, state."""
    key = hashlib.sha256(str(out_root).encode()).hexdigest()[:12]
    return paths.BUILD / "runs" / key


def state_file(out_root: Path) -> Path:
    """Where the input hashes of the last good render into this output root are kept."""
    return work_dir(out_root) / "state.json"


def read_state(out_root: Path) -> dict:
    """Return the last good render's step hashes and page titles."""
    path = state_file(out_root)
    if not path.exists():
        return {"steps": {}, "pages": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def stage_copy(out_root: Path, stage: Path) -> None:
    """Start the staging tree as a copy of the live outputs, so skipped steps keep theirs."""
    shutil.rmtree(stage, ignore_errors=True)
    for name in OUTPUTS:
        source = out_root / name
        if source.exists():
            shutil.copytree(source, stage / name)
        else:
            (stage / name).mkdir(parents=True)


def swap_in(stage: Path, out_root: Path) -> None:
    """Move the checked staging outputs into place, one rename per folder."""
    trash = stage.parent / "previous"
    shutil.rmtree(trash, ignore_errors=True)
    for name in OUTPUTS:
        live = out_root / name
        (trash / name).parent.mkdir(parents=True, exist_ok=True)
        live.parent.mkdir(parents=True, exist_ok=True)
        if live.exists():
            live.replace(trash / name)
        (stage / name).replace(live)
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(stage, ignore_errors=True)


def copy_downloads(work_root: Path) -> None:
    """Put the processed tables and chart files in site/ so the site is self-contained."""
    site = work_root / paths.SITE_NAME
    for folder, pattern, target in (
        (paths.PROCESSED_NAME, "*", "data"),
        (Path(paths.CHARTS_NAME), "*", "charts"),
    ):
        shutil.rmtree(site / target, ignore_errors=True)
        (site / target).mkdir(parents=True)
        for file in sorted((work_root / folder).glob(pattern)):
            shutil.copy2(file, site / target / file.name)


def index_order(step: Step) -> tuple:
    """The story first, then the figure pages and profiles, the data page last."""
    return (step.page != "story", step.stage == 1, step.stage, step.id)


def write_index(steps: list[Step], page_meta: dict, work_root: Path) -> None:
    """Write site/index.html linking every page the pipeline publishes."""
    from entitylist import atomic, pages

    listed = [
        pages.Page(s.page_file, page_meta[s.page_file]["title"], page_meta[s.page_file]["summary"])
        for s in sorted(steps, key=index_order)
        if s.page_file and s.page_file in page_meta
    ]
    text = pages.index_html(listed)
    pages.check("index.html", text)
    atomic.write_text(work_root / paths.SITE_NAME / "index.html", text)


def check_site(site: Path) -> int:
    """Check every page of a finished site once more before it is published."""
    from entitylist import pages

    files = sorted(site.glob("*.html"))
    for file in files:
        pages.check(file.name, file.read_text(encoding="utf-8"))
    return len(files)


def run_stage(
    todo: list[Step],
    params: dict[str, dict],
    work_root: Path,
    runs: Path,
    notebooks: Path,
    jobs: int,
    log: Callable[[str], None],
    progress: bool = False,
) -> dict[str, dict]:
    """Run a stage's steps in parallel; return each page's title and summary."""
    site = work_root / paths.SITE_NAME

    def one(step: Step) -> tuple[Step, dict | None]:
        started = time.perf_counter()
        executed = execute(step, params[step.id], work_root, runs / "executed", notebooks)
        meta = publish_page(step, executed, site) if step.page_file else None
        log(f"  ran {step.id:<28} {time.perf_counter() - started:6.1f} s")
        return step, meta

    results = []
    with (
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
        tqdm(total=len(todo), unit="notebook", disable=not progress, leave=False) as bar,
    ):
        for future in as_completed([pool.submit(one, step) for step in todo]):
            results.append(future.result())
            bar.update()
    return {s.page_file: meta for s, meta in results if meta}


# Notebook runs fork warm kernels from one zygote, started only if a notebook runs.
@kernels.warm()
def render(
    as_of: str | None = None,
    only: Iterable[str] | None = None,
    force: bool = False,
    jobs: int = 2,
    overrides: dict[str, str] | None = None,
    quiet: bool = False,
    output_root: Path | None = None,
    pipeline: Path = paths.PIPELINE,
) -> Result:
    """Render the site: run what changed, check every page, then publish all at once."""
    from entitylist import asof, manifest

    started = time.perf_counter()

    def log(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    asof.parse(as_of)
    manifest.verify_manifest()
    notebooks = pipeline.parent
    steps = load_pipeline(pipeline)
    chosen = select(steps, only)
    typed = validate_overrides(steps, dict(overrides or {}), notebooks)
    out_root = Path(output_root or (paths.BUILD / f"as-of-{as_of}" if as_of else paths.ROOT))
    out_root = out_root.resolve()
    state = read_state(out_root)
    code = code_hash()
    params = {s.id: step_parameters(s, as_of, typed, notebooks) for s in chosen}
    result = Result(out_root)
    runs = work_dir(out_root)
    stage = runs / "stage"
    work_root = out_root
    new_hashes = dict(state["steps"])
    page_meta = dict(state["pages"])

    for number in sorted({s.stage for s in chosen}):
        in_stage = [s for s in chosen if s.stage == number]
        hashes = {s.id: input_hash(s, work_root, params[s.id], code, notebooks) for s in in_stage}
        todo = [
            s
            for s in in_stage
            if force
            or state["steps"].get(s.id) != hashes[s.id]
            or (s.page_file and not (out_root / paths.SITE_NAME / s.page_file).exists())
        ]
        result.skipped += [s.id for s in in_stage if s not in todo]
        if not todo:
            continue
        if work_root == out_root:
            stage_copy(out_root, stage)
            work_root = stage
        log(f"stage {number}: {len(todo)} notebook(s)")
        page_meta.update(
            run_stage(
                todo,
                params,
                work_root,
                runs,
                notebooks,
                jobs,
                log,
                progress=not quiet and sys.stderr.isatty(),
            )
        )
        result.ran += [s.id for s in todo]
        # A step's hash covers the inputs it read, which this stage may just have rewritten
        # for the next one; later stages hash against the staging tree.
        new_hashes.update(hashes)

    if work_root == out_root:
        log("nothing changed: the site is up to date")
    else:
        from entitylist import changes

        copy_downloads(work_root)
        write_index(steps, page_meta, work_root)
        count = check_site(work_root / paths.SITE_NAME)
        report = changes.compare(out_root, work_root)
        swap_in(work_root, out_root)
        changes.write(report, runs)
        result.changes = report
        log(changes.summary(report))
        state_path = state_file(out_root)
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state_path.write_text(
            json.dumps({"steps": new_hashes, "pages": page_meta}, indent=2, sort_keys=True),
            encoding="utf-8",
        )
        result.published = True
        log(f"published {count} pages to {out_root / paths.SITE_NAME}")
    result.seconds = time.perf_counter() - started
    return result
