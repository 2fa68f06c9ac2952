"""The admin's outbox page: filters, the failed event with its error, retry now; only for admins.
And the confirmation SMS's status on the manager's order card."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import OutboxEvent
from portal.services.messaging import delivery, outbox, sms
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import make_client, make_location, make_product, make_staff
from ...sms_gateway import LocalGateway


@pytest.fixture
def gateway(app):
    with LocalGateway() as gw:
        app.config.update(gw.settings(), OUTBOX_MAX_ATTEMPTS=2, OUTBOX_BACKOFF_BASE=60, OUTBOX_BACKOFF_JITTER=0)
        yield gw


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_only_an_admin_opens_the_outbox(client, login):
    login("manager")
    assert client.get("/admin/outbox").status_code == 403
    assert client.post("/admin/outbox/1/retry").status_code == 403


def test_the_outbox_lists_filters_and_retries_a_failed_sms(app, client, login, gateway):
    login("admin")
    with app.app_context():
        outbox.enqueue("1c.order", "1c:order:7:confirmed", {"number": "7"})
        failed = sms.queue("+79161234567", "Code 987650 for you", "sms:test:failed", hide=["987650"])
        db.session.commit()
        gateway.answer((503, "no balance"))
        delivery.deliver_due("w1")
        row = db.session.get(OutboxEvent, failed.id)
        row.available_at = row.created_at
        db.session.commit()
        delivery.deliver_due("w1")  # the second and last attempt
        failed_id = failed.id
        assert db.session.get(OutboxEvent, failed_id).state == "failed"

    page = client.get("/admin/outbox")
    assert page.status_code == 200
    body = text(page)
    assert "Outbox" in body and "1c.order" in body and "collected by the receiver" in body
    assert "Code ••• for you" in body and "987650" not in body  # the code is never shown
    assert "answered HTTP 503: no balance" in body

    failed_only = text(client.get("/admin/outbox?state=failed"))
    assert "sms" in failed_only and "1c:order:7:confirmed" not in failed_only
    assert "Failed (1)" in failed_only and "Pending (1)" in failed_only
    assert "1c:order:7:confirmed" in text(client.get("/admin/outbox?topic=1c.order"))
    assert "No events match the filter." in text(client.get("/admin/outbox?state=delivered"))

    gateway.answer((200, '{"status":"ok","id":"GW-1"}'))
    answer = client.post(f"/admin/outbox/{failed_id}/retry", data={"state": "failed"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/outbox?state=failed")
    shown = text(client.get("/admin/outbox?state=delivered"))
    assert f"Event #{failed_id} was delivered." in shown and "GW-1" in shown
    with app.app_context():
        row = db.session.get(OutboxEvent, failed_id)
        assert (row.state, row.attempts, row.delivery_ref) == ("delivered", 1, "GW-1")
    again = client.post(f"/admin/outbox/{failed_id}/retry", follow_redirects=True)
    assert "Only an event that failed can be retried." in text(again)


def test_the_order_card_shows_the_confirmation_sms_status(app, client, login, gateway):
    manager_id = login("manager")
    with app.app_context():
        from portal.models import User
        manager = db.session.get(User, manager_id)
        main = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={main: 10})
        buyer = make_client(manager, "Vera Private", phone="+79035550011")
        order = orders.create_draft(manager, OrderDraft(client_id=buyer.id, location_id=main.id,
                                                        lines=[DraftLine("DRILL", 1)]))
        order = orders.submit(manager, order.id)
        order_id = order.id
        gateway.answer((502, "gateway down"))
        order_confirmation.send_code(manager, order_id)

    card = text(client.get(f"/manager/orders/{order_id}"))
    assert "SMS failed: SMS gateway" in card and "answered HTTP 502: gateway down." in card and "Next try" in card

    with app.app_context():
        row = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.topic == "sms"))
        row.available_at = row.created_at
        db.session.commit()
        delivery.deliver_due("w1")  # the last attempt fails too
        event_id = row.id
    assert "SMS not delivered: SMS gateway" in text(client.get(f"/manager/orders/{order_id}"))

    gateway.answer((200, '{"status":"ok","id":"X1"}'))
    with app.app_context():
        delivery.retry_now(make_staff("admin"), event_id)
        delivery.deliver_due("w1")
    assert "SMS sent" in text(client.get(f"/manager/orders/{order_id}"))
