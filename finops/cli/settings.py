"""``finops settings import [PATH]``: Astro-format settings into Airflow."""

from __future__ import annotations

import argparse
from pathlib import Path

from finops import paths


def register(sub: argparse._SubParsersAction) -> None:
    settings = sub.add_parser("settings", help="Airflow connections, variables and pools")
    actions = settings.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="load airflow_settings.yaml (create or update)")
    imp.add_argument("path", nargs="?", type=Path, default=None)
    imp.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    from finops.settings_import import import_settings  # yaml and Airflow: only when importing

    path = args.path or paths.project_dir() / "airflow_settings.yaml"
    report = import_settings(path)
    for line in report.lines():
        print(line)
    return 0
