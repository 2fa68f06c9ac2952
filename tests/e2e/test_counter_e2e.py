"""Issue 16 at the counter, in a browser: the client's card on a phone, scanned at the till, the
receipt with the bonus balance sent by SMS and opened from a fresh browser; the all-sales list's
filter and a fully returned order on a tablet (768x1024).

Screenshots go to tests/e2e/artifacts/ (the bonus page's card, the all-sales list at 768 px).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Channel, OrderLine, User
from portal.services.clients import access
from portal.services.clients import bonus as bonus_service
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft
from portal.services.sales import returns, sales, shifts, till

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from ..sms_gateway import LocalGateway
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE_SIZE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
PHONE = "+79161234567"


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


@pytest.fixture
def gateway(app):
    with LocalGateway() as gw:
        app.config.update(gw.settings())
        yield gw


@pytest.fixture
def counter(app, tmp_path):
    """The Arbat shop, Vera with 500.00 of bonus, a cashier of the shop with an open shift."""
    app.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop", address="Arbat 1, Moscow")
        main = make_location("warehouse", code="MAIN", is_main=True)
        drill = make_product("DRILL", 1_000_00, stock={shop: 10, main: 100}, name="Cordless drill")
        vera = make_client(name="Vera Buyer", phone=PHONE, discount_bp=500)
        bonus_service.adjust(make_staff("supervisor"), vera.id, 500_00, "welcome gift", "e2e:counter:gift")
        db.session.commit()
        cashier = make_staff("cashier", shop=shop, name="Kira Cashier")
        shifts.open_shift(cashier, 1_000_00)
        return {"shop": shop.id, "main": main.id, "drill": drill.id, "vera": vera.id, "cashier": cashier.id,
                "email": cashier.email, "link": access.signed_link(vera.id)}


def test_the_card_on_a_phone_is_scanned_at_the_till_and_the_receipt_goes_by_sms(
        app, counter, gateway, live_server, open_page):
    ARTIFACTS.mkdir(exist_ok=True)
    # --- the client opens the bonus page on a phone: the card as a barcode and a QR code
    phone = open_page("phone", **PHONE_SIZE)
    phone.goto(counter["link"].replace("http://127.0.0.1:5000", live_server))
    expect(phone).to_have_url(live_server + "/my/")
    number = phone.get_by_test_id("card-number").inner_text()
    assert re.fullmatch(r"2990\d{9}", number)
    for picture in ("card-barcode", "card-qr"):
        image = phone.get_by_test_id(picture)
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), picture
    barcode = phone.get_by_test_id("card-barcode").bounding_box()
    qr = phone.get_by_test_id("card-qr").bounding_box()
    assert barcode["width"] >= 280 and qr["width"] >= 180  # big enough to scan from the screen
    assert_no_horizontal_overflow(phone)
    phone.get_by_test_id("loyalty-card").screenshot(path=str(ARTIFACTS / "client-card-phone.png"))

    # --- the cashier's scanner reads it into the scan field: the client is attached
    page = open_page("tablet")
    sign_in(page, live_server, counter["email"], DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/cashier/sale")
    field = page.locator("#scan-code")
    field.press_sequentially(number)
    field.press("Enter")
    expect(page.get_by_test_id("client-name")).to_contain_text("Vera Buyer")
    field.press_sequentially("DRILL")
    field.press("Enter")
    expect(page.locator("[data-testid=cart-line]")).to_have_count(1)

    # the sale is paid (the till's pay buttons are the till's own test); its receipt shows the bonus
    with app.app_context():
        user = db.session.get(User, counter["cashier"])
        cart = till.view(user)
        assert cart.client is not None and cart.client.id == counter["vera"]
        done = till.checkout(user, card=cart.to_pay, cash_tendered=None, version=cart.cart.version)
        order_id, order_number, accrual = done.order.id, done.order.number, done.order.accrual
    page.goto(f"{live_server}/cashier/receipt/{order_id}")
    expect(page.get_by_test_id("r-bonus-available")).to_have_text(rub(500_00))
    expect(page.get_by_test_id("r-bonus-pending")).to_have_text(rub(accrual))

    # --- the receipt by SMS to the client's phone, offered in the field
    expect(page.locator("#receipt-sms-phone")).to_have_value(PHONE)
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "receipt-sms-768.png"), full_page=True)
    page.get_by_test_id("send-receipt-sms").tap()
    expect(page.locator(".flashes")).to_contain_text(f"The receipt link is sent by SMS to {PHONE}.")
    assert len(gateway.received) == 1 and gateway.received[0].query["to"] == PHONE
    link = re.search(r"https?://\S+/r/\S+", gateway.received[0].query["text"]).group(0)

    # --- the client opens the link in a browser that has never signed in
    fresh = open_page("phone", **PHONE_SIZE)
    fresh.goto(link.replace("http://127.0.0.1:5000", live_server))
    expect(fresh.get_by_test_id("receipt")).to_contain_text(f"Sale receipt {order_number}")
    expect(fresh.get_by_test_id("r-bonus-available")).to_have_text(rub(500_00))
    assert fresh.locator("form[action*='/cashier/']").count() == 0
    assert_no_horizontal_overflow(fresh)
    pdf = fresh.request.get(live_server + fresh.get_by_test_id("receipt-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"


def test_all_sales_filter_and_a_fully_returned_order_on_a_tablet(app, counter, live_server, open_page):
    ARTIFACTS.mkdir(exist_ok=True)
    with app.app_context():
        user = db.session.get(User, counter["cashier"])
        till.attach_client(user, PHONE)
        till.add(user, counter["drill"], by=2)
        cart = till.view(user)
        sold = till.checkout(user, card=cart.to_pay, cash_tendered=None, version=cart.cart.version).order
        sale_number, sale_id = sold.number, sold.id
        web = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=1, sku="DRILL")],
                                                location_id=counter["main"], client_id=counter["vera"])).number
        manager = make_staff("manager")
        buyer = make_client(manager=manager, name="Draft Buyer With A Rather Long Company Name Ltd")
        db.session.commit()
        draft = orders.create_draft(manager, OrderDraft(client_id=buyer.id, location_id=counter["main"],
                                                        lines=[DraftLine("DRILL", 1)])).number
        line_id = db.session.scalar(db.select(OrderLine.id).where(OrderLine.order_id == sale_id))
        returns.return_goods(sale_id, [returns.ReturnRequest(qty=2, order_line_id=line_id)], key="e2e:all",
                             actor_id=user.id, location_id=counter["shop"])

    page = open_page("tablet")
    sign_in(page, live_server, counter["email"], DEFAULT_PASSWORD)
    page.goto(live_server + "/cashier/orders")
    table = page.get_by_test_id("orders")
    expect(table).to_contain_text(sale_number)
    expect(table).to_contain_text(web)
    expect(table).not_to_contain_text(draft)
    # the status column is whole on the screen
    for cell in page.get_by_test_id("order-status").all():
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= 768, box
    assert_no_horizontal_overflow(page)
    page.get_by_test_id("state-filter").select_option("unpaid")
    page.get_by_role("button", name="Find").tap()
    expect(table).to_contain_text(draft)
    expect(table).not_to_contain_text(sale_number)
    assert_no_horizontal_overflow(page)
    page.get_by_test_id("state-filter").select_option("all")
    page.get_by_role("button", name="Find").tap()
    expect(page.get_by_test_id("order-status")).to_have_count(3)
    for cell in page.get_by_test_id("order-status").all():
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= 768, box
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "all-sales-768.png"), full_page=True)

    # --- the fully returned sale: no return offered, and the form's address says why
    page.get_by_role("link", name=sale_number).tap()
    expect(page.get_by_test_id("fully-returned")).to_have_text("Every item of this order has been returned.")
    expect(page.get_by_test_id("return-goods")).to_have_count(0)
    page.goto(f"{live_server}/cashier/orders/{sale_id}/return")
    expect(page).to_have_url(f"{live_server}/cashier/orders/{sale_id}")
    expect(page.locator(".flashes")).to_contain_text(
        f"Every item of order {sale_number} has been returned already: there is nothing left to return.")
