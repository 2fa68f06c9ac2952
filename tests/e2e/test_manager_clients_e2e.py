"""A manager's clients in the browser, at a desktop (1280×800) and on a tablet (768×1024 portrait):
find a client, open the card, propose a new discount and see it wait for approval; add a new client
and see it pending. Screenshots go to tests/e2e/artifacts/manager-clients-*.png.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal import ledger
from portal.extensions import db
from portal.models import ChangeRequest, Channel, Client, ClientKind, ClientStatus, User
from portal.services.clients import bonus as bonus_service
from portal.services.sales import sales

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
SIZES = {"desktop": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}
NBSP = "\u00a0"


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}{NBSP}₽"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"manager-clients-{name}.png"), full_page=True)


@pytest.fixture
def office(app):
    """A supervisor's team: Anna with a few clients (one with bonus), and a colleague's client."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Supervisor")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        colleague = make_staff("manager", supervisor=boss, name="Colleague")
        kran = make_client(anna, "ООО Кран-Сервис", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=100_000_00, deferral_days=10)
        make_client(anna, "Иванов Пётр Сергеевич", ClientKind.PRIVATE_PERSON, "+79035550011")
        make_client(anna, "ИП Трубников", ClientKind.SOLE_PROPRIETOR, "+79267770000", tax_id="500100732259",
                    discount_bp=300, credit_limit=20_000_00, deferral_days=7)
        make_client(colleague, "Colleague's Client", ClientKind.LEGAL_ENTITY, "+79001112233")
        bonus_service.adjust(boss, kran.id, 1_250_00, "welcome gift", "e2e:gift:kran")
        db.session.commit()
        warehouse = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 10}, name="Cordless drill")
        order = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=2, sku="DRILL")],
                                                  location_id=warehouse.id, client_id=kran.id))
        bonus = ledger.bonus_of(kran.id)
        return {"anna": anna.email, "kran": kran.id, "boss": boss.id, "available": bonus.available,
                "pending": bonus.pending, "order": order.number, "total": order.total}


def signed_in_manager(open_page, live_server, office, size):
    page = open_page(size, viewport=SIZES[size])
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/manager/")
    return page


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_find_a_client_and_propose_a_new_discount(app, live_server, open_page, office, size):
    page = signed_in_manager(open_page, live_server, office, size)
    page.locator(".mainnav").get_by_role("link", name="Clients").click()
    expect(page).to_have_url(live_server + "/manager/clients")
    expect(page.locator("main h1")).to_have_text("My clients")
    rows = page.locator("[data-testid=clients] tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("Colleague's Client")
    assert_no_horizontal_overflow(page)
    shot(page, f"list-{size}")

    page.get_by_placeholder("Name, tax ID or phone").fill("кран")
    page.get_by_role("button", name="Find").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ООО Кран-Сервис")
    # The phone in any notation finds the same client.
    page.get_by_placeholder("Name, tax ID or phone").fill("8 (916) 123-45-67")
    page.get_by_role("button", name="Find").click()
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="ООО Кран-Сервис").click()

    expect(page).to_have_url(f"{live_server}/manager/clients/{office['kran']}")
    expect(page.locator("main h1")).to_have_text("ООО Кран-Сервис")
    expect(page.get_by_test_id("bonus-available")).to_have_text(rub(office["available"]))
    expect(page.get_by_test_id("bonus-pending")).to_have_text(rub(office["pending"]))
    expect(page.get_by_test_id("discount")).to_have_text(f"5{NBSP}%")
    expect(page.get_by_role("link", name="New order")).to_be_visible()
    orders = page.get_by_test_id("orders")
    expect(orders.get_by_role("link", name=office["order"])).to_be_visible()
    expect(orders.locator("tbody tr").first).to_contain_text(rub(office["total"]))
    assert_no_horizontal_overflow(page)
    shot(page, f"card-{size}")

    page.get_by_role("link", name="Propose a change").click()
    expect(page.locator("[data-testid=approval-notice]")).to_contain_text("goes to your supervisor for approval")
    expect(page.get_by_label("Discount, %")).to_have_value("5")
    # A typing slip is shown next to the field, and nothing typed is lost.
    page.get_by_label("Discount, %").fill("7,555")
    page.get_by_role("button", name="Send for approval").click()
    discount_field = page.locator(".field", has=page.locator("input[name=discount]"))
    expect(discount_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(discount_field.locator(".errors")).to_have_text("At most two decimals, e.g. 7,25.")
    expect(page.get_by_label("Discount, %")).to_have_value("7,555")
    assert_no_horizontal_overflow(page)
    shot(page, f"form-error-{size}")

    page.get_by_label("Discount, %").fill("7,5")
    page.get_by_role("button", name="Send for approval").click()
    expect(page).to_have_url(f"{live_server}/manager/clients/{office['kran']}")
    expect(page.locator(".flash-success")).to_have_text("Your change has been sent to your supervisor for approval.")
    pending = page.get_by_test_id("pending-change")
    expect(pending).to_contain_text("Awaiting approval")
    row = pending.locator("tr[data-field=discount_bp]")
    expect(row.locator(".before")).to_have_text(f"5{NBSP}%")
    expect(row.locator(".after")).to_have_text(f"7.5{NBSP}%")
    expect(pending.locator("tbody tr")).to_have_count(1)
    # The card keeps the approved discount until the supervisor decides.
    expect(page.get_by_test_id("discount")).to_have_text(f"5{NBSP}%")
    expect(page.get_by_role("link", name="Propose a change")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    shot(page, f"card-awaiting-{size}")

    with app.app_context():
        request = db.session.scalar(db.select(ChangeRequest))
        assert (request.before, request.after) == ({"discount_bp": 500}, {"discount_bp": 750})
        assert db.session.get(Client, office["kran"]).discount_bp == 500


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_add_a_new_client_that_waits_for_approval(app, live_server, open_page, office, size):
    page = signed_in_manager(open_page, live_server, office, size)
    page.goto(live_server + "/manager/clients")
    page.get_by_role("link", name="New client").click()
    expect(page.locator("main h1")).to_have_text("New client")
    expect(page.get_by_label("Discount, %")).to_have_value("0")

    page.get_by_label("Type", exact=True).select_option("legal_entity")
    page.get_by_label("Legal name or full name").fill("ООО Новые Трубы")
    page.get_by_label("Tax ID").fill("7707083894")  # a wrong check digit
    page.get_by_label("Phone").fill("8 926 555-44-33")
    page.get_by_label("E-mail").fill("zakaz@truby.example")
    page.get_by_label("Legal address").fill("Москва, ул. Ленина, д. 1")
    page.get_by_label("Discount, %").fill("3")
    page.get_by_label("Credit limit").fill("50 000")
    page.get_by_label("Payment deferral, days").fill("14")
    page.get_by_role("button", name="Save").click()

    tax_field = page.locator(".field", has=page.locator("input[name=tax_id]"))
    expect(tax_field.locator(".errors")).to_have_text("The tax ID's check digit is wrong.")
    expect(page.get_by_label("Legal name or full name")).to_have_value("ООО Новые Трубы")
    expect(page.get_by_label("Credit limit")).to_have_value("50 000")
    assert_no_horizontal_overflow(page)
    shot(page, f"new-error-{size}")

    page.get_by_label("Tax ID").fill("7702070139")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("ООО Новые Трубы has been added.")
    expect(page.locator("main h1")).to_have_text("ООО Новые Трубы")
    expect(page.get_by_test_id("client-status")).to_have_text("Awaiting approval")
    expect(page.get_by_test_id("discount")).to_have_text(f"0{NBSP}%")
    expect(page.get_by_test_id("credit-limit")).to_have_text(rub(0))
    pending = page.get_by_test_id("pending-change")
    expect(pending).to_contain_text("New client: the terms asked for")
    expect(pending.locator("tr[data-field=discount_bp] .after")).to_have_text(f"3{NBSP}%")
    expect(pending.locator("tr[data-field=credit_limit] .after")).to_have_text(rub(50_000_00))
    expect(pending.locator("tr[data-field=deferral_days] .after")).to_have_text("14 days")
    expect(page.get_by_test_id("contacts")).to_contain_text("+7 926 555-44-33")
    assert_no_horizontal_overflow(page)
    shot(page, f"new-pending-{size}")

    # Contacts are changed at once, without approval.
    page.get_by_role("link", name="Edit contacts").click()
    page.locator("input[name=phones-1]").fill("+7 (903) 555-00-11")  # Ivanov's phone: taken
    page.get_by_role("button", name="Save").click()
    taken = page.locator(".field", has=page.locator("input[name=phones-1]"))
    expect(taken.locator(".errors")).to_have_text("Another client already has this phone number.")
    assert_no_horizontal_overflow(page)
    shot(page, f"contacts-error-{size}")
    page.locator("input[name=phones-1]").fill("8 903 555-00-99")
    page.locator("input[name=addresses-1-text]").fill("Химки, склад 2")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_have_text("The contacts of ООО Новые Трубы have been saved.")
    expect(page.get_by_test_id("contacts")).to_contain_text("+7 903 555-00-99")
    expect(page.get_by_test_id("contacts")).to_contain_text("Химки, склад 2")
    expect(page.get_by_test_id("client-status")).to_have_text("Awaiting approval")

    page.goto(live_server + "/manager/clients?status=pending")
    row = page.locator("[data-testid=clients] tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".tag")).to_have_text("Awaiting approval")

    with app.app_context():
        client = db.session.scalar(db.select(Client).where(Client.name == "ООО Новые Трубы"))
        assert client.status is ClientStatus.PENDING and client.discount_bp == 0
        assert client.manager_id == db.session.scalar(db.select(User.id).where(User.email == office["anna"]))
