"""The phoned-in order (issue 17, "Done when"): a 5-line order for a legal entity taken at 1366×768
with 700 ms of network delay on every request, keyboard first, without scrolling and without
clicking back into a field; every choice made is in the saved order.

What counts as one interaction (`Counter`): typing a text into a field, one key Enter, one click
(or tap), one choice in a select. Waiting for the screen is not one. After every interaction the
page must not have scrolled (`window.scrollY == 0`), and no click may go to a text field (the
focus is where the manager needs it).

The delay is the server's: every request the live server answers waits 700 ms first (a WSGI hook
on the test app), so requests overlap as they would on a slow line.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from portal.extensions import db
from portal.models import AddressKind, ClientAddress, ClientKind, DeliveryMethod, Order, OrderStatus, PaymentTerms
from portal.services.orders import delivery

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff, make_variant_catalogue
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
LAPTOP = {"width": 1366, "height": 768}
DELAY_S = 0.7
TEXT_FIELDS = "input:not([type]), input[type=text], input[type=search], input[type=date], input[type=number], textarea"


class Counter:
    """Counts the manager's interactions and checks after each that the page has not scrolled."""

    def __init__(self, page):
        self.page, self.count, self.log = page, 0, []

    def _after(self, what: str) -> None:
        self.count += 1
        self.log.append(what)
        assert self.scroll_y() == 0, f"scrolled after {what}"

    def scroll_y(self) -> int:
        for _ in range(20):  # an Enter or a click may be leaving the page
            try:
                self.page.wait_for_load_state("load")
                return self.page.evaluate("window.scrollY")
            except PlaywrightError:
                time.sleep(0.1)
        raise AssertionError("the page never settled")

    def type(self, text: str) -> None:
        """Typing into the focused field: one interaction."""
        self.page.keyboard.type(text)
        self._after(f"type {text!r}")

    def enter(self) -> None:
        self.page.keyboard.press("Enter")
        self._after("Enter")

    def click(self, locator) -> None:
        assert not locator.evaluate(f"e => e.matches({TEXT_FIELDS!r})"), "a click back into a text field"
        locator.click()
        self._after(f"click {locator}")

    def select(self, locator, value: str) -> None:
        locator.select_option(value)
        self._after(f"select {value}")


def slow_network(app) -> None:
    """Every request waits DELAY_S before the app answers it (the live server is threaded)."""
    inner = app.wsgi_app

    def delayed(environ, start_response):
        time.sleep(DELAY_S)
        return inner(environ, start_response)

    app.wsgi_app = delayed


@pytest.fixture
def office(app, tmp_path):
    app.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        boss = make_staff("supervisor", name="Sonia Boss")
        anna = make_staff("manager", name="Anna Manager", supervisor=boss)
        for sku, price, name in (("VT-215", 455_00, "Ball valve Valtec 1/2"), ("CU-15", 320_00, "Copper pipe 15 mm"),
                                 ("PF-16", 96_50, "Press fitting 16"), ("RR-500", 7_850_00, "Radiator Royal 500"),
                                 ("TH-01", 1_240_00, "Thermostatic head"), ("SL-10", 54_00, "Sealing tape 10 m"),
                                 ("MV-20", 980_00, "Mixing valve 20"), ("FL-50", 1_150_00, "Filter 50 mesh")):
            make_product(sku, price, stock={main: 50}, name=name)
        vega = make_client(anna, "Vega Engineering", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=500_000_00, deferral_days=14)
        vega.addresses.extend([ClientAddress(kind=AddressKind.LEGAL, text="Moscow, Tverskaya 1"),
                               ClientAddress(kind=AddressKind.DELIVERY, text="Moscow, Lenina 5, gate 2"),
                               ClientAddress(kind=AddressKind.DELIVERY, text="Khimki, Zavodskaya 3")])
        db.session.commit()
        return {"app": app, "anna": anna.email, "vega": vega.id, "main": main.id,
                "next_day": delivery.next_working_day()}


def test_the_phoned_in_order_takes_16_interactions_without_scrolling_on_a_slow_line(app, live_server, open_page, office):
    page = open_page(viewport=LAPTOP)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    slow_network(app)
    page.goto(f"{live_server}/manager/orders/new")
    act = Counter(page)

    # the client: the search has the focus; Enter finds, Enter takes the first hit
    expect(page.get_by_placeholder("Name, tax ID or phone")).to_be_focused()
    act.type("vega")
    act.enter()
    expect(page.get_by_test_id("client-choices").get_by_role("link", name="Choose").first).to_be_focused()
    act.enter()
    search = page.locator("#product-q")
    expect(search).to_be_focused()

    # five products: by SKU, by name words in any order, one with "3*" for three units
    rows = page.locator("[data-testid=order-lines] tbody tr")
    for n, text in enumerate(("VT-215", "pipe copper", "3*PF-16", "royal radiator", "TH-01"), start=1):
        act.type(text)
        act.enter()  # typed before the hits arrive: taken when they do
        expect(rows).to_have_count(n)
        expect(search).to_be_focused()
        expect(search).to_have_value("")
    expect(page.locator("tr[data-sku='PF-16'] input.qty-field")).to_have_value("3")

    # courier: the client's delivery address is filled at once; deferred payment; then send
    act.select(page.locator("#delivery_method"), "courier")
    expect(page.locator("#delivery_address")).to_have_value("Moscow, Lenina 5, gate 2")
    act.click(page.get_by_label("Deferred, 14 days"))
    act.click(page.get_by_role("button", name="Send for confirmation"))

    expect(page).to_have_url(f"{live_server}/manager/orders/1", timeout=15_000)
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting confirmation")
    expect(page.get_by_label("Code the client reads out")).to_be_focused()
    assert act.scroll_y() == 0
    assert act.count <= 16, act.log

    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert [(line.sku, line.qty) for line in order.lines] == [
            ("VT-215", 1), ("CU-15", 1), ("PF-16", 3), ("RR-500", 1), ("TH-01", 1)]
        assert order.status is OrderStatus.AWAITING_CONFIRMATION
        assert order.delivery_method is DeliveryMethod.COURIER
        assert order.delivery_address == "Moscow, Lenina 5, gate 2"
        assert order.delivery_date == office["next_day"]
        assert order.payment_terms is PaymentTerms.DEFERRED
        assert order.location_id == office["main"]


def test_choices_made_while_a_re_price_is_on_its_way_stick(app, live_server, open_page, office):
    page = open_page(viewport=LAPTOP)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/new?client={office['vega']}")
    search = page.locator("#product-q")
    for text in ("VT-215", "CU-15"):
        search.fill(text)
        search.press("Enter")
        expect(search).to_have_value("")
    expect(page.locator("[data-testid=order-lines] tbody tr")).to_have_count(2)
    slow_network(app)

    # a quantity change sets a re-price on its way; meanwhile courier, another address, a comment
    qty = page.locator("tr[data-sku='CU-15'] input.qty-field")
    qty.fill("4")
    with page.expect_response(lambda r: r.request.method == "POST") as first:
        qty.press("Tab")
        page.locator("#delivery_method").select_option("carrier")  # a second re-price, queued
        page.get_by_role("button", name="Khimki, Zavodskaya 3").click()
        page.locator("#delivery_date").fill("2031-03-14")
        page.locator("#comment").fill("Call before")
        page.get_by_label("Deferred, 14 days").check()
    assert first.value.ok
    # the answers come back: prices follow, every choice stays
    expect(page.get_by_test_id("to-pay")).to_have_text("1,648.25\u00a0₽")  # (455 + 4 × 320) × 0.95
    page.wait_for_load_state("networkidle")
    expect(page.locator("#delivery_method")).to_have_value("carrier")
    expect(page.locator("#delivery_address")).to_have_value("Khimki, Zavodskaya 3")
    expect(page.locator("#delivery_date")).to_have_value("2031-03-14")
    expect(page.locator("#comment")).to_have_value("Call before")
    expect(page.get_by_label("Deferred, 14 days")).to_be_checked()
    expect(qty).to_have_value("4")

    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{live_server}/manager/orders/1", timeout=15_000)
    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert [(line.sku, line.qty) for line in order.lines] == [("VT-215", 1), ("CU-15", 4)]
        assert (order.delivery_method, order.delivery_address, order.delivery_date.isoformat(), order.comment,
                order.payment_terms) == (DeliveryMethod.CARRIER, "Khimki, Zavodskaya 3", "2031-03-14",
                                         "Call before", PaymentTerms.DEFERRED)


def test_a_quantity_typed_while_a_line_is_being_added_is_kept(app, live_server, open_page, office):
    """Adding a line redraws the lines table; a quantity typed in another line meanwhile is put back
    into the new table and re-priced, not reset to the value the add request carried."""
    page = open_page(viewport=LAPTOP)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/new?client={office['vega']}")
    search = page.locator("#product-q")
    search.fill("VT-215")
    search.press("Enter")
    expect(page.locator("[data-testid=order-lines] tbody tr")).to_have_count(1)
    slow_network(app)
    search.fill("CU-15")
    expect(page.locator("#product-results")).to_contain_text("CU-15", timeout=10_000)  # the hits came
    search.press("Enter")  # the add goes out, slowly
    qty = page.locator("tr[data-sku='VT-215'] input.qty-field")
    qty.fill("6")  # typed while the add is on its way
    expect(page.locator("[data-testid=order-lines] tbody tr")).to_have_count(2, timeout=10_000)
    page.wait_for_load_state("networkidle")
    expect(qty).to_have_value("6")
    expect(page.get_by_test_id("to-pay")).to_have_text("2,897.50\u00a0₽")  # (6 × 455 + 320) × 0.95
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{live_server}/manager/orders/1", timeout=15_000)
    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert [(line.sku, line.qty) for line in order.lines] == [("VT-215", 6), ("CU-15", 1)]


EIGHT = ("VT-215", "CU-15", "PF-16", "RR-500", "TH-01", "SL-10", "MV-20", "FL-50")


@pytest.mark.parametrize("bonus", [0, 700_00], ids=["no-bonus", "with-bonus"])
def test_an_eight_line_order_fits_the_laptop_screen_and_the_tablet_without_sideways_scrolling(
        app, live_server, open_page, office, bonus):
    with app.app_context():
        from portal.models import User
        from portal.services.clients import bonus as bonus_service
        from portal.services.orders import orders
        from portal.services.orders.orders import DraftLine, OrderDraft
        anna = db.session.scalar(db.select(User).where(User.email == office["anna"]))
        if bonus:  # the bonus note under "Bonus to spend" takes a line more
            from ..factories import make_staff
            bonus_service.adjust(make_staff("supervisor"), office["vega"], bonus, "gift", "e2e:editor:gift")
            db.session.commit()
        draft_id = orders.create_draft(anna, OrderDraft(
            client_id=office["vega"], location_id=office["main"], lines=[DraftLine(sku, 2) for sku in EIGHT],
            payment_terms=PaymentTerms.DEFERRED, delivery_method=DeliveryMethod.COURIER,
            delivery_address="Moscow, Lenina 5, gate 2", delivery_date=office["next_day"])).id
    page = open_page(viewport=LAPTOP)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/{draft_id}/edit")
    expect(page.locator("[data-testid=order-lines] tbody tr")).to_have_count(8)
    expect(page.get_by_test_id("address-picks")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"order-editor-1366x768-{'bonus' if bonus else 'none'}.png"))
    # lines, client terms, delivery, payment, totals and the send button: all on the screen
    assert page.evaluate("document.scrollingElement.scrollHeight") <= LAPTOP["height"]
    assert_no_horizontal_overflow(page)
    send = page.get_by_role("button", name="Send for confirmation").bounding_box()
    assert send["y"] + send["height"] <= LAPTOP["height"]

    tablet = open_page("tablet")
    sign_in(tablet, live_server, office["anna"], DEFAULT_PASSWORD)
    tablet.goto(f"{live_server}/manager/orders/{draft_id}/edit")
    expect(tablet.locator("[data-testid=order-lines] tbody tr")).to_have_count(8)
    tablet.screenshot(path=str(ARTIFACTS / f"order-editor-tablet-{'bonus' if bonus else 'none'}.png"), full_page=True)
    assert_no_horizontal_overflow(tablet)


def test_the_keyboard_picks_hits_with_arrows_sets_quantities_and_opens_sizes(app, live_server, open_page, office):
    with app.app_context():
        from portal.models import Location
        make_variant_catalogue(db.session.get(Location, office["main"]))
    page = open_page(viewport=LAPTOP)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/new?client={office['vega']}")
    search = page.locator("#product-q")
    expect(search).to_be_focused()
    rows = page.locator("[data-testid=order-lines] tbody tr")

    # two hits: the first is highlighted, the arrow moves to the second, Enter takes it
    page.keyboard.type("valve")
    hits = page.locator("#product-results .product-results > li")
    expect(hits).to_have_count(2)
    expect(hits.nth(0)).to_have_class(re.compile(r"\bis-active\b"))
    page.keyboard.press("ArrowDown")
    expect(hits.nth(1)).to_have_class(re.compile(r"\bis-active\b"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "order-editor-search.png"))
    second = hits.nth(1).locator("button[data-add]").get_attribute("value")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(page.locator(f"tr[data-sku='{second}']")).to_have_count(1)
    expect(search).to_be_focused()

    # "*3" Enter right after: the line just added takes three
    page.keyboard.type("*3")
    page.keyboard.press("Enter")
    expect(page.locator(f"tr[data-sku='{second}'] input.qty-field")).to_have_value("3")
    # a bare number right after adding is a quantity too
    page.keyboard.type("CU-15")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("tr[data-sku='CU-15'] input.qty-field")).to_have_value("2")
    expect(page.locator(f"tr[data-sku='{second}'] input.qty-field")).to_have_value("3")

    # a product sold by sizes opens its sizes; arrows move between them, Enter adds one
    page.keyboard.type("коричневые ботфорты")
    page.keyboard.press("Enter")
    first_size = page.locator("[data-testid=variant][data-sku='БТ-2231/37']")
    expect(first_size).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid=variant][data-sku='БТ-2231/38']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("tr[data-sku='БТ-2231/38']")).to_have_count(1)
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    assert page.evaluate("window.scrollY") == 0
