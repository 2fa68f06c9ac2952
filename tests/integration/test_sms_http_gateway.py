"""The http SMS backend against a real gateway on 127.0.0.1: success with the gateway's message id,
a non-2xx answer, a body without the success mark, a timeout, an unreachable gateway — and through
the outbox: retried with back-off, failed after OUTBOX_MAX_ATTEMPTS, delivered after a retry."""
from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.integrations.sms import SmsError, send_sms
from portal.models import OutboxEvent, utcnow
from portal.services.messaging import delivery, sms

from ..sms_gateway import Answer, LocalGateway

PHONE = "+79161234567"


@pytest.fixture
def gateway(ctx):
    with LocalGateway() as gw:
        ctx.config.update(gw.settings(), OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_BASE=10, OUTBOX_BACKOFF_CAP=3600,
                          OUTBOX_BACKOFF_JITTER=0, OUTBOX_DELIVER_INLINE=True)
        yield gw


def test_an_accepted_message_returns_the_gateways_message_id(gateway):
    gateway.answer((200, '{"status":"ok","id":"A-77"}'))
    assert send_sms(PHONE, "Код 123456 & more") == "A-77"
    (got,) = gateway.received
    assert (got.method, got.path, got.query) == ("GET", "/send", {"to": PHONE, "text": "Код 123456 & more"})


def test_post_json_with_headers_reaches_the_gateway_as_configured(ctx, gateway):
    ctx.config.update(SMS_HTTP_URL=gateway.url + "/api/sms", SMS_HTTP_METHOD="POST", SMS_HTTP_CONTENT_TYPE="json",
                      SMS_HTTP_BODY='{"to":"{phone}","message":"{text}","from":"{sender}"}', SMS_SENDER="PORTAL",
                      SMS_HTTP_HEADERS="Authorization: Bearer t0ken; X-Trace: 1",
                      SMS_HTTP_SUCCESS=r're:"status"\s*:\s*"ok"', SMS_HTTP_MESSAGE_ID="")
    gateway.answer((201, '{"status": "ok"}'))
    assert send_sms(PHONE, 'He said "hi"') is None  # accepted; this gateway gives no id
    (got,) = gateway.received
    assert (got.method, got.path) == ("POST", "/api/sms")
    assert json.loads(got.body) == {"to": PHONE, "message": 'He said "hi"', "from": "PORTAL"}
    assert got.headers["Authorization"] == "Bearer t0ken" and got.headers["X-Trace"] == "1"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_non_2xx_answer_is_an_error_with_the_status_and_body(gateway):
    gateway.answer((503, "busy, try later"))
    with pytest.raises(SmsError) as error:
        send_sms(PHONE, "secret 987650")
    host = gateway.url.removeprefix("http://")
    assert str(error.value) == f"SMS gateway {host} answered HTTP 503: busy, try later"
    assert "987650" not in str(error.value)


def test_a_2xx_answer_without_the_success_mark_is_an_error(gateway):
    gateway.answer((200, '{"status":"error","reason":"no balance"}'))
    with pytest.raises(SmsError, match=r'answered HTTP 200 without \'"status":"ok"\': \{"status":"error"'):
        send_sms(PHONE, "hi")


def test_a_gateway_that_does_not_answer_in_time_is_an_error(ctx, gateway):
    ctx.config["SMS_HTTP_TIMEOUT"] = 0.3
    gateway.answer(Answer(200, '{"status":"ok"}', delay=1.5))
    with pytest.raises(SmsError, match=r"did not answer within 0.3 s"):
        send_sms(PHONE, "hi")


def test_an_unreachable_gateway_is_an_error(ctx):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx.config.update(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{port}/?p={{phone}}&t={{text}}",
                      SMS_HTTP_TIMEOUT=2)
    with pytest.raises(SmsError, match=rf"SMS gateway 127.0.0.1:{port} unreachable: .*refused"):
        send_sms(PHONE, "hi")


def test_through_the_outbox_failures_back_off_then_fail_and_a_retry_delivers(ctx, gateway):
    ctx.config["SMS_HTTP_TIMEOUT"] = 0.3
    gateway.answer((500, "internal"), (200, '{"status":"fail"}'), Answer(200, "{}", delay=1.0))
    event = sms.queue(PHONE, "Welcome!", "sms:welcome:client:1")
    db.session.commit()
    t0 = utcnow()
    at = [t0]
    waits, errors = [], []
    for _ in range(3):
        delivery.deliver_due("w1", now=lambda: at[0])
        db.session.expire_all()
        row = db.session.get(OutboxEvent, event.id)
        errors.append(row.last_error.split(" answered ")[-1].split(" did ")[-1])
        if row.failed_at is None:
            waits.append((row.available_at - at[0]).total_seconds())
            at[0] = row.available_at
    assert waits == [10, 20]
    assert errors == ["HTTP 500: internal", "HTTP 200 without '\"status\":\"ok\"': {\"status\":\"fail\"}",
                      "not answer within 0.3 s"]
    assert (row.state, row.attempts, row.failed_at) == ("failed", 3, t0 + timedelta(seconds=30))
    assert len(gateway.received) == 3
    assert sms.status(event.key).state == "failed"

    gateway.answer((200, '{"status":"ok","id":"Z-9"}'))
    delivery.retry_now(None, event.id)
    assert delivery.deliver_now([event.id]).delivered == 1
    status = sms.status(event.key)
    assert (status.state, status.message_id, status.attempts, status.error) == ("sent", "Z-9", 1, "")
    assert len(gateway.received) == 4
