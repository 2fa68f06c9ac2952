"""Several outbox workers at once on PostgreSQL (`FOR UPDATE SKIP LOCKED` and the claim lease):
every one of 200 SMS reaches a real local gateway exactly once, whether the workers are threads or
`flask worker` processes; SIGTERM stops a worker cleanly.

Like the ledger's concurrency tests, these use the suite's database when it is PostgreSQL and a
fresh PostgreSQL database on the SQLite run; they skip only when no PostgreSQL server is reachable
(CI, with PORTAL_NO_SKIPS=1, counts that skip as a failure). A single worker is what SQLite supports.
"""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import OutboxEvent
from portal.services.messaging import delivery, outbox, sms

from ...sms_gateway import LocalGateway
from ..ledger.test_concurrency_postgres import pg_app, pg_database  # noqa: F401 (fixtures)

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
EVENTS = 200


@pytest.fixture
def gateway():
    with LocalGateway() as gw:
        yield gw


def queue_messages(app, n: int) -> None:
    with app.app_context():
        for i in range(n):
            sms.queue(f"+7916000{i:04d}", f"message {i}", f"sms:test:{i}")
        outbox.enqueue("1c.order", "1c:order:1:confirmed", {"number": "1"})  # never pushed
        db.session.commit()


def assert_each_delivered_once(app, gateway, n: int) -> None:
    texts = collections.Counter(got.query["text"] for got in gateway.received)
    assert sorted(texts) == sorted(f"message {i}" for i in range(n))
    assert set(texts.values()) == {1}, [t for t, k in texts.items() if k > 1]
    with app.app_context():
        rows = db.session.execute(db.select(OutboxEvent.topic, OutboxEvent.attempts, OutboxEvent.delivered_at,
                                            OutboxEvent.claimed_by, OutboxEvent.delivery_ref)).all()
        sms_rows = [r for r in rows if r.topic == "sms"]
        assert len(sms_rows) == n
        assert all(r.attempts == 1 and r.delivered_at is not None and r.claimed_by is None for r in sms_rows)
        assert len({r.delivery_ref for r in sms_rows}) == n  # each its own gateway message id
        (onec,) = [r for r in rows if r.topic == "1c.order"]
        assert (onec.attempts, onec.delivered_at) == (0, None)


def test_four_worker_threads_deliver_each_of_200_sms_exactly_once(pg_app, gateway):  # noqa: F811
    pg_app.config.update(gateway.settings(), OUTBOX_DELIVER_INLINE=False)
    queue_messages(pg_app, EVENTS)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def work(i):
        with pg_app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(delivery.deliver_due(f"thread-{i}"))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert sum(r.delivered for r in results) == EVENTS
    assert all(r.delivered > 0 for r in results), [r.delivered for r in results]  # they really shared the work
    assert_each_delivered_once(pg_app, gateway, EVENTS)


def worker_env(database_url: str, gateway: LocalGateway) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "OUTBOX_"))}
    env.update({k: str(v) for k, v in gateway.settings().items()})
    env.update(DATABASE_URL=database_url, SECRET_KEY="test-secret-key", FLASK_APP="wsgi.py",
               OUTBOX_IDLE_SECONDS="0.2", PYTHONUNBUFFERED="1")
    return env


def test_three_worker_processes_deliver_each_sms_exactly_once(pg_app, pg_database, gateway):  # noqa: F811
    queue_messages(pg_app, EVENTS)
    env = worker_env(pg_database, gateway)
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "worker", "--once"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    delivered = [int(out.rsplit(": ", 1)[1].split(" delivered")[0]) for out, _err in outputs]
    assert sum(delivered) == EVENTS, outputs
    assert_each_delivered_once(pg_app, gateway, EVENTS)


def test_a_running_worker_delivers_new_events_and_stops_cleanly_on_sigterm(pg_app, pg_database, gateway):  # noqa: F811
    env = worker_env(pg_database, gateway)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the worker is up and idle
        queue_messages(pg_app, 5)
        deadline = time.monotonic() + 30
        while len(gateway.received) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(gateway.received) == 5
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert ": 5 delivered, 0 failed attempts, 0 given up" in out
    assert_each_delivered_once(pg_app, gateway, 5)
