"""The outbox in the browser: the administrator finds a failed SMS with the gateway's error and
sends it again with "Retry now"; the manager sees on the order card whether the code's SMS went out.

Screenshots go to tests/e2e/artifacts/outbox-*.png.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import OutboxEvent
from portal.services.messaging import delivery, outbox, sms
from portal.services.orders import confirmation, orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from ..sms_gateway import LocalGateway
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def gateway(app):
    with LocalGateway() as gw:
        app.config.update(gw.settings(), OUTBOX_MAX_ATTEMPTS=1, OUTBOX_BACKOFF_JITTER=0)
        yield gw


def test_the_admin_sees_a_failed_sms_with_its_error_and_retries_it(app, live_server, page, open_page, gateway):
    with app.app_context():
        admin = make_staff("admin", name="Alla Admin").email
        outbox.enqueue("1c.order", "1c:order:12:confirmed", {"number": "12"})
        done = sms.queue("+79035550011", "Welcome! Your bonus page: https://p/my/link/abc", "sms:welcome:client:1",
                         hide=["https://p/my/link/abc"])
        db.session.commit()
        delivery.deliver_now([done.id])  # delivered, gateway id m1
        gateway.answer((503, '{"status":"error","reason":"no balance"}'))
        failed = sms.queue("+79161234567", "Your code for the bonus page: 987650.", "sms:client-code:1",
                           hide=["987650"])
        db.session.commit()
        delivery.deliver_now([failed.id])
        failed_id = failed.id
        assert db.session.get(OutboxEvent, failed_id).state == "failed"

    sign_in(page, live_server, admin, DEFAULT_PASSWORD)
    page.locator("header.topbar .mainnav").get_by_role("link", name="Outbox").click()
    expect(page).to_have_url(live_server + "/admin/outbox")
    expect(page.locator("main h1")).to_have_text("Outbox")
    rows = page.locator("[data-testid=outbox-row]")
    expect(rows).to_have_count(3)
    page.get_by_label("Status").select_option("failed")
    expect(page).to_have_url(live_server + "/admin/outbox?state=failed&topic=")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("[data-testid=outbox-state]")).to_contain_text("Failed")
    expect(row.locator("[data-testid=outbox-error]")).to_contain_text(
        'answered HTTP 503: {"status":"error","reason":"no balance"}')
    expect(row).to_contain_text("Your code for the bonus page: •••.")
    expect(row).not_to_contain_text("987650")
    shot(page, "outbox-admin-failed")

    tablet = open_page("tablet")
    sign_in(tablet, live_server, admin, DEFAULT_PASSWORD)
    tablet.goto(live_server + "/admin/outbox")
    expect(tablet.locator("[data-testid=outbox-row]")).to_have_count(3)
    assert_no_horizontal_overflow(tablet)
    shot(tablet, "outbox-admin-tablet")

    gateway.answer((200, '{"status":"ok","id":"GW-777"}'))  # the balance was topped up
    row.get_by_role("button", name="Retry now").click()
    expect(page.locator(".flash").first).to_contain_text(f"Event #{failed_id} was delivered.")
    expect(page).to_have_url(live_server + "/admin/outbox?state=failed")
    expect(page.locator("main")).to_contain_text("No events match the filter.")
    page.get_by_label("Status").select_option("delivered")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("GW-777")
    expect(rows.first.locator("[data-testid=outbox-state]")).to_contain_text("Delivered")
    shot(page, "outbox-admin-retried")
    with app.app_context():
        assert db.session.get(OutboxEvent, failed_id).delivery_ref == "GW-777"


def test_the_manager_sees_whether_the_code_sms_went_out(app, live_server, page, gateway):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_BASE=60)
    with app.app_context():
        main = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={main: 10}, name="Cordless drill")
        anna = make_staff("manager", name="Anna Manager")
        vera = make_client(anna, "Vera Private", phone="+79035550011")
        order = orders.submit(anna, orders.create_draft(anna, OrderDraft(
            client_id=vera.id, location_id=main.id, lines=[DraftLine("DRILL", 1)])).id)
        order_id, email = order.id, anna.email

    gateway.answer((502, "upstream down"))
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/{order_id}")
    page.get_by_test_id("send-code").click()
    status = page.get_by_test_id("sms-status")
    expect(status).to_have_attribute("data-state", "queued")
    expect(status).to_contain_text("SMS failed: SMS gateway")
    expect(status).to_contain_text("answered HTTP 502: upstream down.")
    expect(status).to_contain_text("Next try")
    shot(page, "outbox-order-card-retrying")

    gateway.answer((200, '{"status":"ok","id":"m-2"}'))
    with app.app_context():  # the worker's next round, when the try is due
        event = db.session.scalar(db.select(OutboxEvent).where(
            OutboxEvent.key == confirmation.sms_key(confirmation._latest(order_id).id)))
        event.available_at = event.created_at
        db.session.commit()
        assert delivery.deliver_due("worker-1").delivered == 1
    page.reload()
    expect(status).to_have_attribute("data-state", "sent")
    expect(status).to_contain_text("SMS sent")
    shot(page, "outbox-order-card-sent")
