"""The till on one screen (issue 16): a 20-line sale rung up with the scanner, the quick keys and the
keypad, parked, a second customer served, the first resumed and paid card + cash — at 768x1024 and
at 1024x768, with the amount due and the pay buttons inside the window at every step and the page
never scrolled (the line saying what awaits the fiscal register included) — and the sale and a later
return registered on the stand-in ATOL register, their receipts showing the fiscal attributes. This
is the issue's "Done when". Then small flows: a spent bonus cancelled, a phone that is a client's already, the
quick keys on the admin's page.

Screenshots of the 20-line cart go to tests/e2e/artifacts/till-<width>x<height>.png (the README's
pictures in docs/ are copies of them).
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Barcode, Location, Order, PaymentMethod, Shift, utcnow
from portal.services.clients import bonus as bonus_service
from portal.services.fiscal import documents as fiscal
from portal.services.messaging import delivery
from portal.services.sales import quick_keys, returns
from portal.services.sales.returns import ReturnRequest

from ..atol_stand_in import FN_NUMBER, AtolStandIn
from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff, make_variants
from .support import MIN_TAP, assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
SCANNED = 15  # lines by the scanner; 5 more by the quick keys (one of them a size)
KEYED = ["TAPE", "GLOVES", "BRUSH", "ROPE"]
CARD = 2_000_00


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


def keypad_text(minor: int) -> str:
    whole, cents = divmod(minor, 100)
    return f"{whole},{cents:02d}"


@pytest.fixture
def counter(app):
    """A shop with 15 barcoded products, 4 quick keys and boots sold by sizes; two cashiers; an
    admin; a client, Vera Buyer (+79161234567), with 500.00 of bonus."""
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop")
        prices = {}
        for n in range(SCANNED):
            product = make_product(f"P{n:02d}", (n + 1) * 10_00 + 50, stock={shop: 50},
                                   name=f"Screwdriver set number {n} with a long name", returnable=n != 3)
            db.session.add(Barcode(product_id=product.id, code=f"46000000{n:05d}"))
            prices[product.sku] = product.price
        for n, sku in enumerate(KEYED):
            product = make_product(sku, 99_00 + n * 100, stock={shop: 20}, name=f"Loose {sku.lower()}")
            prices[sku] = product.price
        boots = make_product("BOOT", 2_500_00, name="Work boots")
        sizes = make_variants(boots, {"42": {shop: 3}, "43": {shop: 0}})
        prices["BOOT/42"] = sizes["42"].price
        db.session.commit()
        admin = make_staff("admin", name="Ada Admin")
        for code in [*KEYED, "BOOT"]:
            quick_keys.add_key(admin, shop.id, code)
        vera = make_client(name="Vera Buyer", phone="+79161234567")
        bonus_service.adjust(make_staff("supervisor"), vera.id, 500_00, "gift", "e2e:screen:gift")
        db.session.commit()
        cashier = make_staff("cashier", shop=shop, name="Kate Cashier")
        second = make_staff("cashier", shop=shop, name="Olga Cashier")
        return {"shop": shop.id, "prices": prices, "cashier": cashier.email, "second": second.email,
                "admin": admin.email}


def open_shift(page, live_server, email: str) -> None:
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/cashier/")
    page.locator("#opening_float").fill("1000")
    page.get_by_role("button", name="Open shift").tap()
    expect(page).to_have_url(live_server + "/cashier/sale")


def assert_one_screen(page) -> None:
    """The page is not scrolled either way, the amount due and the pay buttons (when there is
    something to pay) lie inside the window, and the scan field has the focus."""
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), "the page scrolls"
    assert_no_horizontal_overflow(page)
    outside = page.evaluate("""() => {
        const wanted = ['to-pay', 'pay-cash', 'pay-card', 'pay-split', 'bonus-max', 'apply-bonus', 'cancel-bonus'];
        const out = [];
        for (const id of wanted) {
            const el = document.querySelector(`[data-testid="${id}"]`);
            if (!el) continue;
            const r = el.getBoundingClientRect();
            if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth || r.height === 0)
                out.push(`${id}: ${Math.round(r.top)}..${Math.round(r.bottom)} of ${innerHeight}`);
        }
        return out;
    }""")
    assert not outside, f"outside the window: {outside}"
    cart = page.evaluate("(() => { const c = document.querySelector('.cart-scroll'); return [c.scrollWidth, c.clientWidth]; })()")
    assert cart[0] <= cart[1], f"the cart scrolls sideways in its cell: (scrollWidth, clientWidth) = {cart}"
    expect(page.locator("#scan-code")).to_be_focused()


def assert_touch_targets(page) -> None:
    small = page.evaluate(f"""() => [...document.querySelectorAll('main button, main input:not([type=hidden]), main summary')]
        .filter(el => el.offsetParent !== null && !el.closest('dialog:not([open])'))
        .map(el => [el.getAttribute('aria-label') || el.textContent.trim() || el.id, el.getBoundingClientRect().height])
        .filter(([, h]) => h < {MIN_TAP})""")
    assert not small, f"touch targets under {MIN_TAP}px: {small}"


def scan(page, code: str) -> None:
    field = page.locator("#scan-code")
    field.press_sequentially(code)
    field.press("Enter")


def keypad(page, opener, digits: str) -> None:
    opener.tap()
    pad = page.get_by_test_id("keypad")
    expect(pad).to_be_visible()
    for key in digits:
        pad.locator(f"[data-key='{key}']").tap()
    expect(pad.get_by_test_id("keypad-display")).to_have_text(digits)
    pad.get_by_test_id("keypad-ok").tap()
    expect(pad).to_be_hidden()


def drain_fiscal(app) -> int:
    """What the outbox worker does: register every fiscal document that is due."""
    with app.app_context():
        at = utcnow() + timedelta(seconds=1)
        return delivery.deliver_due(topics=[fiscal.TOPIC], now=lambda: at).delivered


def assert_registered(page, task) -> None:
    """The receipt on the page shows the register's attributes of `task` and its QR code."""
    params = task.result["result"]["fiscalParams"]
    expect(page.locator("[data-testid=fiscal-pending]")).to_have_count(0)
    expect(page.locator("[data-testid=fiscal-fn]")).to_have_text(FN_NUMBER)
    expect(page.locator("[data-testid=fiscal-fd]")).to_have_text(str(params["fiscalDocumentNumber"]))
    expect(page.locator("[data-testid=fiscal-fp]")).to_have_text(params["fiscalDocumentSign"])
    expect(page.locator("[data-testid=fiscal-qr] svg")).to_be_visible()


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["768x1024", "1024x768"])
def test_a_20_line_sale_parked_a_second_customer_then_resumed_and_paid_split_on_one_screen(
        app, live_server, open_page, counter, viewport):
    register = AtolStandIn().__enter__()
    app.config.update(FISCAL_BACKEND="atol", FISCAL_WAIT_SECONDS=0.3, OUTBOX_BACKOFF_JITTER=0)
    with app.app_context():
        db.session.get(Location, counter["shop"]).fiscal_register_url = register.url
        db.session.commit()
    try:
        ring_up_park_resume_and_pay(app, live_server, open_page, counter, viewport, register)
    finally:
        register.__exit__(None, None, None)


def ring_up_park_resume_and_pay(app, live_server, open_page, counter, viewport, register):
    page = open_page(viewport=viewport, has_touch=True)
    prices = counter["prices"]
    open_shift(page, live_server, counter["cashier"])
    assert_one_screen(page)
    lines = page.locator("[data-testid=cart-line]")

    # --- 15 lines by the scanner, 5 by the quick keys (the boots' tile offers its sizes)
    for n in range(SCANNED):
        scan(page, f"46000000{n:05d}")
        expect(lines).to_have_count(n + 1)
        assert_one_screen(page)
    keys = page.get_by_test_id("quick-key")
    expect(keys).to_have_count(5)
    for n, sku in enumerate(KEYED):
        page.locator(f"[data-testid=quick-key][data-sku='{sku}']").tap()
        expect(lines).to_have_count(SCANNED + n + 1)
        assert_one_screen(page)
    page.locator("[data-testid=quick-key][data-sku='BOOT']").tap()
    choices = page.get_by_test_id("till-choices")
    expect(choices.locator("[data-sku='BOOT/43']")).to_be_disabled()  # none of size 43 in the shop
    assert_one_screen(page)
    choices.locator("[data-sku='BOOT/42']").tap()
    expect(lines).to_have_count(20)
    assert_one_screen(page)

    # --- the keypad sets a line's quantity
    rope = page.locator("[data-testid=cart-line][data-sku=ROPE]")
    keypad(page, rope.get_by_test_id("qty"), "3")
    expect(rope.get_by_test_id("qty")).to_have_text("3")
    assert_one_screen(page)
    total = sum(prices.values()) + 2 * prices["ROPE"]
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(total))
    # price, discount and sum of a line are all shown at this width
    row = page.locator("[data-testid=cart-line][data-sku=P04]")
    for cell in ("line-price", "line-discount", "line-sum"):
        expect(row.get_by_test_id(cell)).to_be_visible()
    expect(row.get_by_test_id("line-price")).to_have_text(rub(prices["P04"]))
    expect(page.locator("[data-testid=cart-line][data-sku=P03]").get_by_test_id("non-returnable")).to_be_visible()

    # --- the client, with the bonus available and the most this cart may take, stays in view too
    page.locator("#client-query").fill("8 916 123 45 67")
    page.get_by_role("button", name="Attach").tap()
    expect(page.get_by_test_id("client-name")).to_contain_text("Vera Buyer")
    expect(page.get_by_test_id("bonus-available")).to_have_text(rub(500_00))
    expect(page.get_by_test_id("bonus-max")).to_have_text(rub(500_00))
    assert_one_screen(page)
    assert_touch_targets(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"till-{viewport['width']}x{viewport['height']}.png"))

    # --- park it for Anna; the till is empty for the next customer
    page.locator("#park-label").fill("Anna")
    page.get_by_test_id("park").tap()
    expect(page.get_by_test_id("till-message")).to_contain_text("parked as Anna")
    expect(lines).to_have_count(0)
    expect(page.get_by_test_id("parked-count")).to_have_text("1")
    assert_one_screen(page)

    # --- a second customer pays by card
    scan(page, "4600000000009")
    expect(lines).to_have_count(1)
    assert_one_screen(page)
    page.get_by_test_id("pay-card").tap()
    expect(page).to_have_url(re.compile(r"/cashier/receipt/\d+$"))
    expect(page.locator("[data-testid=r-pay-card]")).to_have_text(rub(prices["P09"]))
    page.get_by_role("link", name="Next sale").tap()
    expect(page).to_have_url(live_server + "/cashier/sale")

    # --- Anna's cart is still parked after the page was left: resume it
    expect(page.get_by_test_id("parked-count")).to_have_text("1")
    page.get_by_test_id("parked-carts").locator("summary").tap()
    anna = page.locator("[data-testid=parked-cart][data-label=Anna]")
    expect(anna).to_contain_text("22 units")
    expect(anna).to_contain_text("Vera Buyer")
    expect(anna.get_by_test_id("parked-age")).to_have_text("just now")
    anna.get_by_test_id("resume").tap()
    expect(lines).to_have_count(20)
    expect(page.get_by_test_id("parked-count")).to_have_text("0")
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(total))
    expect(page.get_by_test_id("client-name")).to_contain_text("Vera Buyer")
    assert_one_screen(page)

    # --- card + cash, both typed on the keypad
    cash_due = total - CARD
    tendered = (cash_due // 100_00 + 1) * 100_00
    keypad(page, page.get_by_test_id("keypad-card"), keypad_text(CARD))
    expect(page.locator("#card-amount")).to_have_value(keypad_text(CARD))
    keypad(page, page.get_by_test_id("keypad-cash"), str(tendered // 100))
    expect(page.locator("#cash-tendered")).to_have_value(str(tendered // 100))
    assert_one_screen(page)
    page.get_by_test_id("pay-split").tap()
    expect(page).to_have_url(re.compile(r"/cashier/receipt/\d+$"))
    expect(page.locator("[data-testid=r-paid]")).to_have_text(rub(total))
    expect(page.locator("[data-testid=r-pay-card]")).to_have_text(rub(CARD))
    expect(page.locator("[data-testid=r-pay-cash]")).to_have_text(rub(cash_due))
    expect(page.locator("[data-testid=r-change]")).to_have_text(rub(tendered - cash_due))
    with app.app_context():
        paid = db.session.scalar(db.select(Order).order_by(Order.id.desc()))
        assert (len(paid.lines), paid.paid) == (20, total)
        assert {p.method: p.amount for p in paid.payments} == {PaymentMethod.CARD: CARD,
                                                             PaymentMethod.CASH: cash_due}
        paid_id, first_line, shift_id = paid.id, paid.lines[0].id, paid.shift_id

    # --- the register: the receipt waits for it, then shows what it gave (the worker's drain here)
    expect(page.locator("[data-testid=fiscal-pending]")).to_be_visible()
    assert drain_fiscal(app) == 3  # the register's shift, the second customer's sale, Anna's
    page.reload()
    sold = register.registered("sell")
    assert len(sold) == 2 and len(sold[1].task["items"]) == 20
    assert {p["type"]: p["sum"] for p in sold[1].task["payments"]} == {
        "electronically": Decimal(CARD) / 100, "cash": Decimal(cash_due) / 100}
    assert_registered(page, sold[1])

    # --- a later return of one line, registered likewise, its receipt with the attributes
    with app.app_context():
        assert db.session.get(Shift, shift_id).closed_at is None
        ret = returns.return_goods(paid_id, [ReturnRequest(qty=1, order_line_id=first_line)], key=f"e2e-screen-r-{viewport['width']}",
                                   actor_id=db.session.get(Shift, shift_id).cashier_id,
                                   location_id=counter["shop"], shift_id=shift_id)
        return_id = ret.id
    page.goto(f"{live_server}/cashier/returns/{return_id}/receipt")
    expect(page.locator("[data-testid=fiscal-pending]")).to_be_visible()
    assert drain_fiscal(app) == 1
    page.reload()
    [back] = register.registered("sellReturn")
    assert_registered(page, back)


def test_another_cashier_of_the_shop_resumes_a_parked_cart(app, live_server, open_page, counter):
    kate, olga = open_page("tablet"), open_page("tablet")
    open_shift(kate, live_server, counter["cashier"])
    scan(kate, "4600000000001")
    expect(kate.locator("[data-testid=cart-line]")).to_have_count(1)
    kate.get_by_test_id("park").tap()  # no label: the next number
    expect(kate.get_by_test_id("till-message")).to_contain_text("parked as #1")

    open_shift(olga, live_server, counter["second"])
    scan(olga, "4600000000002")  # Olga's own customer is on her till
    expect(olga.locator("[data-testid=cart-line]")).to_have_count(1)
    olga.get_by_test_id("parked-carts").locator("summary").tap()
    olga.locator("[data-testid=parked-cart][data-label='#1']").get_by_test_id("resume").tap()
    expect(olga.get_by_test_id("till-message")).to_contain_text("#1 is back on the till; the cart you had is parked as #2")
    expect(olga.locator("[data-testid=cart-line]")).to_have_count(1)
    expect(olga.locator("[data-testid=cart-line][data-sku=P01]")).to_have_count(1)
    expect(olga.get_by_test_id("parked-count")).to_have_text("1")
    kate.reload()  # Kate sees Olga's cart parked (the shop's list), not her own any more
    kate.get_by_test_id("parked-carts").locator("summary").tap()
    expect(kate.get_by_test_id("parked-cart")).to_have_count(1)
    expect(kate.get_by_test_id("parked-cart")).to_contain_text("Olga Cashier")


def test_a_spent_bonus_is_cancelled_before_paying(app, live_server, open_page, counter):
    page = open_page("tablet")  # Vera Buyer has 500.00 of bonus
    open_shift(page, live_server, counter["cashier"])
    scan(page, "4600000000014")
    expect(page.locator("[data-testid=cart-line]")).to_have_count(1)
    page.locator("#client-query").fill("+7 916 123-45-67")
    page.get_by_role("button", name="Attach").tap()
    page.get_by_test_id("apply-bonus").tap()
    spent = counter["prices"]["P14"] * 30 // 100
    expect(page.get_by_test_id("bonus-spent")).to_have_text(rub(spent))
    page.get_by_test_id("cancel-bonus").tap()
    expect(page.get_by_test_id("bonus-spent")).to_have_text(rub(0))
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(counter["prices"]["P14"]))
    expect(page.get_by_test_id("apply-bonus")).to_be_visible()  # it can be spent again
    assert_one_screen(page)


def test_registering_a_phone_that_is_a_clients_offers_to_attach_that_client(app, live_server, open_page, counter):
    page = open_page("tablet")  # +79161234567 is Vera Buyer's
    open_shift(page, live_server, counter["cashier"])
    scan(page, "4600000000000")
    expect(page.locator("[data-testid=cart-line]")).to_have_count(1)
    page.locator(".new-client summary").tap()
    page.locator("#new-name").fill("Vera B.")
    page.locator("#new-phone").fill("8 916 123 45 67")
    page.get_by_role("button", name="Register and send the link by SMS").tap()
    expect(page.get_by_test_id("till-message")).to_contain_text("Vera Buyer already has this phone")
    page.get_by_test_id("attach-existing").tap()
    expect(page.get_by_test_id("client-name")).to_contain_text("Vera Buyer")
    assert_one_screen(page)


def test_the_admin_sets_a_shops_quick_keys(app, live_server, open_page, counter):
    page = open_page("desktop")
    sign_in(page, live_server, counter["admin"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/admin/locations/{counter['shop']}")
    page.get_by_test_id("quick-keys-link").click()
    rows = page.get_by_test_id("quick-key-row")
    expect(rows).to_have_count(5)
    page.locator("#key-code").fill("NO-SUCH")
    page.get_by_role("button", name="Add a key").click()
    expect(page.locator(".errors")).to_have_text("No product with the barcode or SKU NO-SUCH.")
    expect(page.locator("#key-code")).to_have_value("NO-SUCH")  # what was typed stays
    page.locator("#key-code").fill("4600000000007")  # a barcode
    page.get_by_role("button", name="Add a key").click()
    expect(rows).to_have_count(6)
    page.get_by_role("button", name="Earlier: Screwdriver set number 7 with a long name").click()
    expect(rows.nth(4)).to_have_attribute("data-sku", "P07")
    page.get_by_role("button", name="Remove: Loose tape").click()
    expect(rows).to_have_count(5)
    assert [rows.nth(i).get_attribute("data-sku") for i in range(5)] == ["GLOVES", "BRUSH", "ROPE", "P07", "BOOT"]
    assert_no_horizontal_overflow(page)
