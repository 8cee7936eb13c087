"""moto (a local AWS: KMS, S3) for the dev environment, chaos runs and benchmarks: the optional ``local`` extra.

The product never needs it; ``make`` installs it from requirements-dev.txt, a wheel user with
``pip install 'finops-airflow[local]'``. Without it, these tools stop with one sentence.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from finops.errors import ConfigurationError

MISSING = ("moto (the local KMS) is not installed; install the `local` extra: "
           "pip install 'finops-airflow[local]' (make venv does it).")


def threaded_server_class():
    """moto's ``ThreadedMotoServer`` (an in-process AWS endpoint over HTTP)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise ConfigurationError(MISSING) from None
    return ThreadedMotoServer


def server_command() -> str:
    """The ``moto_server`` command beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "moto_server"
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        raise ConfigurationError(MISSING)
    return found
