"""Fiscal receipts and cash in/out in the browser, with the stand-in ATOL web server as the shop's
register (FISCAL_BACKEND=atol): a till sale's receipt says "awaiting registration" until the outbox
is drained, then shows the register's attributes and the QR code; the return receipt likewise; the
shift page takes cash in and out (errors per field, what was typed kept) and lists what awaits
registration; the administrator sets a shop's register address. Screenshots go to tests/e2e/artifacts/.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Barcode, Order, Shift, User, utcnow
from portal.services.fiscal import documents as fiscal
from portal.services.messaging import delivery
from portal.services.sales import returns
from portal.services.sales.returns import ReturnRequest

from ..atol_stand_in import FN_NUMBER, AtolStandIn
from ..factories import DEFAULT_PASSWORD, make_location, make_product, make_staff
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
TEA_CODE = "4600000000035"


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


@pytest.fixture
def register():
    with AtolStandIn() as stand_in:
        yield stand_in


def drain(app, hours: float = 0) -> int:
    """What the outbox worker does: register every fiscal document that is due."""
    with app.app_context():
        at = utcnow() + timedelta(hours=hours)
        return delivery.deliver_due(topics=[fiscal.TOPIC], now=lambda: at).delivered


def test_a_till_sale_and_its_return_are_registered_and_cash_moves_on_the_shift_page(app, live_server, tablet_page,
                                                                                      open_page, register):
    page = tablet_page
    ARTIFACTS.mkdir(exist_ok=True)
    app.config.update(FISCAL_BACKEND="atol", FISCAL_WAIT_SECONDS=0.3, OUTBOX_BACKOFF_JITTER=0)
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop")
        shop.fiscal_register_url = register.url
        tea = make_product("TEA", 1_234_56, stock={shop: 10}, name="Green tea")
        tea.vat_rate = "20"
        db.session.add(Barcode(product_id=tea.id, code=TEA_CODE))
        db.session.commit()
        cashier = make_staff("cashier", shop=shop, name="Kate Cashier")
        email, cashier_id = cashier.email, cashier.id

    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    page.locator("#opening_float").fill("500")
    page.get_by_role("button", name="Open shift").tap()
    expect(page).to_have_url(live_server + "/cashier/sale")
    # the register's shift opening waits for the worker: the till says so in one line
    page.screenshot(path=str(ARTIFACTS / "fiscal-till-notice.png"))
    expect(page.locator("[data-testid=fiscal-notice]")).to_contain_text(
        "1 document awaits registration on the fiscal register")
    page.locator("[data-testid=fiscal-notice]").get_by_role("link", name="Which ones").tap()
    expect(page.locator("[data-testid=fiscal-waiting]")).to_have_text("Opening of the register's shift")
    page.goto(live_server + "/cashier/sale")

    # --- a sale paid by card
    field = page.locator("#scan-code")
    field.press_sequentially(TEA_CODE)
    field.press("Enter")
    expect(page.locator("[data-testid=cart-line]")).to_have_count(1)
    page.locator("[data-testid=pay-card]").tap()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/cashier/receipt/\d+$"))
    expect(page.locator("[data-testid=fiscal-pending]")).to_have_text("Awaiting registration on the fiscal register")
    expect(page.locator("[data-testid=fiscal-fn]")).to_have_count(0)
    receipt_url = page.url

    assert drain(app) == 2  # the register's shift, then the sale
    page.reload()
    sale = register.registered("sell")[0]
    params = sale.result["result"]["fiscalParams"]
    assert sale.task["items"][0]["tax"] == {"type": "vat20", "sum": sale.task["items"][0]["tax"]["sum"]}
    expect(page.locator("[data-testid=fiscal-pending]")).to_have_count(0)
    expect(page.locator("[data-testid=fiscal-fn]")).to_have_text(FN_NUMBER)
    expect(page.locator("[data-testid=fiscal-fd]")).to_have_text(str(params["fiscalDocumentNumber"]))
    expect(page.locator("[data-testid=fiscal-fp]")).to_have_text(params["fiscalDocumentSign"])
    expect(page.locator("[data-testid=fiscal-shift]")).to_have_text("7")
    qr = page.locator("[data-testid=fiscal-qr] svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 100  # big enough for a phone to read from the screen
    assert qr.get_attribute("data-qr").endswith(f"&s=1234.56&fn={FN_NUMBER}&i={params['fiscalDocumentNumber']}"
                                                f"&fp={params['fiscalDocumentSign']}&n=1")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "fiscal-receipt.png"), full_page=True)

    # --- the return receipt likewise
    with app.app_context():
        order = db.session.scalar(db.select(Order).where(Order.id == int(receipt_url.rsplit("/", 1)[1])))
        shift_id = db.session.scalar(db.select(Shift.id).where(Shift.cashier_id == cashier_id))
        ret = returns.return_goods(order.id, [ReturnRequest(qty=1, order_line_id=order.lines[0].id)], key="e2e-r",
                                   actor_id=cashier_id, location_id=order.location_id, shift_id=shift_id)
        return_id = ret.id
    page.goto(f"{live_server}/cashier/returns/{return_id}/receipt")
    expect(page.locator("[data-testid=fiscal-pending]")).to_be_visible()
    assert drain(app) == 1
    page.reload()
    back = register.registered("sellReturn")[0].result["result"]["fiscalParams"]
    expect(page.locator("[data-testid=fiscal-fd]")).to_have_text(str(back["fiscalDocumentNumber"]))
    assert page.locator("[data-testid=fiscal-qr] svg").get_attribute("data-qr").endswith("&n=2")

    # --- cash in and out on the shift page
    page.goto(live_server + "/cashier/shift")
    form = page.locator("[data-testid=cash-form]")
    form.get_by_label("Cash out").check()
    page.locator("#cash-amount").fill("600")
    page.locator("#cash-reason").fill("to the bank")
    page.locator("[data-testid=cash-submit]").tap()
    expect(page.locator("#cash-amount + .errors, .field.has-error .errors").first).to_contain_text(
        "At most 500.00 is in the drawer.")  # the card sale and its card refund leave the float
    expect(page.locator("#cash-reason")).to_have_value("to the bank")  # what was typed is kept
    expect(form.get_by_label("Cash out")).to_be_checked()
    page.locator("#cash-amount").fill("")
    page.locator("#cash-reason").fill("")
    form.get_by_label("Cash in").check()
    page.locator("#cash-amount").fill("1500,50")
    page.locator("[data-testid=cash-submit]").tap()
    expect(page.locator("#cash-reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cash-amount")).to_have_value("1500,50")
    page.locator("#cash-reason").fill("change from the safe")
    page.locator("[data-testid=cash-submit]").tap()
    expect(page.locator(".flash-success")).to_have_text("Cash in recorded.")
    form.get_by_label("Cash out").check()
    page.locator("#cash-amount").fill("300")
    page.locator("#cash-reason").fill("to the bank")
    page.locator("[data-testid=cash-submit]").tap()
    expect(page.locator("[data-testid=cash-movement]")).to_have_count(2)
    expect(page.locator("[data-testid=cash-in-total]")).to_have_text(rub(1_500_50))
    expect(page.locator("[data-testid=cash-out-total]")).to_have_text(rub(300_00))
    expect(page.locator("[data-testid=expected-cash]")).to_have_text(rub(500_00 + 1_500_50 - 300_00))
    waiting = page.locator("[data-testid=fiscal-waiting]")
    expect(waiting).to_have_count(2)
    expect(waiting.first).to_contain_text("Cash in")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "fiscal-shift-768.png"), full_page=True)
    landscape = open_page("tablet", viewport={"width": 1024, "height": 768})
    sign_in(landscape, live_server, email, DEFAULT_PASSWORD)
    landscape.goto(live_server + "/cashier/shift")
    assert_no_horizontal_overflow(landscape)
    landscape.screenshot(path=str(ARTIFACTS / "fiscal-shift-1024.png"), full_page=True)

    # --- the shift closes once everything is registered; the Z report keeps the cash in and out
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#counted_cash").fill("1700,50")
    page.get_by_role("button", name="Close shift").tap()
    expect(page.locator("#counted_cash + .errors, .field.has-error .errors").first).to_contain_text(
        "cannot close while documents await registration")
    expect(page.locator("#counted_cash")).to_have_value("1700,50")
    assert drain(app) == 2
    page.goto(live_server + "/cashier/shift")
    expect(page.locator("[data-testid=fiscal-notice]")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#counted_cash").fill("1700,50")
    page.get_by_role("button", name="Close shift").tap()
    expect(page.locator("main h1")).to_have_text("Z report")
    expect(page.locator("[data-testid=cash-in-total]")).to_have_text(rub(1_500_50))
    expect(page.locator("[data-testid=difference]")).to_have_text(rub(0))
    expect(page.locator("[data-testid=fiscal-waiting]")).to_have_text("Closing of the register's shift")
    page.screenshot(path=str(ARTIFACTS / "fiscal-z-report.png"), full_page=True)
    assert drain(app) == 1
    page.reload()  # a GET: the Z report's page
    z = register.registered("closeShift")[0].result["result"]["fiscalParams"]
    expect(page.locator("[data-testid=register-z]")).to_have_text(
        f"shift 7, FD {z['fiscalDocumentNumber']}, FP {z['fiscalDocumentSign']}")
    expect(page.locator("[data-testid=fiscal-notice]")).to_have_count(0)
    assert [t.task["type"] for t in register.registered()] == [
        "openShift", "sell", "sellReturn", "cashIn", "cashOut", "closeShift"]
    with app.app_context():
        assert db.session.get(User, cashier_id).name == "Kate Cashier"


def test_the_admin_sets_a_shops_fiscal_register_address(app, live_server, page):
    with app.app_context():
        shop_id = make_location("shop", code="SH7", name="Seventh shop").id
        email = make_staff("admin").email
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    page.goto(f"{live_server}/admin/locations/{shop_id}")
    page.get_by_label("Fiscal register URL").fill("10.0.5.20:16732")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field.has-error")).to_contain_text("Enter an address like http://10.0.5.20:16732.")
    expect(page.get_by_label("Fiscal register URL")).to_have_value("10.0.5.20:16732")
    page.get_by_label("Fiscal register URL").fill("http://10.0.5.20:16732")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(live_server + "/admin/locations")
    page.goto(f"{live_server}/admin/locations/{shop_id}")
    expect(page.get_by_label("Fiscal register URL")).to_have_value("http://10.0.5.20:16732")
