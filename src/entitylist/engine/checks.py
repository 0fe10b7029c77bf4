"""Keep notebooks reviewable: strip outputs, except the headline numbers nbval checks.

`python -m entitylist.engine.checks --strip` is the git clean filter `make lab` installs: it strips
a notebook read on stdin with nbstripout, keeping the cells marked `keep_output`.
`python -m entitylist.engine.checks NOTEBOOK...` (`make refresh-checks`) runs each notebook and
stores the new values of those cells, after a deliberate data change, for review in the diff.
Runs write to a temporary output root, never to the repository's data/processed or charts.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbstripout import strip_output

from entitylist import paths
from entitylist.engine import kernels


def strip(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs and counts; checked cells keep their output and a count nbval needs."""
    strip_output(
        notebook,
        keep_output=False,
        keep_count=False,
        keep_id=True,
        extra_keys=["cell.metadata.execution"],
    )
    for cell in notebook.cells:
        # nbval compares only cells it considers run, i.e. with an execution count.
        if cell.cell_type == "code" and cell.metadata.get("keep_output") and cell.outputs:
            cell.execution_count = 1
    return notebook


def refresh(notebooks: list[Path]) -> None:
    """Execute the notebooks in order into a scratch output root, then strip them."""
    with (
        tempfile.TemporaryDirectory(prefix="entitylist-checks-") as scratch,
        kernels.warm(),
    ):
        os.environ[paths.OUTPUT_ROOT_ENV] = scratch
        for path in notebooks:
            notebook = nbformat.read(path, as_version=4)
            NotebookClient(
                notebook,
                kernel_name=kernels.kernel_name(),
                record_timing=False,
                # As in a render: a kernel's start-up banner is not for the reporter.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
            nbformat.write(strip(notebook), path)
            print(f"refreshed {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Filter stdin to stdout with --strip, or refresh the named notebooks."""
    parser = argparse.ArgumentParser(prog="python -m entitylist.engine.checks")
    parser.add_argument("--strip", action="store_true", help="strip stdin to stdout")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.strip:
        notebook = nbformat.read(sys.stdin, as_version=4)
        nbformat.write(strip(notebook), sys.stdout)
    else:
        refresh(args.notebooks)


if __name__ == "__main__":
    main()
