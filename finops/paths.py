"""Where the project's non-Python files live (SQL, expectation suites)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: A wheel ships include/sql and include/expectations here (setup.py's build hook).
BUNDLED_INCLUDE = PACKAGE_DIR / "_include"


def project_dir() -> Path:
    """The checkout (or image folder) holding ``include/``; FINOPS_PROJECT_DIR overrides it."""
    if os.environ.get("FINOPS_PROJECT_DIR"):
        return Path(os.environ["FINOPS_PROJECT_DIR"])
    return PACKAGE_DIR.parent


def include_dir() -> Path:
    """``include/`` of FINOPS_PROJECT_DIR, else the copy inside an installed wheel, else the checkout's."""
    candidates = [BUNDLED_INCLUDE, PACKAGE_DIR.parent / "include"]
    if os.environ.get("FINOPS_PROJECT_DIR"):
        candidates.insert(0, Path(os.environ["FINOPS_PROJECT_DIR"]) / "include")
    return next((c for c in candidates if (c / "sql").is_dir()), candidates[-1])


@cache
def sql(name: str) -> str:
    """The text of ``include/sql/NAME.sql``."""
    return (include_dir() / "sql" / f"{name}.sql").read_text()
