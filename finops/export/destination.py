"""Where FOCUS files go: a local folder or an object-storage URL (``s3://``, through ObjectStoragePath).

Layout: ``DEST/billing_period=YYYY-MM/provider=P/focus-YYYY-MM-P.{csv,parquet}`` beside
``focus-YYYY-MM-P.metadata.json``. Publishing is atomic per file: locally a completed temporary file
is renamed over the old one (``os.replace``); in object storage an object becomes visible only when
its upload completes, so a reader sees the previous file or the new one, never part of one. The data
file is replaced first and the metadata JSON last (it names the data file's SHA-256).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finops.export.errors import BadDestination, DestinationUnavailable

if TYPE_CHECKING:
    from finops.export.months import Month

EXPORTS_CONN_ID = "finops_exports"
REMOTE_SCHEMES = ("s3", "s3a")
FORMATS = ("csv", "parquet")
TMP_PREFIX = ".focus-"
TMP_SUFFIX = ".tmp"
UPLOAD_CHUNK = 8 * 2**20  # multipart part size: memory per upload stays at a few parts


def default_root() -> Path:
    """``$AIRFLOW_HOME/finops_exports/focus``."""
    return Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow") / "finops_exports" / "focus"


def partition(month: Month, provider: str) -> str:
    return f"billing_period={month}/provider={provider}"


def data_name(month: Month, provider: str, fmt: str) -> str:
    return f"focus-{month}-{provider}.{fmt}"


def metadata_name(month: Month, provider: str) -> str:
    return f"focus-{month}-{provider}.metadata.json"


def temp_name(final_name: str) -> str:
    """A hidden name that FOCUS readers globbing ``*.csv`` / ``*.parquet`` and Hive-style readers skip."""
    return f"{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{final_name}{TMP_SUFFIX}"


@dataclass
class Destination:
    """A resolved DEST; ``local`` for a folder, ``remote`` (an ObjectStoragePath) for object storage."""

    text: str
    local: Path | None = None
    remote: Any = None

    def __str__(self) -> str:
        return self.text

    def uri(self, relative: str) -> str:
        return str(self.local / relative) if self.local is not None else f"{self.text.rstrip('/')}/{relative}"

    # -- checks ------------------------------------------------------------------------------------
    def probe(self) -> None:
        """Fail now, in one sentence, if DEST cannot take files (before any minute is spent exporting)."""
        if self.local is not None:
            if self.local.exists() and not self.local.is_dir():
                raise BadDestination(f"--out {self.text} is a file; give a folder (it is created if missing) or an s3:// URL.")
            try:
                self.local.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BadDestination(
                    f"--out {self.text} cannot be created ({exc.strerror or type(exc).__name__}); give a folder you can write to."
                ) from None
            if not os.access(self.local, os.W_OK | os.X_OK):
                raise BadDestination(f"--out {self.text} is not writable by this user; give a folder you can write to.")
            return
        bucket = self.remote.bucket
        try:
            found = self.remote.fs.exists(bucket)
        except PermissionError:
            raise BadDestination(
                f"The `{EXPORTS_CONN_ID}` connection may not read bucket {bucket}; grant it s3:ListBucket, "
                "s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket."
            ) from None
        except OSError as exc:
            raise DestinationUnavailable(
                f"Object storage for {self.text} did not answer ({_reason(exc)}); check the `{EXPORTS_CONN_ID}` "
                "connection's endpoint and credentials, then try again."
            ) from None
        if not found:
            raise BadDestination(
                f"The bucket {bucket} of --out {self.text} does not exist (or the `{EXPORTS_CONN_ID}` connection "
                "cannot see it); create it or give another URL."
            )

    # -- staging and publishing -------------------------------------------------------------------
    def staging_dir(self, month: Month, provider: str) -> Path:
        """A local folder for the temporary files: the partition itself locally (so renames are atomic)."""
        if self.local is not None:
            folder = self.local / partition(month, provider)
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        return Path(tempfile.mkdtemp(prefix="finops-focus-"))

    def discard_staging(self, folder: Path) -> None:
        if self.local is None:
            shutil.rmtree(folder, ignore_errors=True)

    def remove_stale_temporaries(self, month: Month, provider: str) -> list[str]:
        """Temporary files a killed export left in the partition (called under the month's export lock)."""
        if self.local is None:
            return []  # object storage never shows an unfinished upload; it stages locally
        folder = self.local / partition(month, provider)
        removed = []
        for stale in folder.glob(f"{TMP_PREFIX}*{TMP_SUFFIX}") if folder.is_dir() else ():
            stale.unlink(missing_ok=True)
            removed.append(stale.name)
        return removed

    def publish(self, month: Month, provider: str, files: list[tuple[Path, str]], fmt: str) -> list[str]:
        """Move the checked files into place in order (data, then metadata); returns their URIs."""
        folder = partition(month, provider)
        uris = []
        for local_path, final_name in files:
            if self.local is not None:
                target = self.local / folder / final_name
                _fsync(local_path)
                os.replace(local_path, target)
                uris.append(str(target))
            else:
                target = self.remote / folder / final_name
                try:
                    target.fs.put_file(str(local_path), target.path, chunksize=UPLOAD_CHUNK)
                except OSError as exc:
                    raise DestinationUnavailable(
                        f"Uploading {final_name} to {self.text} failed ({_reason(exc)}); the previous files of "
                        f"{month} stay as they were; try again."
                    ) from None
                uris.append(self.uri(f"{folder}/{final_name}"))
        for other in FORMATS:  # a re-export in another format replaces the month, not adds to it
            if other != fmt:
                self._remove(f"{folder}/{data_name(month, provider, other)}")
        if self.local is not None:
            _fsync_dir(self.local / folder)
        return uris

    def _remove(self, relative: str) -> None:
        if self.local is not None:
            (self.local / relative).unlink(missing_ok=True)
        else:
            target = self.remote / relative
            if target.exists():
                target.unlink()

    # -- reading (the --check of a published month) -----------------------------------------------
    def data_files(self) -> list[str]:
        """Relative paths of the FOCUS data files under DEST (DEST may be one file, a partition or the root)."""
        if self.local is not None:
            if self.local.is_file():
                return [""]
            if not self.local.is_dir():
                raise BadDestination(f"{self.text} does not exist; give a FOCUS file or a folder of them.")
            return sorted(str(p.relative_to(self.local)) for ext in FORMATS for p in self.local.rglob(f"focus-*.{ext}"))
        try:
            if self.remote.is_file():
                return [""]
            found = [p for ext in FORMATS for p in self.remote.rglob(f"focus-*.{ext}")]
        except OSError as exc:
            raise DestinationUnavailable(f"Object storage for {self.text} did not answer ({_reason(exc)}); try again.") from None
        root = self.remote.path.rstrip("/")
        return sorted(p.path[len(root):].lstrip("/") for p in found)

    def fetch(self, relative: str, folder: Path) -> Path:
        """A local path to read: the file itself locally, a download into ``folder`` from object storage."""
        if self.local is not None:
            return self.local / relative if relative else self.local
        source = self.remote / relative if relative else self.remote
        target = folder / (Path(source.path).name)
        source.fs.get_file(source.path, str(target))
        return target

    def metadata_beside(self, relative: str) -> str | None:
        """The text of the metadata JSON beside a data file (``focus-M-P.metadata.json``), or None."""
        if self.local is not None:
            data = self.local / relative if relative else self.local
            path = data.with_name(data.name.rsplit(".", 1)[0] + ".metadata.json")
            return path.read_text() if path.is_file() else None
        data = self.remote / relative if relative else self.remote
        path = data.with_name(data.name.rsplit(".", 1)[0] + ".metadata.json")
        return path.read_text() if path.exists() else None


def resolve(dest: str | None) -> Destination:
    """A Destination for ``--out``: a folder (default ``$AIRFLOW_HOME/finops_exports/focus``) or an s3:// URL."""
    if dest is None or not str(dest).strip():
        root = default_root()
        return Destination(str(root), local=root)
    text = str(dest).strip()
    if "://" not in text:
        return Destination(text, local=Path(text).expanduser().absolute())
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme == "file":
        return Destination(text, local=Path("/" + rest.lstrip("/")))
    if scheme not in REMOTE_SCHEMES:
        raise BadDestination(
            f"--out {text} uses the scheme {scheme}://, which this export does not write to; give a local folder "
            "or an s3:// URL (with the `finops_exports` connection)."
        )
    if not rest.strip("/"):
        raise BadDestination(f"--out {text} names no bucket; give s3://BUCKET[/PREFIX].")
    from finops.lookup import get_connection

    get_connection(EXPORTS_CONN_ID)  # a missing connection is one sentence here, not a boto3 stack later
    from airflow.sdk import ObjectStoragePath

    return Destination(text, remote=ObjectStoragePath(text, conn_id=EXPORTS_CONN_ID))


def confine(chosen: str | None, configured: str | None) -> str:
    """The DEST of a DAG run: the configured destination, or a place inside it chosen by the ``dest`` param.

    Whoever may trigger the DAG may not send every team's costs to another bucket or folder with the
    ``finops_exports`` credentials: a relative ``dest`` is taken inside the configured destination, and
    an absolute folder or ``s3://`` URL must lie inside it (``..`` and symlinks resolved first).
    """
    root_text = str(configured).strip() if configured and str(configured).strip() else str(default_root())
    if chosen is None or not str(chosen).strip():
        return root_text
    text = str(chosen).strip()
    root_scheme = _scheme(root_text)
    if root_scheme in REMOTE_SCHEMES:
        return _confine_remote(text, root_text)
    scheme = _scheme(text)
    if scheme is not None and scheme != "file":
        raise _outside(text, root_text)
    root = _local_path(root_text)
    if scheme is None and not text.startswith(("/", "~")):
        candidate = root / text
    else:
        candidate = _local_path(text)
    resolved_root, resolved = root.resolve(), candidate.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise _outside(text, root_text)
    return str(resolved)


def _scheme(text: str) -> str | None:
    return text.partition("://")[0].lower() if "://" in text else None


def _local_path(text: str) -> Path:
    if text.lower().startswith("file://"):
        return Path("/" + text[len("file://"):].lstrip("/"))
    return Path(text).expanduser().absolute()


def _confine_remote(text: str, root_text: str) -> str:
    """An ``s3://`` place inside the configured ``s3://BUCKET/PREFIX``: same bucket, under the prefix."""
    root_bucket, root_keys = _bucket_and_keys(root_text)
    scheme = _scheme(text)
    if scheme is None and not text.startswith(("/", "~")):
        bucket, keys = root_bucket, root_keys + [k for k in text.split("/") if k]
    elif scheme in REMOTE_SCHEMES:
        bucket, keys = _bucket_and_keys(text)
    else:
        raise _outside(text, root_text)
    if any(k in (".", "..") for k in keys) or bucket != root_bucket or keys[:len(root_keys)] != root_keys:
        raise _outside(text, root_text)
    return f"{_scheme(root_text)}://{bucket}" + "".join(f"/{k}" for k in keys)


def _bucket_and_keys(text: str) -> tuple[str, list[str]]:
    bucket, _, key = text.partition("://")[2].partition("/")
    return bucket, [k for k in key.split("/") if k]


def _outside(text: str, root_text: str) -> BadDestination:
    return BadDestination(
        f"The `dest` param {text} is outside the configured FOCUS destination {root_text}; give a folder inside it "
        "(a relative path such as `adhoc` is taken inside it), or change the `finops_focus_dest` variable."
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
