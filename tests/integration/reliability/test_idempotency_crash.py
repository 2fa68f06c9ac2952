"""A web-shop POST's work and the answer remembered under its Idempotency-Key are one transaction,
so a crash cannot separate them (ARCHITECTURE.md, "One way to run a transaction").

A real server process is killed (os._exit) at each moment of its first `POST /api/v1/orders`, from
the order written but not committed to the answer built but not sent (crashing_server.py). Then the shop retries:
- if the process died before the commit, nothing of the order exists: a retry with another body is
  a new request and is served (201), and the first body again gets that same answer;
- if it died after the commit, the order and its answer exist together: a retry with another body
  gets `409 idempotency_conflict`, and the first body again gets the first answer, byte for byte,
  with the order placed once.
With the answer remembered in a second transaction (as before), a crash between the two commits
gave a retry with another body the first order (201) instead of the conflict.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import IdempotentResponse, Order

from ..api.conftest import create_key

ROOT = Path(__file__).resolve().parents[3]
BEFORE_COMMIT = ("after_flush", "before_commit")
AFTER_COMMIT = ("after_commit", "after_request", "before_send")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, point: str):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.reliability.crashing_server", str(self.port), database_url,
             point], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self.process.stdout.readline()
        assert line.strip() == "ready", (line, self.process.stderr.read() if self.process.poll() is not None else "")

    def post(self, api_key: str, idempotency_key: str, body: dict) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", "/api/v1/orders", body=json.dumps(body), headers={
                "Authorization": f"Bearer {api_key}", "Idempotency-Key": idempotency_key,
                "Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            _out, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _out, err = self.process.communicate()
        return err


@pytest.fixture
def shop_with_key(app, runner):
    from ...factories import make_location, make_product
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 100})
        make_product("VALVE", 99_99, stock={warehouse: 100})
    return create_key(runner)


def _counts(app) -> dict:
    with app.app_context():
        counts = {"orders": db.session.scalar(sa.select(sa.func.count()).select_from(Order)),
                  "answers": db.session.scalar(sa.select(sa.func.count()).select_from(IdempotentResponse))}
        db.session.rollback()
        return counts


FIRST = {"external_id": "OC-1001", "lines": [{"sku": "DRILL", "qty": 2}], "payment_method": "online"}
OTHER = {"external_id": "OC-1002", "lines": [{"sku": "VALVE", "qty": 1}], "payment_method": "online"}


@pytest.mark.parametrize("point", BEFORE_COMMIT + AFTER_COMMIT)
def test_a_crash_at_any_moment_leaves_the_work_and_its_answer_together(app, migrated, shop_with_key, point):
    dying = Server(migrated, point)
    try:
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            dying.post(shop_with_key, "retry-me", FIRST)
        dying.process.wait(timeout=30)
    finally:
        err = dying.stop()
    assert f"dying {point}" in err, err[-2000:]
    assert dying.process.returncode == 9

    committed = point in AFTER_COMMIT
    assert _counts(app) == ({"orders": 1, "answers": 1} if committed else {"orders": 0, "answers": 0})

    server = Server(migrated, "none")
    try:
        other_status, other_body = server.post(shop_with_key, "retry-me", OTHER)
        same_status, same_body = server.post(shop_with_key, "retry-me", FIRST)
        again_status, again_body = server.post(shop_with_key, "retry-me", FIRST)
    finally:
        server.stop()

    if committed:
        assert other_status == 409, other_body
        assert json.loads(other_body)["error"] == "idempotency_conflict"
        assert same_status == 201, same_body
        assert json.loads(same_body)["external_id"] == "OC-1001"
    else:
        assert other_status == 201, other_body        # the first request left nothing: this is a new one
        assert json.loads(other_body)["external_id"] == "OC-1002"
        assert same_status == 409, same_body          # the key now belongs to the other body
    assert (again_status, again_body) == (same_status, same_body)
    assert _counts(app)["orders"] == 1                 # placed once, whatever the crash
    assert _counts(app)["answers"] == 1
