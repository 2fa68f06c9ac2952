"""The three SMS of the portal go through the outbox, in the transaction of their business change:
the order confirmation code, the bonus-page sign-in code and the welcome SMS of a client registered
at a till. With OUTBOX_DELIVER_INLINE off nothing is sent until the worker runs; a refused change
queues nothing."""
from __future__ import annotations

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import OutboxEvent
from portal.services.clients import access
from portal.services.messaging import delivery
from portal.services.messaging.codes import Throttled
from portal.services.orders import confirmation as order_confirmation
from portal.services.sales import till

from ...factories import make_client
from .test_manager_orders import office, submitted  # noqa: F401 (fixture, helper)
from .test_till import desk  # noqa: F401 (fixture)


def sms_events() -> list[OutboxEvent]:
    return list(db.session.scalars(db.select(OutboxEvent).where(OutboxEvent.topic == "sms").order_by(OutboxEvent.id)))


@pytest.fixture
def worker_only(ctx):
    ctx.config["OUTBOX_DELIVER_INLINE"] = False
    return ctx


def test_the_order_code_is_queued_with_the_code_row_and_sent_by_the_worker(office, worker_only):  # noqa: F811
    order = submitted(office)
    state = order_confirmation.send_code(office.manager, order.id)
    (event,) = sms_events()
    code_row = order_confirmation._latest(order.id)
    assert event.key == f"sms:order-code:{code_row.id}" and event.payload["phone"] == office.client.primary_phone
    assert set(event.payload) == {"phone", "text", "hide", "expires_at"} and len(event.payload["hide"]) == 2
    assert (state.sms.state, state.sms.attempts) == ("queued", 0)
    assert sent_messages(office.sms) == []  # not before the worker runs
    assert delivery.deliver_due("w1").delivered == 1
    (message,) = sent_messages(office.sms)
    assert message["text"].startswith("Code ") and "/my/confirm/" in message["text"]
    assert order_confirmation.code_state(order.id).sms.state == "sent"
    db.session.expire_all()
    assert "/my/confirm/" not in sms_events()[0].payload["text"]  # the link and the code are wiped once sent

    with pytest.raises(Throttled):  # refused: no code row, no SMS queued
        order_confirmation.send_code(office.manager, order.id)
    assert len(sms_events()) == 1


def test_the_sign_in_code_is_queued_only_for_a_known_phone(ctx, worker_only, tmp_path):
    ctx.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    client = make_client(name="Vera", phone="+79035550011")
    access.request_code("+7 903 555-00-11")
    access.request_code("+7 903 555-99-99")  # nobody's: nothing queued
    (event,) = sms_events()
    assert event.key.startswith("sms:client-code:") and event.payload["phone"] == client.primary_phone
    delivery.deliver_due("w1")
    (message,) = sent_messages(ctx.config["SMS_FILE_PATH"])
    assert message["text"].startswith("Your code for the bonus page: ")


def test_the_welcome_sms_is_queued_with_the_new_client_and_not_for_a_refused_one(desk, worker_only):  # noqa: F811
    client = till.register_client(desk["cashier"], "Petr New", "8 903 555-00-22")
    (event,) = sms_events()
    assert (event.key, event.payload["phone"]) == (f"sms:welcome:client:{client.id}", "+79035550022")
    assert event.payload["text"].startswith("Welcome! Your bonus page: ") and "expires_at" not in event.payload
    with pytest.raises(DomainError):
        till.register_client(desk["cashier"], "Twin", "+79161234567")  # the phone is taken: rolled back whole
    assert len(sms_events()) == 1
    assert sent_messages(desk["sms"]) == []
    delivery.deliver_due("w1")
    assert [m["phone"] for m in sent_messages(desk["sms"])] == ["+79035550022"]
