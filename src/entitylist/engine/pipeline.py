"""The pipeline as declared in notebooks/pipeline.yaml, its parameters, and the world it sees.

A step is one notebook run. It declares what it reads (deciding when it must run again) and
what it writes (globs under the output root; its page in site/ is implied). `scan` hashes
everything a plan looks at: the files steps read and the output folders.
"""

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from entitylist import atomic, paths
from entitylist.data.manifest import sha256
from entitylist.engine.globs import overlaps
from entitylist.errors import ParameterError, RenderError

PACKAGE_DIR = paths.PACKAGE
# The folders a render builds and publishes, relative to the output root.
OUTPUTS = (paths.PROCESSED_NAME.as_posix(), paths.CHARTS_NAME, paths.SITE_NAME)
# Reads under these are files of the repository (the raw snapshot, the desk's configuration);
# every other read is under the output root.
REPOSITORY_PREFIXES = ("data/raw", "notebooks/")
# The desk's hand-kept configuration. Every notebook imports the package, whose charts, pages
# and tables print what these files say (publisher names, company names, the site's name), so
# every step reads them: derived here, never left to pipeline.yaml to remember.
HAND_KEPT = (
    "notebooks/companies.yaml",
    "notebooks/publishers.yaml",
    "notebooks/site.yaml",
    "notebooks/institutions.yaml",
    "notebooks/not-found.yaml",
    "notebooks/words.yaml",
)
# Parameters the render sets itself, and the flag a reporter uses instead of -p.
RUN_PARAMETERS = {"as_of": "--as-of", "output_root": "--output-root"}
# Seconds one cell may run before the render stops it (`cell_timeout` in pipeline.yaml, for
# the pipeline or one notebook): a loop that never ends must not hold the render lock.
CELL_TIMEOUT = 600


@dataclass(frozen=True)
class Step:
    """One notebook run: its notebook, stage, page, what it reads and what it writes."""

    notebook: str
    stage: int
    page: str | None
    reads: tuple[str, ...]
    writes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)
    cell_timeout: float = CELL_TIMEOUT

    @property
    def id(self) -> str:
        """Name the run: the notebook's stem plus its fixed parameters."""
        suffix = "".join(f"-{value}" for _, value in sorted(self.params.items()))
        return Path(self.notebook).stem + suffix

    @property
    def page_file(self) -> str | None:
        """Return the page's file name in site/, if the notebook publishes one."""
        return f"{self.page.format(**self.params)}.html" if self.page else None

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every glob the step may write, with its page: paths relative to the output root."""
        page = (f"{paths.SITE_NAME}/{self.page_file}",) if self.page_file else ()
        return tuple(w.format(**self.params) for w in self.writes) + page


@dataclass(frozen=True)
class World:
    """What a plan sees: file hashes (relative paths), notebook hashes, code, parameters."""

    files: dict[str, str]
    notebooks: dict[str, str]
    code: str
    params: dict[str, dict]


def load_pipeline(path: Path = paths.PIPELINE) -> list[Step]:
    """Read notebooks/pipeline.yaml into steps, expanding `each:` into one step per value."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    default = timeout(spec.get("cell_timeout", CELL_TIMEOUT), f"{path.name}: cell_timeout")
    steps = []
    for number, entry in enumerate(spec.get("notebooks") or [], 1):
        missing = [key for key in ("notebook", "stage") if key not in entry]
        if missing:
            msg = f"{path.name}: entry {number} has no {', '.join(missing)}"
            raise RenderError(msg)
        common = {
            "notebook": entry["notebook"],
            "stage": int(entry["stage"]),
            "page": entry.get("page"),
            "reads": derived_reads(entry.get("reads", [])),
            "writes": tuple(entry.get("writes", [])),
            "cell_timeout": timeout(
                entry.get("cell_timeout", default), f"{path.name}: entry {number} cell_timeout"
            ),
        }
        each = entry.get("each")
        if each:
            ((name, values),) = each.items()
            steps += [Step(**common, params={name: value}) for value in values]
        else:
            steps.append(Step(**common, params=dict(entry.get("params", {}))))
    check_stages(steps, path)
    return steps


def timeout(value: object, where: str) -> float:
    """A cell timeout as pipeline.yaml gives it: a positive number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        msg = f"{where}: {value!r} is not a positive number of seconds"
        raise RenderError(msg)
    return float(value)


def derived_reads(declared: list[str]) -> tuple[str, ...]:
    """What a step reads: what pipeline.yaml declares, and the hand-kept files every step
    reads through the package."""
    return tuple(dict.fromkeys([*declared, *HAND_KEPT]))


def check_stages(steps: list[Step], path: Path) -> None:
    """Refuse a pipeline in which a step reads what another step of its own stage writes, or
    two steps can write the same file."""
    for number, step in enumerate(steps):
        for other in steps[number + 1 :]:
            both = next(
                ((a, b) for a in step.outputs for b in other.outputs if overlaps(a, b)), None
            )
            if both:
                # Each would rebuild, clear or skip the other's file: an incremental render
                # could publish what a clean one would not.
                msg = (
                    f"{path.name}: {step.id} writes {both[0]} and {other.id} writes {both[1]}, "
                    "which can name the same file; give each file to one notebook"
                )
                raise RenderError(msg)
    for step in steps:
        for other in steps:
            if other.stage != step.stage or other is step:
                continue
            for read in step.reads:
                if any(overlaps(read, write) for write in other.outputs):
                    msg = (
                        f"{path.name}: {step.id} reads {read}, which {other.id} writes in the "
                        f"same stage ({step.stage}); put {step.id} in a later stage"
                    )
                    raise RenderError(msg)


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


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """Return a notebook's declared parameters: name -> type, default and help.

    Cached by the notebook's content hash, so a render with nothing to do never pays for
    importing papermill.
    """
    try:
        digest = sha256(notebook)
    except FileNotFoundError:
        msg = f"{paths.shown(notebook)}: no such notebook; pipeline.yaml lists it"
        raise RenderError(msg) from None
    cache = paths.BUILD / "parameters.json"
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if digest not in known:
        # lazy: papermill takes about 2 s to import; a render with nothing to do never needs it.
        import papermill
        from nbformat.reader import NotJSONError

        try:
            found = papermill.inspect_notebook(str(notebook))
        except (NotJSONError, ValueError, KeyError, AttributeError) as exc:
            # A notebook caught half-saved by the preview's watcher, or edited into bad JSON.
            msg = (
                f"{paths.shown(notebook)}: not a readable notebook "
                f"({type(exc).__name__}; half-saved?); save it again"
            )
            raise RenderError(msg) from None
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


def per_page_message(name: str, value: str, steps: list[Step]) -> str:
    """Explain that a parameter is set per page, pointing to the page the value names."""
    owners = [s for s in steps if name in s.params]
    match = next((s for s in owners if str(s.params[name]) == value), None)
    if match:
        hint = f"to render the page for {name}={value} use --only {match.id}"
    else:
        values = ", ".join(str(s.params[name]) for s in owners)
        hint = (
            f"{value!r} is not one of its values ({values}); "
            f"to render one page use --only {owners[0].id}"
        )
    return f"-p {name}: {name} is set per page by pipeline.yaml; {hint}"


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
        if name in RUN_PARAMETERS:
            msg = f"-p {name}: set by the render; use {RUN_PARAMETERS[name]} instead"
            raise ParameterError(msg)
        if name in per_page:
            raise ParameterError(per_page_message(name, value, steps))
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


def expand(base: Path, pattern: str) -> list[Path]:
    """Return the files a read names under base: a file, every file in a folder, or a glob."""
    targets = sorted(base.glob(pattern)) if any(c in pattern for c in "*?[") else [base / pattern]
    files = []
    for target in targets:
        if target.is_dir():
            files += sorted(p for p in target.rglob("*") if p.is_file())
        elif target.is_file():
            files.append(target)
    return files


def tree(root: Path, folders: Iterable[str]) -> dict[str, str]:
    """Hash every file under the named folders of root, keyed by path relative to root."""
    found = {}
    for folder in folders:
        for file in expand(root, folder):
            found[file.relative_to(root).as_posix()] = sha256(file)
    return found


def package_files() -> list[Path]:
    """Every file of the package a page can depend on: code, templates, styles, fonts and
    anything added beside them (only bytecode is left out, being made from the code)."""
    return sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def code_hash() -> str:
    """Hash what every page depends on: the package's files (package_files), the pinned
    dependencies and the site's address. The hand-kept YAML files are reads (HAND_KEPT)."""
    digest = hashlib.sha256()
    named = [(f.relative_to(PACKAGE_DIR).as_posix(), f) for f in package_files()]
    lock = paths.ROOT / "requirements.txt"
    for name, file in [*named, *([("requirements.txt", lock)] if lock.exists() else [])]:
        digest.update(name.encode())
        digest.update(file.read_bytes())
    digest.update(os.environ.get("ENTITYLIST_SITE_URL", "").encode())
    return digest.hexdigest()


def scan(
    steps: list[Step],
    root: Path,
    notebooks: Path,
    params: dict[str, dict],
    code: str,
    folders: Iterable[str] = OUTPUTS,
) -> World:
    """Hash what a plan looks at: raw files the steps read, and the output folders of root."""
    raw = {r for s in steps for r in s.reads if r.startswith(REPOSITORY_PREFIXES)}
    other = {r for s in steps for r in s.reads if not r.startswith(REPOSITORY_PREFIXES)}
    files = tree(paths.ROOT, raw) | tree(root, set(folders) | other)
    hashes = {s.notebook: sha256(notebooks / s.notebook) for s in steps}
    return World(files=files, notebooks=hashes, code=code, params=params)
