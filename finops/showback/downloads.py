"""An issued statement's HTML or CSV read back from where it was published, for the team page's download links.

The file name is the one the statement was issued under (``statement-TEAM-YYYY-MM-vN.html`` / ``.csv``), so
the HTML's relative link to its CSV works when served beside it; the CSV must still match its recorded SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from finops import paths
from finops.showback.errors import StatementFileMissing
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

FILE_NAME = re.compile(r"^statement-(?P<team>.+)-(?P<month>\d{4}-\d{2})-v(?P<version>[1-9]\d{0,5})\.(?P<kind>html|csv)$")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class StatementFile:
    """A statement file's bytes, name and media type."""

    name: str
    kind: str
    data: bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


def file_names(team_id: str, month: date, version: int) -> tuple[str, str]:
    """The (HTML, CSV) names a statement version is issued and served under."""
    stem = f"statement-{team_id}-{month:%Y-%m}-v{version}"
    return f"{stem}.html", f"{stem}.csv"


def _read(uri: str) -> bytes:
    """A published file's bytes: a local path, or an ``s3://`` URI through the ``finops_exports`` connection."""
    if "://" not in uri or uri.startswith("file://"):
        return Path(uri.removeprefix("file://")).read_bytes()
    from airflow.sdk import ObjectStoragePath

    from finops.export.destination import EXPORTS_CONN_ID

    return ObjectStoragePath(uri, conn_id=EXPORTS_CONN_ID).read_bytes()


def statement_file(team_id: str, month: str, name: str, conn_id: str = FINOPS_DB_CONN_ID) -> StatementFile:
    """The issued file ``name`` of the team's statement for ``month`` (``YYYY-MM``), read from its destination."""
    found = FILE_NAME.match(name)
    missing = StatementFileMissing(f"No statement {name} was issued for team {team_id}; pick one from the team page's "
                                   "Statements section.")
    if not found or found["team"] != team_id or found["month"] != month:
        raise missing
    first = date(int(month[:4]), int(month[5:]), 1)
    with connect(conn_id) as conn:
        row = conn.execute(paths.sql("showback/statement_file"),
                           {"team_id": team_id, "month": first, "version": int(found["version"])}).fetchone()
    if row is None:
        raise missing
    html_path, csv_path, checksum = row
    uri = html_path if found["kind"] == "html" else csv_path
    if PurePosixPath(uri).name != name:
        raise missing
    try:
        data = _read(uri)
    except (OSError, ValueError):
        raise StatementFileMissing(f"The issued file {name} is no longer at {uri}; restore it from a backup or ask "
                                   "an admin to check finops_statements_dest.") from None
    if found["kind"] == "csv" and hashlib.sha256(data).hexdigest() != checksum:
        raise StatementFileMissing(f"The file at {uri} is not the issued {name} (its SHA-256 differs); restore the "
                                   "issued file from a backup.")
    return StatementFile(name=name, kind=found["kind"], data=data)
