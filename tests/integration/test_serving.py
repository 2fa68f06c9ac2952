"""The portal runs under gunicorn (production) and `flask run` (development), from wsgi.py."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_fetch(command: list[str], port: int, env: dict) -> tuple[int, str]:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    return response.status, response.read().decode()
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the server did not answer within 30 s")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("server", ["gunicorn", "flask"])
def test_the_login_page_is_served(migrated, server):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": migrated, "SECRET_KEY": "serving-test", "FLASK_APP": "wsgi.py"}
    if server == "gunicorn":
        command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    else:
        command = [str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", str(port)]
    status, html = _serve_and_fetch(command, port, env)
    assert status == 200
    assert 'name="email"' in html and 'name="password"' in html
