"""Loaded for any pytest run in this repository, including `pytest --nbval-lax notebooks/`.

Notebook runs under test write to a scratch output root, never to the committed
data/processed or charts.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from entitylist import paths

SCRATCH = Path(tempfile.mkdtemp(prefix="entitylist-test-output-"))
# Kernels started by nbval inherit this environment.
os.environ[paths.OUTPUT_ROOT_ENV] = str(SCRATCH)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the scratch output root."""
    shutil.rmtree(SCRATCH, ignore_errors=True)
