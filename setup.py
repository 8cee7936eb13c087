"""Build hook: a wheel carries include/sql and include/expectations as ``finops/_include`` (see finops/paths.py).

``include/`` stays where Astro-style projects keep it; an editable install reads it in the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("sql", "expectations")


class BuildPyWithInclude(build_py):
    """build_py, plus a copy of the shipped include/ folders into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED:
            source = ROOT / "include" / name
            if source.is_dir():
                shutil.copytree(source, Path(self.build_lib) / "finops" / "_include" / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithInclude})
