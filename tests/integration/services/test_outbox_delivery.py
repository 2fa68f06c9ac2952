"""Delivering the outbox (portal/services/delivery.py): claiming with a lease, at least once,
exponential back-off with exact waits, giving up after OUTBOX_MAX_ATTEMPTS, retry now, and the
"sms" topic's handler (expiry, secrets wiped once delivered). 1C's topics are never pushed."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import AuditEvent, OutboxEvent, utcnow
from portal.services.messaging import delivery, outbox, sms

from ...factories import make_staff


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def desk(ctx, tmp_path):
    ctx.config.update(SMS_BACKEND="file", SMS_FILE_PATH=str(tmp_path / "sms.jsonl"), OUTBOX_MAX_ATTEMPTS=3,
                      OUTBOX_BACKOFF_BASE=10, OUTBOX_BACKOFF_CAP=25, OUTBOX_BACKOFF_JITTER=0,
                      OUTBOX_CLAIM_SECONDS=120, OUTBOX_DELIVER_INLINE=True)
    return ctx


def gateway_down(app) -> None:
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{closed_port()}/send?to={{phone}}&m={{text}}",
                      SMS_HTTP_TIMEOUT=2)


def queued(text="Hello", key="sms:test:1", **kwargs) -> OutboxEvent:
    event = sms.queue("+79161234567", text, key, **kwargs)
    db.session.commit()
    return event


def reload(event_id: int) -> OutboxEvent:
    db.session.expire_all()
    return db.session.get(OutboxEvent, event_id)


def test_only_topics_with_a_push_handler_are_claimed_and_1c_events_are_left_alone(desk):
    onec = outbox.enqueue("1c.order", "1c:order:1:confirmed", {"number": "1"})
    message = sms.queue("+79161234567", "Hi", "sms:test:1")
    db.session.commit()
    assert set(delivery.handlers()) == {"sms", "fiscal"}
    assert delivery.claim("w1", limit=10) == [message.id]
    result = delivery.deliver_due("w2")
    assert result.attempts == 0  # the SMS is claimed by w1, the 1C event is 1C's to collect
    onec = reload(onec.id)
    assert (onec.attempts, onec.claimed_by, onec.delivered_at, onec.state) == (0, None, None, "pending")


def test_a_claim_keeps_other_workers_off_until_its_lease_runs_out(desk):
    event = queued()
    t0 = utcnow()
    assert delivery.claim("w1", t0) == [event.id]
    row = reload(event.id)
    assert (row.claimed_by, row.claimed_until) == ("w1", t0 + timedelta(seconds=120))
    assert delivery.claim("w2", t0 + timedelta(seconds=119)) == []
    assert delivery.claim("w2", t0 + timedelta(seconds=121)) == [event.id]  # w1 crashed: w2 takes it
    assert reload(event.id).claimed_by == "w2"


def test_an_event_not_yet_due_is_not_claimed(desk):
    event = queued()
    t0 = utcnow()
    row = reload(event.id)
    row.available_at = t0 + timedelta(seconds=30)
    db.session.commit()
    assert delivery.claim("w1", t0) == []
    assert delivery.claim("w1", t0 + timedelta(seconds=30)) == [event.id]


def test_a_delivered_sms_is_sent_once_recorded_and_its_secrets_wiped(desk):
    event = queued("Code 987650 opens http://x/my/link/abc", hide=["987650", "http://x/my/link/abc"])
    result = delivery.deliver_due("w1")
    assert (result.delivered, result.failed_tries) == (1, 0)
    (message,) = sent_messages(desk.config["SMS_FILE_PATH"])
    assert (message["phone"], message["text"]) == ("+79161234567", "Code 987650 opens http://x/my/link/abc")
    row = reload(event.id)
    assert (row.state, row.attempts, row.claimed_by, row.claimed_until, row.last_error) == (
        "delivered", 1, None, None, "")
    assert row.delivered_at == row.last_attempt_at and row.delivered_at is not None
    assert row.payload == {"phone": "+79161234567", "text": "Code ••• opens •••", "hide": []}
    assert delivery.deliver_due("w1").attempts == 0  # nothing left: never sent twice
    assert len(sent_messages(desk.config["SMS_FILE_PATH"])) == 1


def test_failures_wait_10_then_20_seconds_and_the_third_gives_up(desk):
    gateway_down(desk)
    event = queued()
    t0 = utcnow()
    at = [t0]
    clock = lambda: at[0]  # noqa: E731
    # attempt 1 at t0
    first = delivery.deliver_due("w1", now=clock)
    row = reload(event.id)
    assert (first.failed_tries, row.attempts, row.available_at, row.failed_at) == (1, 1, t0 + timedelta(seconds=10), None)
    assert row.last_error.startswith("SMS gateway 127.0.0.1:") and "unreachable" in row.last_error
    assert (row.claimed_by, row.last_attempt_at, row.state) == (None, t0, "pending")
    assert delivery.claim("w1", t0 + timedelta(seconds=9)) == []  # not due before its next try
    # attempt 2 ten seconds later; the next wait is 20 s
    at[0] = t0 + timedelta(seconds=10)
    assert delivery.deliver_due("w1", now=clock).attempts == 1
    row = reload(event.id)
    assert (row.attempts, row.available_at) == (2, t0 + timedelta(seconds=30))
    # attempt 3 of OUTBOX_MAX_ATTEMPTS=3: failed for good
    at[0] = t0 + timedelta(seconds=30)
    third = delivery.deliver_due("w1", now=clock)
    row = reload(event.id)
    assert (third.gave_up, row.attempts, row.state, row.failed_at) == (1, 3, "failed", t0 + timedelta(seconds=30))
    assert "unreachable" in row.last_error and "Hello" not in row.last_error  # the text never leaks into errors
    assert row.payload["text"] == "Hello"  # kept: an administrator may retry it
    assert delivery.claim("w1", t0 + timedelta(days=1)) == []


def test_retry_now_gives_a_failed_event_fresh_attempts_and_is_audited(desk):
    gateway_down(desk)
    desk.config["OUTBOX_MAX_ATTEMPTS"] = 1
    event = queued()
    delivery.deliver_due("w1")
    assert reload(event.id).state == "failed"
    admin = make_staff("admin")
    t1 = utcnow()
    delivery.retry_now(admin, event.id, now=t1)
    row = reload(event.id)
    assert (row.state, row.attempts, row.failed_at, row.available_at) == ("pending", 0, None, t1)
    assert "unreachable" in row.last_error  # the last error stays visible until the next attempt
    (audit,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "outbox_retried"))
    assert (audit.actor_id, audit.object_type, audit.object_id, audit.before["attempts"]) == (
        admin.id, "outbox_events", event.id, 1)
    desk.config["SMS_BACKEND"] = "file"  # the gateway is back
    assert delivery.deliver_due("w1").delivered == 1
    assert reload(event.id).state == "delivered"
    with pytest.raises(DomainError):
        delivery.retry_now(admin, event.id)  # only a failed event
    with pytest.raises(NotFound):
        delivery.retry_now(admin, 9999)


def test_a_code_that_expired_before_it_could_be_sent_fails_at_once(desk):
    gateway_down(desk)
    desk.config["OUTBOX_MAX_ATTEMPTS"] = 8
    event = queued("Code 987650", hide=["987650"], valid_for=timedelta(minutes=10))
    delivery.deliver_due("w1")
    assert reload(event.id).attempts == 1
    desk.config["SMS_BACKEND"] = "file"
    later = utcnow() + timedelta(minutes=11)
    row = reload(event.id)
    row.available_at = utcnow()
    db.session.commit()
    delivery.deliver_due("w1", now=lambda: later)
    row = reload(event.id)
    assert (row.state, row.attempts, row.last_error) == ("failed", 2, "the message expired before it could be sent")
    assert row.payload["text"] == "Code •••" and "987650" not in str(row.payload)
    assert sent_messages(desk.config["SMS_FILE_PATH"]) == []


def test_inline_delivery_sends_at_once_and_leaves_failures_to_the_worker(desk):
    event = queued()
    assert delivery.deliver_now([event.id]).delivered == 1
    assert reload(event.id).state == "delivered"
    gateway_down(desk)
    second = queued(key="sms:test:2")
    result = delivery.deliver_now([second.id])  # never raises
    row = reload(second.id)
    assert (result.failed_tries, row.state, row.attempts) == (1, "pending", 1)
    desk.config["OUTBOX_DELIVER_INLINE"] = False
    third = queued(key="sms:test:3")
    assert delivery.deliver_now([third.id]).attempts == 0
    assert (reload(third.id).attempts, reload(third.id).state) == (0, "pending")


def test_a_result_after_a_lost_lease_never_undoes_a_delivery(desk):
    event = queued()
    t0 = utcnow()
    assert delivery.claim("slow", t0) == [event.id]
    later = t0 + timedelta(seconds=200)
    assert delivery.claim("fast", later) == [event.id]
    delivery.deliver_claimed(event.id, "fast", lambda: later)
    delivery.record(event.id, "slow", later, error="SMS gateway x answered HTTP 500")
    row = reload(event.id)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 1, "")


def test_the_admin_lists_filter_by_state_and_topic(desk):
    gateway_down(desk)
    desk.config["OUTBOX_MAX_ATTEMPTS"] = 1
    outbox.enqueue("1c.order", "1c:order:1:confirmed", {"number": "1"})
    failed = queued(key="sms:a")
    delivery.deliver_due("w1")
    desk.config["SMS_BACKEND"] = "file"
    sent = queued(key="sms:b")
    delivery.deliver_due("w1")
    assert delivery.state_counts() == {"pending": 1, "delivered": 1, "failed": 1}
    assert delivery.state_counts("sms") == {"pending": 0, "delivered": 1, "failed": 1}
    keys = lambda **f: [e.key for e in db.session.scalars(delivery.events_query(**f))]  # noqa: E731
    assert keys() == ["sms:b", "sms:a", "1c:order:1:confirmed"]
    assert keys(state="failed") == ["sms:a"] and keys(state="delivered") == ["sms:b"]
    assert keys(state="pending", topic="1c.order") == ["1c:order:1:confirmed"]
    assert delivery.topics() == ["1c.order", "sms"]
    assert (failed.key, sent.key) == ("sms:a", "sms:b")


def test_sms_status_reads_queued_sent_and_failed(desk):
    event = queued()
    status = sms.status(event.key)
    assert (status.state, status.attempts, status.error) == ("queued", 0, "")
    delivery.deliver_due("w1")
    status = sms.status(event.key)
    assert (status.state, status.attempts, status.at) == ("sent", 1, reload(event.id).delivered_at)
    assert sms.status("sms:none") is None
