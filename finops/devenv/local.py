"""The local environment: paths, ports and the services ``make up``, ``make demo`` and the tests use."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from finops.devenv.postgres import Cluster
from finops.devenv.processes import Service, wait_for_http

BIN = Path(sys.executable).parent


def local_dir() -> Path:
    return Path(os.environ.get("FINOPS_LOCAL_DIR", ".local")).absolute()


def port(name: str, default: int) -> int:
    return int(os.environ.get(f"FINOPS_{name}_PORT", default))


def cluster() -> Cluster:
    return Cluster(root=local_dir() / "pg", port=port("PG", 54329))


def airflow_port() -> int:
    return port("AIRFLOW", 54380)


def private_api_server_env(port: int) -> dict[str, str]:
    """Settings of a throwaway Airflow whose api-server listens on 127.0.0.1:``port``, every user an admin.

    For the bench's scheduler and the tests' Celery stack, never for ``make up`` (real users there).
    """
    return {
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }


def passwords_file() -> Path:
    return Path(os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", local_dir() / "passwords.json"))


def generate_password(nbytes: int = 12) -> str:
    """A random password that is safe on an argv: a letter first, so argparse never reads it as an option."""
    return "p" + secrets.token_urlsafe(nbytes)


def ensure_passwords() -> dict[str, str]:
    """Passwords of the local users admin and viewer: generated once into a git-ignored file only we can read."""
    path = passwords_file()
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    passwords = {"admin": generate_password(), "viewer": generate_password()}
    # Created with mode 0600 before anything is written: never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(passwords))
    return passwords


def run(argv: list[str], **kwargs) -> None:
    subprocess.run(argv, check=True, **kwargs)


def airflow(*args: str, quiet: bool = True) -> None:
    out = subprocess.run([str(BIN / "airflow"), *args], capture_output=quiet, text=True, check=False)
    if out.returncode != 0:
        tail = "\n".join(((out.stdout or "") + (out.stderr or "")).splitlines()[-20:])
        raise RuntimeError(f"`airflow {' '.join(args)}` failed:\n{tail}")


def setup() -> None:
    """Embedded PostgreSQL, Airflow's metadata, the warehouse schema and the settings; idempotent."""
    started = cluster().start()
    print(f"PostgreSQL {'started' if started else 'running'} on 127.0.0.1:{cluster().port}")
    ensure_passwords()
    airflow("db", "migrate")
    print("Airflow metadata database migrated")
    finops_cli("settings", "import")  # first: it defines the finops_db connection the upgrade uses
    finops_cli("db", "upgrade")


def finops_cli(*args: str) -> None:
    """Run a ``finops`` command, showing its output; its one-sentence error becomes ours."""
    from finops.errors import FinopsError

    out = subprocess.run([str(BIN / "finops"), *args], capture_output=True, text=True, check=False)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if not line.startswith("20")]  # drop log lines
    for line in lines:
        if not line.startswith("error: "):
            print(line)
    if out.returncode != 0:
        errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
        raise FinopsError(errors[-1] if errors else f"`finops {' '.join(args)}` failed:\n{out.stderr[-2000:]}")


# -- services ---------------------------------------------------------------------------------
def kms_service() -> Service:
    from finops.devenv.moto import server_command

    return Service("kms", [server_command(), "-H", "127.0.0.1", "-p", str(port("KMS", 54330))], local_dir())


def simulator_service() -> Service:
    """The simulator: FINOPS_SIMULATOR_CONFIG, else the demo organizations with keys under .local/simulator."""
    argv = [str(BIN / "finops"), "simulator", "--host", "127.0.0.1", "--port", str(port("SIMULATOR", 54331))]
    if os.environ.get("FINOPS_SIMULATOR_CONFIG"):
        argv += ["--config", os.environ["FINOPS_SIMULATOR_CONFIG"]]
    return Service("simulator", argv, local_dir())


AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def airflow_services() -> list[Service]:
    return [Service(f"airflow-{c}", [str(BIN / "airflow"), c], local_dir()) for c in AIRFLOW_COMPONENTS]


def start_backing_services() -> list[Service]:
    """moto's KMS server and the Costs API simulator, with the demo KMS key; returns those it started."""
    from finops.simulator.config import demo_keys

    demo_keys()  # the simulator and the demo read the same generated keys file
    kms, sim = kms_service(), simulator_service()
    started = [svc for svc in (kms, sim) if svc.start()]
    wait_for_http(f"http://127.0.0.1:{port('KMS', 54330)}/", service=kms)
    wait_for_http(f"http://127.0.0.1:{port('SIMULATOR', 54331)}/_simulator/health", service=sim)
    from finops.defaults import DEFAULT_KMS_KEY_ID
    from finops.devenv.kms import ensure_key

    ensure_key(f"http://127.0.0.1:{port('KMS', 54330)}", DEFAULT_KMS_KEY_ID)
    return started


def up() -> None:
    start_backing_services()
    from finops.simulator.config import default_keys_file

    if default_keys_file().exists():
        # moto's KMS keeps its keys in memory: encrypt the demo teams' keys again under this one.
        from finops.devenv.demo import register_demo_teams

        print(f"Re-registered demo teams under the local KMS: {', '.join(register_demo_teams())}")
    for service in airflow_services():
        service.start()
    wait_for_http(f"http://127.0.0.1:{airflow_port()}/api/v2/monitor/health", timeout=120, service=airflow_services()[0])
    passwords = ensure_passwords()
    print(f"Airflow UI: http://127.0.0.1:{airflow_port()}  (admin / {passwords['admin']}, viewer / {passwords['viewer']})")


def down() -> None:
    for service in [*airflow_services(), simulator_service(), kms_service()]:
        if service.stop():
            print(f"stopped {service.name}")
    if cluster().stop():
        print("stopped PostgreSQL")


def status() -> None:
    for service in [*airflow_services(), simulator_service(), kms_service()]:
        pid = service.pid()
        print(f"{service.name:22} {'running, pid ' + str(pid) if pid else 'stopped'}")
    print(f"{'postgresql':22} {cluster().status()}")


def ensure_chromium() -> None:
    """Debian's chromium for the browser tests; installed with apt when root and missing."""
    if shutil.which("chromium") or os.environ.get("FINOPS_CHROMIUM"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium for the browser tests ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, stdout=subprocess.DEVNULL)
    else:
        print("chromium is missing: install it (apt-get install chromium) or set FINOPS_CHROMIUM; the browser tests will fail.")


#: axe-core, the accessibility checker the browser tests inject into each page (from the npm registry, pinned).
AXE_CORE_VERSION = "4.14.1"


def axe_core_script() -> Path:
    """Where ``ensure_axe_core`` installs axe-core's browser bundle."""
    return local_dir() / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def ensure_axe_core() -> Path:
    """axe-core for the browser tests, installed with npm into ``.local/npm`` when missing (a fresh clone)."""
    script = axe_core_script()
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is missing: install it (apt-get install npm) so the browser tests can fetch axe-core.")
    print(f"Installing axe-core {AXE_CORE_VERSION} from the npm registry for the browser tests ...")
    run([npm, "install", "--prefix", str(script.parents[2]), "--no-save", "--no-audit", "--no-fund",
         "--no-package-lock", f"axe-core@{AXE_CORE_VERSION}"], stdout=subprocess.DEVNULL)
    return script


def run_tests(pytest_args: list[str]) -> int:
    """Start PostgreSQL (and stop it afterwards if it was not running), then run pytest.

    With no arguments (``make test``), the e2e tier runs in a second pytest session beside the unit and
    integration tiers (see ``run_tiers``); with arguments, one session runs exactly what was asked.
    """
    pg = cluster()
    started = pg.start()
    try:
        ensure_passwords()
        airflow("db", "migrate")
        ensure_chromium()
        ensure_axe_core()
        if pytest_args:
            return subprocess.run([str(BIN / "pytest"), *pytest_args], check=False).returncode
        return run_tiers()
    finally:
        if started:
            pg.stop()


# The e2e tier mostly waits on Airflow processes, schedulers and browsers (one core stays idle),
# the other tiers on PostgreSQL and Python: ``make test`` runs three pytest sessions side by side.
# Each has its own warehouse database, simulator, KMS, ports and temporary directory
# (tests/conftest.py), so they share no state they write.
#: The e2e files whose ``airflow dags test`` runs of ``openai_costs_daily`` share logical dates: one
#: session (the other e2e files get Airflow metadata of their own, so no two sessions write the same DAGs).
E2E_COLLECTION_FILES = ("tests/e2e/test_dag_e2e.py", "tests/e2e/test_run_outcomes.py",
                        "tests/e2e/test_wheel_install.py")
E2E_METADATA_DB = "airflow_e2e"


def _session(name: str, argv: list[str], env: dict[str, str]) -> tuple[str, subprocess.Popen, Path]:
    """A pytest session in the background, its output to .local/test-<name>.log."""
    log = local_dir() / f"test-{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    return name, process, log


def run_tiers() -> int:
    """``tests/unit tests/integration`` (output live) beside two e2e sessions (output printed when done);
    fails if any fails."""
    pytest_bin = str(BIN / "pytest")
    base_db = os.environ.get("FINOPS_TEST_DB", "finops_test")
    others = sorted(str(p.relative_to(Path.cwd())) for p in (Path.cwd() / "tests" / "e2e").glob("test_*.py")
                    if str(p.relative_to(Path.cwd())) not in E2E_COLLECTION_FILES)
    metadata = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[0] + f"/{E2E_METADATA_DB}"
    pg = cluster()
    pg.databases = (*pg.databases, E2E_METADATA_DB)
    pg.ensure_databases()
    sessions = []
    try:
        for name, files, env in (
            ("e2e-collection", list(E2E_COLLECTION_FILES), {"FINOPS_TEST_DB": f"{base_db}_e2e"}),
            ("e2e-stacks", others, {"FINOPS_TEST_DB": f"{base_db}_e2e2", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata}),
        ):
            session_env = {**os.environ, **env}
            if name == "e2e-stacks":  # its metadata database, migrated while the first session starts
                done = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=session_env, capture_output=True,
                                      text=True, check=False)
                if done.returncode != 0:
                    raise RuntimeError(f"`airflow db migrate` of {E2E_METADATA_DB} failed:\n{done.stderr[-3000:]}")
            # No shared cache file, a temporary directory of its own: nothing two sessions write collides.
            sessions.append(_session(name, [pytest_bin, *files, "-p", "no:cacheprovider", "--durations=10",
                                            f"--basetemp={local_dir() / f'pytest-{name}'}"], session_env))
        codes = {"unit + integration": subprocess.run([pytest_bin, "tests/unit", "tests/integration", "--durations=25"],
                                                      check=False).returncode}
        for name, process, _ in sessions:
            codes[name] = process.wait()
    finally:
        for _, process, _ in sessions:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
    for name, _, log in sessions:
        print(f"\n===== {name} (a pytest session beside the one above; log: {log}) =====", flush=True)
        print(log.read_text(errors="replace"), flush=True)
    print("; ".join(f"{name}: {'passed' if code == 0 else f'FAILED (exit {code})'}" for name, code in codes.items()),
          flush=True)
    return next((code for code in codes.values() if code), 0)
