"""Serve the portal under gunicorn for a test or a benchmark, and take its workers down on purpose.

Used by `tests/integration/reliability/test_crash_safety_postgres.py` (which puts this folder on
`sys.path`) and `bench/till_load.py`. Standard library only; no psutil: worker pids are read from
`/proc/<master>/task/<master>/children` (Linux), falling back to `pgrep -P`.

    with Gunicorn(env={"DATABASE_URL": url, "SECRET_KEY": "..."}, workers=3) as server:
        server.url                      # http://127.0.0.1:<free port>
        server.worker_pids()            # the master's live children
        server.ready_pids()             # those that have loaded the app and serve requests
        server.kill_worker()            # SIGKILL a ready one at random; the master starts another
    # leaving the block stops gunicorn (SIGTERM, then SIGKILL); server.log() / server.tracebacks() stay readable

By default every worker imports `wsgi:app` itself (no `--preload`; the production
gunicorn.conf.py preloads), so each has its own database pool and a killed worker's connections die with it.
`preload=True` loads the app once in the master and forks ready workers from it, so a killed
worker is replaced in milliseconds rather than seconds (the crash test uses it to fit twenty kills
in its time budget); the hooks of the production gunicorn.conf.py (`when_ready`, `post_fork`)
then make sure no two processes ever share a pooled connection. A generated gunicorn config file
takes those hooks and adds a `post_worker_init` that leaves a
file named after the worker's pid in a temporary folder: a worker with such a file has loaded the
app and serves (a worker booting without preload spends a second or two importing it).
`cleanup()` removes that folder, the config and the log after `stop()`.
"""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


CONFIG = """\
import os
import runpy

# The production hooks (gunicorn.conf.py at the top of the repository): with --preload, the master
# finishes the ORM's set-up and closes its connections before forking, and each worker drops any
# pooled connection it inherited. Only the hooks are taken; the command line gives the rest.
_production = runpy.run_path({production!r})
when_ready = _production["when_ready"]
post_fork = _production["post_fork"]


def post_worker_init(worker):
    open(os.path.join({ready!r}, str(worker.pid)), "w").close()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like portal on `database_url` (SMS to a file, no inline delivery)."""
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi.py",
           "SECRET_KEY": "served-by-bench-served-py", "SMS_BACKEND": "file",
           "SMS_FILE_PATH": str(Path(tempfile.gettempdir()) / f"portal-served-{os.getpid()}-sms.log"),
           "OUTBOX_DELIVER_INLINE": "0", "PORTAL_DEFAULT_LOCALE": "en"}
    env.update(extra)
    return env


class Gunicorn:
    """A gunicorn master on 127.0.0.1 with `workers` sync workers serving `wsgi:app`."""

    def __init__(self, env: dict[str, str], workers: int = 3, port: int | None = None,
                 timeout: int = 30, preload: bool = False, extra_args: tuple[str, ...] = ()):
        self.env, self.workers, self.preload = env, workers, preload
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout, self.extra_args = timeout, extra_args
        self.process: subprocess.Popen | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="portal-gunicorn-"))
        self.ready_dir = self.folder / "ready"
        self.ready_dir.mkdir()
        self.config_path = self.folder / "gunicorn.conf.py"
        self.config_path.write_text(CONFIG.format(ready=str(self.ready_dir),
                                                  production=str(ROOT / "gunicorn.conf.py")))
        self.log_path = self.folder / "gunicorn.log"
        self._log = self.log_path.open("wb")
        self.killed: list[int] = []

    # ------------------------------------------------------------------------------ lifecycle
    def start(self, ready_within: float = 60.0) -> Gunicorn:
        command = [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                   "--timeout", str(self.timeout), "--graceful-timeout", "5", "--config", str(self.config_path),
                   *(("--preload",) if self.preload else ()), *self.extra_args, "wsgi:app"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        self.wait_ready(ready_within)
        return self

    def wait_ready(self, within: float, path: str = "/login") -> None:
        """Until every worker has booted and the server answers `path` with a 200."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == 200 and len(self.ready_pids()) >= self.workers:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer {path} within {within} s:\n{self.log()}")

    def stop(self) -> int | None:
        """SIGTERM (graceful), then SIGKILL for the master and any worker left; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in self.worker_pids():
                    _kill(pid)
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode

    def cleanup(self) -> None:
        """Remove the config, the log and the ready markers (after stop)."""
        import shutil
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --------------------------------------------------------------------------------- workers
    def worker_pids(self) -> list[int]:
        """The master's live child processes (its workers), read from /proc."""
        if self.process is None or self.process.poll() is not None:
            return []
        master = self.process.pid
        try:
            text = Path(f"/proc/{master}/task/{master}/children").read_text()
        except OSError:
            found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
            text = found.stdout
        return [int(pid) for pid in text.split()]

    def ready_pids(self) -> list[int]:
        """The live workers that have loaded the app (their post_worker_init hook has run)."""
        ready = {int(p.name) for p in self.ready_dir.iterdir()}
        return [pid for pid in self.worker_pids() if pid in ready]

    def kill_worker(self, rng: random.Random | None = None) -> int | None:
        """SIGKILL one ready worker chosen at random; returns its pid (None when none is ready)."""
        pids = self.ready_pids()
        if not pids:
            return None
        pid = (rng or random).choice(pids)
        if _kill(pid):
            self.killed.append(pid)
            return pid
        return None

    def log(self, tail: int = 5000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def tracebacks(self) -> list[str]:
        """Every Python traceback the workers logged (an unhandled exception is logged before its 500)."""
        found, current = [], None
        for line in self.log(tail=10 ** 7).splitlines():
            if line.startswith("Traceback"):
                current = [line]
                found.append(current)
            elif current is not None:
                if line.startswith("[") and " [INFO] " in line or " [ERROR] " in line or " [WARNING] " in line:
                    current = None
                else:
                    current.append(line)
        return ["\n".join(block) for block in found]


def _kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False
