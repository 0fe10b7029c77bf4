"""The project's own files agree with each other: pins, notebooks, pipeline, CI, README."""

import re
import sys
from pathlib import Path

import nbformat
import yaml

from entitylist import paths
from entitylist.engine import render

ROOT = paths.ROOT


def pins(lines: list[str]) -> dict[str, str]:
    """Return name -> version from 'name==version' lines."""
    found = {}
    for line in lines:
        match = re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s\\]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_environment_yml_and_requirements_agree():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    conda = pins(pip_section)
    direct = pins((ROOT / "requirements.in").read_text().splitlines())
    lab = pins((ROOT / "requirements-lab.in").read_text().splitlines())
    locked = pins((ROOT / "requirements.txt").read_text().splitlines())
    lab_locked = pins((ROOT / "requirements-lab.txt").read_text().splitlines())
    assert conda == direct | lab
    assert {name: locked[name] for name in direct} == direct
    assert {name: lab_locked[name] for name in lab} == lab
    # The lab lock is constrained by the render lock: shared packages agree.
    assert {n: v for n, v in lab_locked.items() if n in locked} == {
        n: locked[n] for n in lab_locked if n in locked
    }
    python = next(d for d in environment["dependencies"] if isinstance(d, str) and "python" in d)
    assert python == "python=3.11"


def test_every_requirement_is_pinned_with_hashes():
    text = (ROOT / "requirements.txt").read_text()
    packages = re.findall(r"^([a-z0-9_.\-]+)==", text, flags=re.MULTILINE | re.IGNORECASE)
    assert len(packages) > 50
    assert text.count("--hash=sha256:") >= len(packages)


def test_notebooks_carry_no_outputs_but_their_checks():
    for path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            if cell.metadata.get("keep_output"):
                assert "NBVAL_CHECK_OUTPUT" in cell.source, path.name
                assert cell.outputs, f"{path.name}: run `make refresh-checks`"
                assert cell.execution_count == 1, f"{path.name}: nbval skips unrun cells"
            else:
                assert cell.outputs == [], f"{path.name}: strip outputs (make lab's filter)"
                assert cell.execution_count is None, path.name


def test_the_git_filter_strips_a_run_notebook_but_keeps_its_checks(tmp_path):
    import subprocess
    import sys

    path = paths.NOTEBOOKS / "10-clean.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
        if not cell.metadata.get("keep_output"):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="noise\n")]
    stripped = subprocess.run(
        [sys.executable, "-m", "entitylist.engine.checks", "--strip"],
        input=nbformat.writes(notebook),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert stripped == path.read_text(encoding="utf-8")


def test_every_notebook_declares_typed_parameters():
    for path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        declared = render.notebook_parameters(path)
        assert {"as_of", "output_root"} <= declared.keys(), path.name
        for name, spec in declared.items():
            assert spec["inferred_type_name"] != "None", f"{path.name}: {name} has no type"
            assert spec["help"], f"{path.name}: {name} has no help comment"


def test_pipeline_lists_every_notebook_once():
    listed = [step.notebook for step in render.load_pipeline()]
    on_disk = sorted(p.name for p in paths.NOTEBOOKS.glob("*.ipynb"))
    assert sorted(set(listed)) == on_disk


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)", readme, flags=re.MULTILINE)
    assert commands[:2] == ["make render", "make test"]


def test_every_embedded_chart_is_among_what_the_notebook_reads():
    for step in {s.notebook: s for s in render.load_pipeline()}.values():
        notebook = nbformat.read(paths.NOTEBOOKS / step.notebook, as_version=4)
        source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
        for name in re.findall(r'publish\.embed\("([^"]+)"', source):
            assert f"charts/{name}.*" in step.reads or "charts" in step.reads, (
                f"{step.notebook} embeds {name} but pipeline.yaml does not list it in reads"
            )


def test_the_render_lock_leaves_out_the_notebook_server():
    # JupyterLab's server pulls in jsonschema's format checkers (rfc3987-syntax builds Lark
    # grammars at `import altair`): it lives in requirements-lab.txt, never in the render's.
    locked = pins((ROOT / "requirements.txt").read_text().splitlines())
    lab = pins((ROOT / "requirements-lab.txt").read_text().splitlines())
    for name in ("jupyterlab", "jupyter-server", "rfc3987-syntax"):
        assert name in lab, name
        assert name not in locked, name


def test_the_venv_holds_exactly_the_lock_with_compiled_bytecode():
    from importlib import metadata

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    locked = {
        canonical(n): v
        for n, v in pins((ROOT / "requirements.txt").read_text().splitlines()).items()
    }
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    # make venv's own tools, and the project itself, are the only extras.
    assert set(installed) - set(locked) <= {"entitylist", "pip", "setuptools", "uv"}
    assert {name: installed.get(name) for name in locked} == locked
    # Compiled at install: imports never compile sources, even with PYTHONDONTWRITEBYTECODE.
    import pandas

    cached = Path(pandas.__file__).parent / "__pycache__"
    assert any(cached.glob("__init__.cpython-*.pyc"))


def test_the_warm_kernelspec_names_the_registered_provisioner():
    import json
    from importlib import metadata

    from entitylist.engine import kernels, provisioner

    (entry,) = [
        e
        for e in metadata.entry_points(group="jupyter_client.kernel_provisioners")
        if e.name == kernels.PROVISIONER
    ]
    assert entry.load() is provisioner.WarmProvisioner
    spec_dir = Path(sys.prefix) / "share" / "jupyter" / "kernels"
    warm = json.loads((spec_dir / kernels.WARM_KERNEL / "kernel.json").read_text())
    project = json.loads((spec_dir / kernels.KERNEL / "kernel.json").read_text())
    assert warm["metadata"]["kernel_provisioner"]["provisioner_name"] == kernels.PROVISIONER
    # The same interpreter and kernel as the project's: only the way it starts differs.
    assert warm["argv"] == project["argv"]


def test_every_installed_thing_is_pinned_with_a_hash():
    from packaging.requirements import Requirement

    # Recipe lines with their continuations joined: every command that installs packages.
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    commands = [" ".join(line.split()) for line in makefile.splitlines() if line.startswith("\t")]
    installs = [c for c in commands if re.search(r"\b(pip install|pip sync)\b", c)]
    assert len(installs) >= 4
    for command in installs:
        lock = re.search(r"requirements[\w-]*\.txt", command)
        from_lock = "--require-hashes" in command and lock
        project = command.endswith("--no-deps --no-build-isolation -e .")
        assert from_lock or project, command
    uv_lock = (ROOT / "requirements-uv.txt").read_text()
    assert list(pins(uv_lock.splitlines())) == ["uv"]
    assert uv_lock.count("--hash=sha256:") >= 2
    # The editable build uses the backend the lock pins, which pyproject.toml accepts.
    locked = (ROOT / "requirements.txt").read_text()
    setuptools = pins(locked.splitlines())["setuptools"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    backend = re.search(r'requires = \["([^"]+)"\]', pyproject).group(1)
    assert Requirement(backend).specifier.contains(setuptools)
    assert re.search(rf"^setuptools=={re.escape(setuptools)} \\\n\s+--hash=", locked, re.M)
