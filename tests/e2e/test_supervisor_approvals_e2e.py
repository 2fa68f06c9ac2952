"""The supervisor's approval queue and one-click assignment in the browser, at a desktop (1366×900) and
on a tablet (768×1024 portrait): approve a manager's discount change in place and the manager sees the
notification and the new discount; reject without a comment and see why in the item; assign a client
from the list and the manager is told; clear a queue of 20 with "Select all" + "Approve selected".
Screenshots go to tests/e2e/artifacts/supervisor-approvals-*.png.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from portal.clock import local_date
from portal.extensions import db
from portal.models import (
    ChangeRequest,
    ChangeStatus,
    Channel,
    ClientKind,
    Notification,
    Order,
    OrderStatus,
    PaymentTerms,
    User,
    utcnow,
)
from portal.services.clients import changes
from portal.services.clients.changes import ClientChange, NewClient
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from .support import DESKTOP, TABLET, assert_no_horizontal_overflow, expect, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
NBSP = "\u00a0"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"supervisor-approvals-{name}.png"), full_page=True)


def change_of(client, **overrides) -> ClientChange:
    data = {"kind": client.kind.value, "name": client.name, "tax_id": client.tax_id or "", "discount_bp": client.discount_bp,
                "credit_limit": client.credit_limit, "deferral_days": client.deferral_days}
    data.update(overrides)
    return ClientChange(**data)


@pytest.fixture
def office(app):
    """Boris supervises Anna and Oleg. Waiting for Boris: Anna's discount change of ООО Кран-Сервис,
    Anna's order with a 12 % discount for it, Oleg's new client."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Supervisor")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        oleg = make_staff("manager", supervisor=boss, name="Oleg Manager")
        kran = make_client(anna, "ООО Кран-Сервис", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=100_000_00, deferral_days=10)
        warehouse = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 50}, name="Cordless drill")
        make_product("VALVE", 250_00, stock={warehouse: 50}, name="Ball valve DN25")
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=kran.id,
                             payment_terms=PaymentTerms.DEFERRED, due_date=local_date() - timedelta(days=6),
                             subtotal=12_500_00, paid=12_500_00, received=4_000_00, number="M-000101",
                             created_at=utcnow() - timedelta(days=16), confirmed_at=utcnow()))
        db.session.commit()
        changes.propose_change(anna, kran.id, change_of(kran, discount_bp=750))
        order = orders.create_draft(anna, OrderDraft(client_id=kran.id, location_id=warehouse.id, lines=[
            DraftLine("DRILL", 2, 1_200), DraftLine("VALVE", 4)]))
        orders.submit(anna, order.id)
        changes.create_client(oleg, NewClient(kind="private_person", name="Петров Иван Сергеевич",
                                                     phone="+79160000077", discount_bp=300, credit_limit=5_000_00,
                                                     deferral_days=7))
        return {"boss": boss.email, "anna": anna.email, "oleg": oleg.email, "kran": kran.id,
                "order": order.number}


def _user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.email == email))


def open_queue(page, live_server, email):
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/supervisor/")
    page.locator(".mainnav").get_by_role("link", name="Approvals").click()
    expect(page).to_have_url(live_server + "/supervisor/approvals")


def test_approve_a_discount_change_in_place_and_the_manager_sees_it(app, live_server, open_page, office):
    page = open_page("desktop", viewport=DESKTOP)
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    count = page.locator("[data-testid=approvals-count]")
    expect(count).to_have_text("3")
    page.locator(".mainnav").get_by_role("link", name="Approvals").click()
    expect(page.locator("main h1")).to_have_text("Approvals")
    items = page.locator("[data-testid=approval]")
    expect(items).to_have_count(3)
    change = items.nth(0)
    expect(change.get_by_test_id("approval-what")).to_have_text("Change of terms")
    # One compact row each: what changes from → to on the row itself, the details folded.
    expect(change.get_by_test_id("approval-summary")).to_have_text(f"Discount 5{NBSP}% → 7.5{NBSP}%")
    shot(page, "compact")
    for row in items.all():
        assert row.bounding_box()["height"] < 90
    expect(change.get_by_test_id("approval-change")).to_be_hidden()
    change.get_by_test_id("approval-details").locator("summary").click()
    expect(change.get_by_test_id("approval-change")).to_be_visible()
    expect(change.locator("tr[data-field=discount_bp] .before")).to_have_text(f"5{NBSP}%")
    expect(change.locator("tr[data-field=discount_bp] .after")).to_have_text(f"7.5{NBSP}%")
    expect(change.get_by_test_id("context-debt-overdue")).to_contain_text("6 days overdue")
    order = items.nth(1)
    expect(order.get_by_test_id("approval-what")).to_have_text("Order discount")
    expect(order.get_by_test_id("line-discount")).to_have_text(f"12{NBSP}%")
    expect(order.get_by_test_id("line-approved")).to_have_text(f"5{NBSP}%")
    assert_no_horizontal_overflow(page)
    shot(page, "desktop")

    page.evaluate("window.__noReload = 'still here'")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # Rejecting without a comment: the item says why, in place, its details open at the comment.
    order.get_by_test_id("reject").click()
    expect(order.get_by_test_id("approval-error")).to_have_text("Say why the discounts are rejected.")
    expect(order.get_by_label("Comment")).to_be_focused()
    expect(items).to_have_count(3)

    change.get_by_label("Comment").fill("Agreed with sales")
    with page.expect_response(lambda r: r.url.endswith("/approve") and r.request.method == "POST") as answer:
        change.get_by_test_id("approve").click()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    decided = page.locator("[data-testid=approval-decided]")
    expect(decided).to_have_count(1)
    expect(decided).to_contain_text("Approved")
    expect(decided).to_contain_text("Change of terms · ООО Кран-Сервис · Anna Manager · Agreed with sales")
    expect(items).to_have_count(2)
    expect(count).to_have_text("2")
    expect(page.get_by_test_id("waiting-count")).to_have_text("2 waiting")
    assert page.evaluate("window.__noReload") == "still here" and navigations == []
    shot(page, "decided-desktop")

    tablet = open_page("tablet", viewport=TABLET)
    open_queue(tablet, live_server, office["boss"])
    expect(tablet.locator("[data-testid=approval]")).to_have_count(2)
    assert_no_horizontal_overflow(tablet)
    for button in tablet.locator("[data-testid=approval] button").all():
        assert button.bounding_box()["height"] >= 44
    shot(tablet, "tablet")
    # Newest first, and one kind only: the queue answers in place, and the address keeps the choice.
    tablet.get_by_test_id("approval-sort").select_option("newest")
    expect(tablet.locator("[data-testid=approval]").first.get_by_test_id("approval-what")).to_have_text("New client")
    tablet.get_by_test_id("approval-kind").select_option("order_discount")
    expect(tablet.locator("[data-testid=approval]")).to_have_count(1)
    expect(tablet.get_by_test_id("approval-what")).to_have_text("Order discount")
    expect(tablet).to_have_url(f"{live_server}/supervisor/approvals?kind=order_discount&order=newest")
    tablet.get_by_test_id("approval-kind").select_option("deferral")
    expect(tablet.get_by_test_id("queue-empty")).to_have_text("Nothing of this kind waits for your decision.")

    sign_out(page)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    expect(page.locator("[data-testid=unread-count]")).to_be_visible()
    page.locator("#notifications-bell").click()
    note = page.locator("#notifications li.note", has_text="approved your change")
    expect(note).to_contain_text("Boris Supervisor approved your change to ООО Кран-Сервис.")
    note.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server}/manager/clients/{office['kran']}")
    expect(page.get_by_test_id("discount")).to_have_text(f"7.5{NBSP}%")
    expect(page.get_by_test_id("pending-change")).to_have_count(0)


def test_assign_a_client_from_the_list_in_one_click(app, live_server, open_page, office):
    page = open_page("desktop", viewport=DESKTOP)
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    page.locator(".mainnav").get_by_role("link", name="Clients").click()
    cell = page.locator(f"#assign-{office['kran']}")
    expect(cell.locator("select")).to_have_value(str(_user_id(app, office["anna"])))
    page.evaluate("window.__noReload = 'still here'")
    cell.locator("select").select_option(label="Oleg Manager")
    cell.get_by_role("button", name="Assign").click()
    expect(cell).to_contain_text("Oleg Manager is now responsible for ООО Кран-Сервис.")
    expect(cell.locator("select")).to_have_value(str(_user_id(app, office["oleg"])))
    assert page.evaluate("window.__noReload") == "still here"
    assert_no_horizontal_overflow(page)
    shot(page, "assign-desktop")

    # On the card, too (the tablet hides the list's manager column).
    tablet = open_page("tablet", viewport=TABLET)
    sign_in(tablet, live_server, office["boss"], DEFAULT_PASSWORD)
    tablet.goto(f"{live_server}/manager/clients/{office['kran']}")
    expect(tablet.get_by_test_id("manager")).to_have_text("Oleg Manager")
    control = tablet.locator("#assign-control")
    control.get_by_label("Assign a responsible manager").select_option(label="Anna Manager")
    control.get_by_role("button", name="Assign").click()
    expect(tablet.locator("#assign-control")).to_contain_text("Anna Manager is now responsible for ООО Кран-Сервис.")
    expect(tablet.get_by_test_id("manager")).to_have_text("Anna Manager")
    assert tablet.locator("#assign-control button").bounding_box()["height"] >= 44
    assert_no_horizontal_overflow(tablet)
    shot(tablet, "assign-card-tablet")

    sign_out(page)
    sign_in(page, live_server, office["oleg"], DEFAULT_PASSWORD)
    page.locator("#notifications-bell").click()
    expect(page.locator("#notifications")).to_contain_text(
        "Boris Supervisor made you the responsible manager of ООО Кран-Сервис.")



def test_a_queue_of_twenty_is_cleared_with_select_all_and_approve_selected(app, live_server, open_page):
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Supervisor")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        for n in range(20):
            client = make_client(anna, f"Client {n + 1:02d}", discount_bp=200)
            changes.propose_change(anna, client.id, change_of(client, discount_bp=300 + n * 10))
        email = boss.email

    page = open_page("desktop", viewport=DESKTOP)
    open_queue(page, live_server, email)
    items = page.locator("[data-testid=approval]")
    expect(items).to_have_count(20)
    expect(page.locator("[data-testid=approvals-count]")).to_have_text("20")
    page.evaluate("window.__noReload = 'still here'")

    page.get_by_test_id("select-all").click()
    expect(page.locator("input[name=items]:checked")).to_have_count(20)
    page.get_by_test_id("approve-selected").click()
    expect(page.get_by_test_id("bulk-approved")).to_have_text("20 items approved.")
    expect(page.get_by_test_id("queue-empty")).to_have_text("Nothing waits for your decision.")
    expect(items).to_have_count(0)
    expect(page.locator("[data-testid=approvals-count]")).to_be_hidden()
    assert page.evaluate("window.__noReload") == "still here"
    assert page.url == live_server + "/supervisor/approvals"
    shot(page, "bulk-desktop")

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id)).where(
            ChangeRequest.status == ChangeStatus.APPROVED)) == 20
        assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
            Notification.kind == "change_request_approved")) == 20
