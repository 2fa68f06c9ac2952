"""Issue 17, point 6 in the browser at 1366×768 (and 768×1024): a manager proposes discount 10 → 12 %
on the client card in three interactions (tap the value, type, Enter), the supervisor approves it from
the compact queue, and the card then shows 12 %; the assign control of the clients list is never cut
off. Screenshots go to tests/e2e/artifacts/client-terms-*.png.
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
    Order,
    OrderStatus,
    PaymentTerms,
    utcnow,
)
from portal.services.clients import bonus as bonus_service

from ..factories import DEFAULT_PASSWORD, make_client, make_staff
from .support import TABLET, assert_no_horizontal_overflow, expect, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
LAPTOP = {"width": 1366, "height": 768}
NBSP = "\u00a0"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"client-terms-{name}.png"), full_page=True)


@pytest.fixture
def office(app):
    """Boris supervises Anna and Oleg; Anna's client ООО Кран-Сервис has a 10 % discount; a few more
    clients with long names fill the supervisor's list."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Supervisor")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        oleg = make_staff("manager", supervisor=boss, name="Oleg Konstantinopolsky-Manager")
        kran = make_client(anna, "ООО Кран-Сервис", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=1000, credit_limit=100_000_00, deferral_days=10)
        big = make_client(oleg, "Общество с ограниченной ответственностью «Сантехснаб-Регион»", ClientKind.LEGAL_ENTITY,
                    "+79161234568", tax_id="7736050003", discount_bp=1250, credit_limit=1_500_000_00,
                    deferral_days=30)
        make_client(None, "Индивидуальный предприниматель Трубников Сергей", ClientKind.SOLE_PROPRIETOR,
                    "+79267770000", tax_id="500100732259")
        db.session.commit()
        # Big figures in every column: an overdue debt and bonus, available and pending.
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=big.id,
                             payment_terms=PaymentTerms.DEFERRED, due_date=local_date() - timedelta(days=6),
                             subtotal=1_234_567_00, paid=1_234_567_00, received=4_000_00, number="M-000101",
                             created_at=utcnow() - timedelta(days=16), confirmed_at=utcnow()))
        bonus_service.adjust(boss, big.id, 123_456_78, "welcome gift", "e2e:gift:big")
        db.session.commit()
        return {"boss": boss.email, "anna": anna.email, "kran": kran.id}


class Counter:
    """Every click, tap, typing or key press the person makes counts one."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, locator):
        self.count += 1
        locator.click()

    def type(self, text: str):
        self.count += 1
        self.page.keyboard.type(text)

    def press(self, key: str):
        self.count += 1
        self.page.keyboard.press(key)


def test_a_manager_proposes_12_percent_in_three_interactions_and_the_supervisor_approves_it(
        app, live_server, open_page, office):
    page = open_page("laptop", viewport=LAPTOP)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/clients/{office['kran']}")
    discount = page.get_by_test_id("discount")
    expect(discount).to_have_text(f"10{NBSP}%")
    assert_no_horizontal_overflow(page)
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))

    person = Counter(page)
    person.click(discount)                      # 1: tap the value
    expect(page.get_by_test_id("discount-input")).to_be_focused()
    person.type("12")                           # 2: type (the old value is selected: typing replaces it)
    with page.expect_response(lambda r: "/terms/discount" in r.url and r.request.method == "POST"):
        person.press("Enter")                   # 3: Enter saves
    expect(page.get_by_test_id("discount-pending")).to_have_text(f"awaiting approval: 12{NBSP}%")
    assert person.count == 3 and loads == []    # three interactions, no page load
    expect(page.get_by_test_id("discount")).to_have_text(f"10{NBSP}%")
    expect(page.get_by_test_id("pending-change")).to_contain_text("Proposed change")
    expect(page.get_by_role("link", name="Propose a change")).to_have_count(0)  # one change waits at a time
    shot(page, "proposed")
    with app.app_context():
        request = db.session.scalar(db.select(ChangeRequest))
        assert request.after == {"discount_bp": 1200} and request.status is ChangeStatus.PENDING

    sign_out(page)
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    page.locator(".mainnav").get_by_role("link", name="Approvals").click()
    row = page.locator("[data-testid=approval]")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("approval-summary")).to_have_text(f"Discount 10{NBSP}% → 12{NBSP}%")
    expect(row.get_by_test_id("approval-author")).to_have_text("Anna Manager")
    assert row.bounding_box()["height"] < 90
    assert_no_horizontal_overflow(page)
    shot(page, "queue")
    row.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approval-decided")).to_contain_text("Approved")

    sign_out(page)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/clients/{office['kran']}")
    expect(page.get_by_test_id("discount")).to_have_text(f"12{NBSP}%")
    expect(page.get_by_test_id("discount-pending")).to_have_count(0)


def test_a_bad_value_stays_on_its_field_and_escape_closes_it(app, live_server, open_page, office):
    page = open_page("tablet", viewport=TABLET)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/clients/{office['kran']}")
    page.get_by_test_id("deferral").click()
    page.keyboard.type("400")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("deferral-error")).to_have_text("The deferral must be from 0 to 365 days.")
    expect(page.get_by_test_id("deferral-input")).to_have_value("400")
    expect(page.get_by_test_id("deferral-input")).to_be_focused()
    assert_no_horizontal_overflow(page)
    shot(page, "refused-tablet")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("deferral")).to_have_text("10 days")
    expect(page.get_by_test_id("deferral-input")).to_be_hidden()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


@pytest.mark.parametrize("size", ["laptop", "tablet"])
def test_the_assign_control_is_never_cut_off(app, live_server, open_page, office, size):
    page = open_page(size, viewport=LAPTOP if size == "laptop" else TABLET)
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/clients")
    assert_no_horizontal_overflow(page)
    shot(page, f"list-{size}")
    width = page.viewport_size["width"]
    forms = page.locator("[data-testid=assign-cell] form")
    expect(forms).to_have_count(3)
    for form in forms.all():
        for control in (form.locator("select"), form.get_by_role("button", name="Assign")):
            expect(control).to_be_visible()
            box = control.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (size, box)
            wrap = control.evaluate("e => e.closest('.table-wrap').getBoundingClientRect().right")
            assert box["x"] + box["width"] <= wrap + 0.5, (size, box, wrap)
