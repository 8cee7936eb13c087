"""Where the project's non-Python files live (SQL, expectation suites)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_dir() -> Path:
    """The checkout (or image folder) holding ``include/``; FINOPS_PROJECT_DIR overrides it."""
    if os.environ.get("FINOPS_PROJECT_DIR"):
        return Path(os.environ["FINOPS_PROJECT_DIR"])
    return PACKAGE_DIR.parent


def include_dir() -> Path:
    return project_dir() / "include"


@cache
def sql(name: str) -> str:
    """The text of ``include/sql/NAME.sql``."""
    return (include_dir() / "sql" / f"{name}.sql").read_text()
