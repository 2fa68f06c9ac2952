"""README's production command, `gunicorn -c gunicorn.conf.py wsgi:app`, on a fresh SQLite database
migrated with `flask db upgrade`: it listens on HOST:PORT with WEB_CONCURRENCY workers forked from
the app loaded once, answers /healthz, writes the access log to stdout and gunicorn's error log to
stderr with the portal's own INFO line among it, and stops cleanly on SIGTERM."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, within: float = 30) -> tuple[int, str]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {within} s")


def test_the_production_config_serves_healthz_and_logs_the_portals_start(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}", "SECRET_KEY": "gunicorn-conf",
           "FLASK_APP": "wsgi.py", "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2",
           "LOG_LEVEL": "INFO", "LOG_FORMAT": "text"}
    env.pop("GUNICORN_CMD_ARGS", None)
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                                   stdout=out, stderr=err)
        try:
            status, body = wait_for(f"http://127.0.0.1:{port}/healthz", process)
            # the second worker may still be booting; ask a few times so both are likely to answer
            for _ in range(4):
                assert wait_for(f"http://127.0.0.1:{port}/healthz", process)[0] == 200
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
    stdout, stderr = out_path.read_text(), err_path.read_text()

    assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok", "migrations": "head"}
    assert code == 0, stderr  # SIGTERM: a graceful stop
    started = re.findall(r"\[INFO\] portal\.health: portal started: database sqlite:///\S+, \d+ migrations, "
                         r"at head \w+", stderr)
    assert len(started) == 1, stderr  # loaded once, in the master (preload_app), not once per worker
    assert f"Listening at: http://127.0.0.1:{port}" in stderr  # gunicorn's own error log, as it was
    assert len(re.findall(r"\[INFO\] Booting worker with pid", stderr)) >= 2, stderr
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 \d+ .*\d+ms$', stdout, re.MULTILINE), stdout  # access log on stdout
    assert "/healthz" not in stderr
    assert "Traceback" not in stderr and "[ERROR]" not in stderr, stderr
