"""Store the values nbval checks: run each notebook, keep only the `keep_output` cells' output.

`make refresh-checks` runs this after a deliberate data change, so the diff of the notebook
shows exactly which headline numbers moved. Outputs go to a temporary folder, never to the
repository's data/processed or charts.
"""

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbstripout import strip_output

from entitylist import paths


def refresh(notebooks: list[Path]) -> None:
    """Execute the notebooks in order into a scratch output root and strip all but checks."""
    with tempfile.TemporaryDirectory(prefix="entitylist-checks-") as scratch:
        os.environ[paths.OUTPUT_ROOT_ENV] = scratch
        for path in notebooks:
            notebook = nbformat.read(path, as_version=4)
            NotebookClient(notebook, kernel_name="python3", record_timing=False, resources={
                "metadata": {"path": str(path.parent)}
            }).execute()
            strip_output(
                notebook, keep_output=False, keep_count=False, keep_id=True,
                extra_keys=["cell.metadata.execution"],
            )
            nbformat.write(notebook, path)
            print(f"refreshed {path}", file=sys.stderr)


if __name__ == "__main__":
    refresh([Path(arg) for arg in sys.argv[1:]])
