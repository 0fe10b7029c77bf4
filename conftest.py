"""Loaded for any pytest run in this repository, including `pytest --nbval-lax notebooks/`.

Notebook runs under test write to a scratch output root, never to the committed
data/processed or charts. The root starts as a copy of the published outputs, so any one
notebook can run alone (`make test PYTEST_ARGS="-k story"`); 10-clean, when selected, runs
first and writes them again from the raw snapshot.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from entitylist import paths

SCRATCH = Path(tempfile.mkdtemp(prefix="entitylist-test-output-"))
for published in (paths.PROCESSED_NAME, Path(paths.CHARTS_NAME)):
    if (paths.ROOT / published).is_dir():
        shutil.copytree(paths.ROOT / published, SCRATCH / published)
# Kernels started by nbval inherit this environment.
os.environ[paths.OUTPUT_ROOT_ENV] = str(SCRATCH)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the scratch output root."""
    shutil.rmtree(SCRATCH, ignore_errors=True)
