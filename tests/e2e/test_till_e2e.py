"""A cashier's whole day on a tablet: open a shift, scan, attach a client, spend bonus, split the payment,
find the sale in "All sales", take a unit back, and close the shift with a shortage on the Z report.

The expected figures are computed here from the same pricing rules the till uses, not read from the app.
Screenshots of the sale screen, the receipt and the return receipt go to tests/e2e/artifacts/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.extensions import db
from portal.ledger.settings import Programme
from portal.models import Barcode
from portal.money import allocate
from portal.services.clients import bonus as bonus_service
from portal.services.sales.pricing import price_lines

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from .support import expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
DRILL_CODE, VALVE_CODE = "4600000000011", "4600000000028"
DRILL_PRICE, VALVE_PRICE = 1_000_00, 99_99
DISCOUNT_BP, GIFT = 500, 500_00
FLOAT, CARD, TENDERED, SHORT = 1_000_00, 500_00, 300_00, 12_34


def rub(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) / 100:,.2f}\u00a0₽"


def plain(minor: int) -> str:
    return f"{minor / 100:.2f}"


def expected_figures() -> dict:
    """What the receipt, the return receipt and the Z report must show, from the programme's rules."""
    rules = Programme()
    cart = [(DRILL_PRICE, 1, True), (VALVE_PRICE, 1, False)]
    common = {"discount_bp": DISCOUNT_BP, "max_redeem_share_bp": rules.max_redeem_share_bp,
              "accrual_rate_bp": rules.accrual_rate_bp}
    probe = price_lines(cart, bonus=0, **common)
    bonus = min(GIFT, probe.redeem_cap)
    priced = price_lines(cart, bonus=bonus, **common)
    cash = priced.paid - CARD
    drill = priced.lines[0]
    refund_cash, refund_card = allocate(drill.paid, [cash, CARD])  # payments are cash first, then card
    expected_cash = FLOAT + cash - refund_cash
    return {"subtotal": priced.subtotal, "discount": priced.discount, "bonus": bonus, "paid": priced.paid,
            "accrual": priced.accrual, "cash": cash, "change": TENDERED - cash,
            "refund": drill.paid, "refund_cash": refund_cash, "refund_card": refund_card,
            "bonus_back": drill.bonus, "accrual_back": drill.accrual,
            "expected_cash": expected_cash, "counted": expected_cash - SHORT}


def assert_scan_focused(page) -> None:
    expect(page.locator("#scan-code")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "scan-code"


def scan(page, code: str) -> None:
    """A barcode scanner types the digits into the focused field and presses Enter."""
    field = page.locator("#scan-code")
    field.press_sequentially(code)
    field.press("Enter")


def test_a_sale_with_client_bonus_split_payment_a_return_and_the_z_report(app, live_server, tablet_page):
    page = tablet_page
    ARTIFACTS.mkdir(exist_ok=True)
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop")
        drill = make_product("DRILL", DRILL_PRICE, stock={shop: 10}, warranty_months=24, name="Cordless drill")
        valve = make_product("VALVE", VALVE_PRICE, stock={shop: 10}, discountable=False, name="Ball valve")
        db.session.add_all([Barcode(product_id=drill.id, code=DRILL_CODE),
                            Barcode(product_id=valve.id, code=VALVE_CODE)])
        db.session.commit()
        vera = make_client(name="Vera Buyer", phone="+79161234567", discount_bp=DISCOUNT_BP)
        bonus_service.adjust(make_staff("supervisor"), vera.id, GIFT, "welcome gift", "e2e:till:gift")
        db.session.commit()
        cashier = make_staff("cashier", shop=shop, name="Kate Cashier")
        email = cashier.email
    want = expected_figures()

    # --- open the shift with a float
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/cashier/")
    page.locator("#opening_float").fill(plain(FLOAT))
    page.get_by_role("button", name="Open shift").tap()
    expect(page).to_have_url(live_server + "/cashier/sale")
    assert_scan_focused(page)

    # --- two products by the scanner
    lines = page.locator("[data-testid=cart-line]")
    scan(page, DRILL_CODE)
    expect(lines).to_have_count(1)
    assert_scan_focused(page)
    scan(page, VALVE_CODE)
    expect(lines).to_have_count(2)
    assert_scan_focused(page)
    expect(page.locator("[data-testid=subtotal]")).to_have_text(rub(DRILL_PRICE + VALVE_PRICE))

    # + and − on a line keep the scanner's field focused too
    valve_row = page.locator("[data-testid=cart-line][data-sku=VALVE]")
    valve_row.get_by_role("button", name="One more").tap()
    expect(valve_row.locator("[data-testid=qty]")).to_have_text("2")
    assert_scan_focused(page)
    valve_row.get_by_role("button", name="One less").tap()
    expect(valve_row.locator("[data-testid=qty]")).to_have_text("1")
    assert_scan_focused(page)

    # --- the client by phone, then one tap spends the most bonus allowed
    page.locator("#client-query").fill("8 (916) 123-45-67")
    page.get_by_role("button", name="Attach").tap()
    expect(page.locator("[data-testid=client-name]")).to_contain_text("Vera Buyer")
    assert_scan_focused(page)
    expect(page.locator("[data-testid=discount]")).to_have_text(rub(want["discount"]))
    expect(page.locator("[data-testid=bonus-max]")).to_have_text(rub(want["bonus"]))
    spend = page.locator("[data-testid=apply-bonus]")
    expect(spend).to_have_text(f"Spend {rub(want['bonus'])}")
    spend.tap()
    expect(page.locator("[data-testid=bonus-spent]")).to_have_text(rub(want["bonus"]))
    expect(page.locator("[data-testid=to-pay]")).to_have_text(rub(want["paid"]))
    assert_scan_focused(page)
    page.screenshot(path=str(ARTIFACTS / "till-sale.png"), full_page=True)

    # --- card + cash
    page.locator("#card-amount").fill(plain(CARD))
    page.locator("#cash-tendered").fill(plain(TENDERED))
    page.locator("[data-testid=pay-split]").tap()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/cashier/receipt/\d+$"))
    receipt = page.locator("[data-testid=receipt]")
    expect(receipt).to_contain_text("Kate Cashier")
    expect(receipt).to_contain_text("Arbat shop")
    expect(page.locator("[data-testid=r-discount]")).to_have_text("−" + rub(want["discount"]))
    expect(page.locator("[data-testid=r-bonus]")).to_have_text("−" + rub(want["bonus"]))
    expect(page.locator("[data-testid=r-paid]")).to_have_text(rub(want["paid"]))
    expect(page.locator("[data-testid=r-pay-cash]")).to_have_text(rub(want["cash"]))
    expect(page.locator("[data-testid=r-pay-card]")).to_have_text(rub(CARD))
    expect(page.locator("[data-testid=r-change]")).to_have_text(rub(want["change"]))
    expect(page.locator("[data-testid=r-accrual]")).to_have_text(rub(want["accrual"]))
    expect(receipt).to_contain_text("pending until")
    expect(receipt).to_contain_text("Warranty until")
    number = re.search(r"Sale receipt (S-\d+)", receipt.inner_text()).group(1)
    page.screenshot(path=str(ARTIFACTS / "till-receipt.png"), full_page=True)

    # --- find it in "All sales" and take the drill back
    page.locator(".mainnav").get_by_role("link", name="All sales").tap()
    page.locator("input[name=number]").fill(number)
    page.get_by_role("button", name="Find").tap()
    rows = page.locator("[data-testid=orders] tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=number).tap()
    expect(page.locator("main h1")).to_have_text(f"Order {number}")
    page.get_by_role("link", name="Return goods").tap()
    page.wait_for_load_state()  # htmx (deferred) asks for the preview on a change from then on
    page.get_by_label("Return now: Cordless drill").fill("1")
    page.get_by_label("Return now: Cordless drill").press("Tab")  # the change asks for a preview
    expect(page.locator("[data-testid=refund-total]")).to_have_text(rub(want["refund"]))
    expect(page.locator("[data-testid=refund-cash]")).to_have_text(rub(want["refund_cash"]))
    expect(page.locator("[data-testid=refund-card]")).to_have_text(rub(want["refund_card"]))
    page.locator("[data-testid=confirm-return]").tap()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/cashier/returns/\d+/receipt$"))
    expect(page.locator("[data-testid=return-receipt]")).to_contain_text(f"Return receipt for {number}")
    expect(page.locator("[data-testid=rr-cash]")).to_have_text(rub(want["refund_cash"]))
    expect(page.locator("[data-testid=rr-card]")).to_have_text(rub(want["refund_card"]))
    expect(page.locator("[data-testid=rr-total]")).to_have_text(rub(want["refund"]))
    expect(page.locator("[data-testid=rr-bonus]")).to_have_text(rub(want["bonus_back"]))
    expect(page.locator("[data-testid=rr-accrual]")).to_have_text(rub(want["accrual_back"]))
    page.screenshot(path=str(ARTIFACTS / "till-return-receipt.png"), full_page=True)

    # --- close the shift a little short
    page.locator(".mainnav").get_by_role("link", name="Shift").tap()
    expect(page.locator("main h1")).to_have_text("X report")
    expect(page.locator("[data-testid=expected-cash]")).to_have_text(rub(want["expected_cash"]))
    page.once("dialog", lambda dialog: dialog.accept())  # "Close the shift?"
    page.locator("#counted_cash").fill(plain(want["counted"]))
    page.get_by_role("button", name="Close shift").tap()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/cashier/shifts/\d+$"))
    expect(page.locator("main h1")).to_have_text("Z report")
    expect(page.locator("[data-testid=expected-cash]")).to_have_text(rub(want["expected_cash"]))
    expect(page.locator("[data-testid=counted-cash]")).to_have_text(rub(want["counted"]))
    expect(page.locator("[data-testid=difference]")).to_have_text(f"{rub(-SHORT)} (short)")
    expect(page.locator("[data-testid=net-cash]")).to_have_text(rub(want["cash"] - want["refund_cash"]))
    expect(page.locator("[data-testid=net-card]")).to_have_text(rub(CARD - want["refund_card"]))
