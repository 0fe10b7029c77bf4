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
import tokenize
from pathlib import Path

from entitylist import paths

PACKAGE = paths.ROOT / "src" / "entitylist"
LAZY = "# lazy:"


def imported_modules(node: ast.Import | ast.ImportFrom, package: str, names: set[str]) -> set[str]:
    """The package's modules that one import statement reaches (an attribute of one is it)."""
    if isinstance(node, ast.Import):
        return {a.name.split(".")[1] for a in node.names if a.name.startswith(f"{package}.")}
    # The package is flat: a relative import ('from . import x', 'from .x import y') is in it.
    base = ".".join(filter(None, [package, node.module])) if node.level else node.module or ""
    if base == package:
        return {alias.name for alias in node.names if alias.name in names}
    if base.startswith(f"{package}."):
        return {base.split(".")[1]}
    return set()


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Each module of a flat package -> the package's modules it imports, anywhere in it."""
    package = package_dir.name
    names = {p.stem for p in package_dir.glob("*.py")}
    graph = {}
    for name in sorted(names):
        tree = ast.parse((package_dir / f"{name}.py").read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found |= imported_modules(node, package, names)
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
    found = [line for path in sorted(PACKAGE.glob("*.py")) for line in unexplained_imports(path)]
    assert found == [], (
        f"{len(found)} import(s) inside a function without a '{LAZY} <why>' comment: "
        + "; ".join(found)
    )


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
