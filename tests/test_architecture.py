"""The package's shape, read from its modules' own source with ast: no module imports one that
imports it back (however far round), and an import inside a function says why it is there.

Every import counts: at module level, under `if TYPE_CHECKING:`, and inside functions, since an
import that dodges a cycle by running late still ties the two modules together. The house
rule for an import inside a function: a comment starting `# lazy:` on the line of the import or
on the comment lines right above it, saying why (start-up cost: the command line's `--help`
and a no-op render must not import pandas, nbconvert or Altair); imports that follow one
another share the first one's comment.
"""

import ast
import graphlib
import io
import re
import tokenize
from pathlib import Path

import nbformat

from entitylist import paths

PACKAGE = paths.ROOT / "src" / "entitylist"
LAZY = "# lazy:"

# The wings and what each may import; ARCHITECTURE.md draws the same map. The ground floor
# is what every wing stands on; the notebook API is what the story notebooks import.
GROUND = {"paths", "config", "errors", "atomic", "characters"}
NOTEBOOK_API = {
    "tables",
    "figures",
    "words",
    "reader",
    "charts",
    "story",
    "publish",
    "downloads",
    "theme",
}
ENTRY = {"cli", "__main__"}
SUB_PACKAGES = {"data", "pages", "engine"}
MAY_IMPORT = {
    "ground": {"ground"},
    "data": {"ground", "data"},
    "api": {"ground", "data", "api", "pages"},
    "pages": {"ground", "data", "api", "pages"},
    "engine": {"ground", "data", "api", "pages", "engine"},
    "entry": {"ground", "data", "api", "pages", "engine", "entry"},
}
# Only the cleaning notebook reaches into the data wing; no notebook reaches further.
DATA_NOTEBOOK = "10-clean.ipynb"


def module_names(package_dir: Path) -> set[str]:
    """The package's modules and sub-packages, dotted from the package ('data.cleaning')."""
    names = set()
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        names.add(".".join(parts))
    return names - {""}


def resolved(dotted: str, names: set[str]) -> str | None:
    """The longest of the package's modules that a dotted name (within it) starts with."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in names:
            return ".".join(parts[:end])
    return None


def imported_modules(
    node: ast.Import | ast.ImportFrom, package: str, names: set[str], here: str = ""
) -> set[str]:
    """The package's modules that one import statement in module `here` reaches."""
    if isinstance(node, ast.Import):
        prefix = f"{package}."
        inside = [a.name.removeprefix(prefix) for a in node.names if a.name.startswith(prefix)]
        return {resolved(n, names) for n in inside} - {None}
    if node.level:
        # A relative import counts from the importing module's own package.
        base_parts = [package, *here.split(".")][: -node.level] if here else [package]
        base = ".".join([*base_parts, *filter(None, [node.module])])
    else:
        base = node.module or ""
    if base != package and not base.startswith(f"{package}."):
        return set()
    inside = base.removeprefix(package).lstrip(".")
    # `from entitylist.data import cleaning` reaches the module when it is one.
    found = {resolved(".".join(filter(None, [inside, a.name])), names) for a in node.names}
    return {n for n in found if n} or ({resolved(inside, names)} - {None})


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Each module of the package (dotted) -> the package's modules it imports, anywhere in it."""
    package = package_dir.name
    names = module_names(package_dir)
    graph = {}
    for name in sorted(names):
        path = package_dir / (name.replace(".", "/") + ".py")
        path = path if path.exists() else package_dir / name.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found |= imported_modules(node, package, names, name)
        graph[name] = found - {name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules round it ('a', 'b', 'a'); None if none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(reversed(exc.args[1]))
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles until none is left, each found after cutting one import of the last."""
    graph = {name: set(imported) for name, imported in graph.items()}
    found = []
    while (one := cycle(graph)) is not None:
        found.append(one)
        graph[one[0]].discard(one[1])
    return found


def comment_lines(source: str) -> dict[int, str]:
    """Line number -> the comment on that line, from the tokens (a '#' in a string is none)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT}


def import_runs(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[list[ast.stmt]]:
    """The imports inside a function, in runs of statements that follow one another."""
    runs = []
    for node in ast.walk(function):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            run: list[ast.stmt] = []
            # A lambda's or a conditional expression's body is an expression, not statements.
            for statement in statements if isinstance(statements, list) else []:
                if isinstance(statement, ast.Import | ast.ImportFrom):
                    run.append(statement)
                    continue
                runs += [run] if run else []
                run = []
            runs += [run] if run else []
    return runs


def unexplained_imports(path: Path) -> list[str]:
    """Imports inside a function of a module with no `# lazy:` comment: 'file:line: import'.

    The comment goes on an import's line or on the comment lines right above it; imports that
    follow one another share the first one's comment."""
    source = path.read_text(encoding="utf-8")
    comments = comment_lines(source)
    lines = source.splitlines()
    found = {}
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for run in import_runs(function):
            said = [comments.get(n.lineno, "") for n in run]
            above = run[0].lineno - 1
            # The comment block right above the run (its lines hold nothing but comments).
            while above in comments and lines[above - 1].lstrip().startswith("#"):
                said.append(comments[above])
                above -= 1
            if not any(c.startswith(LAZY) for c in said):
                found |= {n.lineno: f"{path.name}:{n.lineno}: {ast.unparse(n)}" for n in run}
    # A nested function is walked twice; each import is named once, in file order.
    return [found[line] for line in sorted(found)]


def test_the_package_has_no_import_cycle():
    found = cycles(import_graph(PACKAGE))
    assert found == [], "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_every_import_inside_a_function_says_why():
    found = [line for path in sorted(PACKAGE.rglob("*.py")) for line in unexplained_imports(path)]
    assert found == [], (
        f"{len(found)} import(s) inside a function without a '{LAZY} <why>' comment: "
        + "; ".join(found)
    )


def wing(module: str) -> str | None:
    """The wing a module belongs to, from its place in the tree; None if it has none."""
    top = module.split(".")[0]
    if top in SUB_PACKAGES:
        return top
    return next(
        (
            w
            for w, names in (("ground", GROUND), ("api", NOTEBOOK_API), ("entry", ENTRY))
            if module in names
        ),
        None,
    )


def wing_faults(graph: dict[str, set[str]]) -> list[str]:
    """Modules in no wing, and imports a wing may not make: 'a (wing) imports b (wing)'."""
    faults = [f"{m} belongs to no wing" for m in sorted(graph) if wing(m) is None]
    for module, imported in sorted(graph.items()):
        for other in sorted(imported):
            if (
                None not in (wing(module), wing(other))
                and wing(other) not in MAY_IMPORT[wing(module)]
            ):
                faults.append(f"{module} ({wing(module)}) imports {other} ({wing(other)})")
    return faults


def notebook_imports(notebook: Path) -> set[str]:
    """The package's modules a notebook's code cells import (dotted, as in the graph)."""
    names = module_names(PACKAGE)
    found = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found |= imported_modules(node, PACKAGE.name, names)
    return found


def test_each_module_sits_in_a_wing_and_imports_only_what_its_wing_may():
    faults = wing_faults(import_graph(PACKAGE))
    assert faults == [], "; ".join(faults)


def test_notebooks_import_the_notebook_api_and_only_cleaning_the_data_wing():
    faults = []
    for notebook in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        allowed = {"ground", "api"} | ({"data"} if notebook.name == DATA_NOTEBOOK else set())
        faults += [
            f"{notebook.name} imports {m} ({wing(m)})"
            for m in sorted(notebook_imports(notebook))
            if wing(m) not in allowed
        ]
    assert faults == [], "; ".join(faults)
    assert any(wing(m) == "data" for m in notebook_imports(paths.NOTEBOOKS / DATA_NOTEBOOK))


def test_a_wing_that_reaches_up_or_a_module_outside_every_wing_is_named():
    graph = {
        "paths": set(),
        "data.cleaning": {"paths", "charts"},
        "charts": {"data.cleaning", "pages.fonts"},
        "pages.fonts": {"paths"},
        "engine.render": {"charts", "data.cleaning"},
        "stray": set(),
        "paths_too": {"engine.render"},
    }
    assert wing_faults(graph) == [
        "paths_too belongs to no wing",
        "stray belongs to no wing",
        "data.cleaning (data) imports charts (api)",
    ]
    graph["pages.fonts"] = {"engine.render"}
    graph["paths"] = {"data.cleaning"}
    assert wing_faults(graph)[-2:] == [
        "pages.fonts (pages) imports engine.render (engine)",
        "paths (ground) imports data.cleaning (data)",
    ]


def readme_map(readme: str) -> dict[str, str]:
    """The README's map of modules: module (dotted, as in the graph) -> the wing its row names."""
    wings = {"ground floor": "ground", "`data/`": "data", "notebook API": "api"}
    wings |= {"`pages/`": "pages", "`engine/`": "engine", "entry points": "entry"}
    found, wing_here = {}, None
    for line in readme.split("| where | module | concern |", 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        where, modules = line.split("|")[1:3]
        wing_here = next((w for k, w in wings.items() if where.strip().startswith(k)), wing_here)
        prefix = f"{wing_here}." if wing_here in SUB_PACKAGES else ""
        for name in re.findall(r"`([a-z_]+)\.py`", modules):
            found[prefix + name] = wing_here
    return found


def test_the_readme_map_and_architecture_md_name_every_module_in_its_wing():
    modules = {m for m in module_names(PACKAGE) if m not in SUB_PACKAGES}
    mapped = readme_map((paths.ROOT / "README.md").read_text(encoding="utf-8"))
    assert set(mapped) == modules
    assert {m: w for m, w in mapped.items() if w != wing(m)} == {}
    drawn = (paths.ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert [m for m in sorted(modules - {"__main__"}) if m.split(".")[-1] not in drawn] == []


def write_package(root: Path, modules: dict[str, str]) -> Path:
    """A throwaway flat package named `entitylist` with the given modules' source."""
    package = root / "entitylist"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in modules.items():
        (package / f"{name}.py").write_text(source)
    return package


def test_a_cycle_through_a_function_or_type_hints_is_found_and_named(tmp_path: Path):
    package = write_package(
        tmp_path,
        {
            "low": "from entitylist.errors import Oops\n",
            "errors": "class Oops(Exception):\n    pass\n",
            # A cycle that runs late: mid imports top only when it is called.
            "mid": "from entitylist import low\n\ndef f():\n    from entitylist import top\n",
            "top": "from . import mid\n",
            "hinted": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from entitylist.user import Thing\n"
            ),
            "user": "import entitylist.hinted\nclass Thing:\n    pass\n",
        },
    )
    graph = import_graph(package)
    assert graph["mid"] == {"low", "top"}
    assert graph["top"] == {"mid"}
    assert graph["low"] == {"errors"}
    assert graph["hinted"] == {"user"}
    assert graph["user"] == {"hinted"}
    found = cycles(graph)
    assert all(c[0] == c[-1] for c in found)
    assert sorted(sorted(set(c)) for c in found) == [["hinted", "user"], ["mid", "top"]]
    # Without those two back edges the same package has none.
    graph["top"], graph["user"] = set(), set()
    assert cycles(graph) == []


def test_an_import_inside_a_function_needs_a_lazy_comment(tmp_path: Path):
    package = write_package(
        tmp_path,
        {
            "mod": (
                "import json\n\n"
                "def bare():\n    import csv\n\n"
                "def said_above():\n    # lazy: pandas takes a second to import\n"
                "    import pandas\n\n"
                "def said_on_the_line():\n    import lxml  # lazy: only the checks need it\n\n"
                "def said_too_far_up():\n    # lazy: a reason for something else\n    x = 1\n"
                "    import yaml\n\n"
                "def said_in_a_string():\n    text = '# lazy: not a comment'; import re\n\n"
                "class Holder:\n    def method(self):\n        from entitylist import mod\n\n"
                "def a_run():\n    # lazy: papermill takes two seconds\n    import papermill\n"
                "    from nbclient import exceptions\n    x = 1\n    import nbformat\n\n"
                "def nested():\n    try:\n        import csv\n    except ImportError:\n"
                "        pass\n    return lambda: 1 if csv else 0\n"
            ),
        },
    )
    found = unexplained_imports(package / "mod.py")
    assert [line.split(": ", 1)[1] for line in found] == [
        "import csv",
        "import yaml",
        "import re",
        "from entitylist import mod",
        "import nbformat",
        "import csv",
    ]
    assert found[0].startswith("mod.py:4: ")  # each named by its file and line
