"""Products sold by their sizes in the browser (issue 15): at the till, «Ботфорты» found, size 38
tapped, sold, and that size's stock is one less; a size scanned by its barcode and a sweater's
colour picked after typing its Артикул; in the manager's order editor the product is picked, then
its size, and the draft is saved with that size as its line.

Both screens must fit a tablet either way up (768×1024, 1024×768) and a laptop (1366×768) without
scrolling sideways. Screenshots go to tests/e2e/artifacts/variants-*.png.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Order, OrderStatus, Stock

from ..factories import BOOTS, DEFAULT_PASSWORD, make_client, make_location, make_staff, make_variant_catalogue
from .support import MIN_TAP, assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
NBSP = "\u00a0"
LANDSCAPE = {"width": 1024, "height": 768}
LAPTOP = {"width": 1366, "height": 768}


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}{NBSP}₽"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"variants-{name}.png"), full_page=True)


def size_button(label: str, price: int, stock: str):
    """A size's button: its label, price and units, on lines of their own (the unit after a no-break space)."""
    words = r"\s+".join(re.escape(part) for part in [label, rub(price), *stock.split(" ")])
    return re.compile(rf"^\s*{words}\s*$")


def units(app, product_id: int, location_id: int) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == product_id,
                                                                 Stock.location_id == location_id))


@pytest.fixture
def boutique(app):
    """A shop stocked with the variant catalogue (tests/factories.py), a cashier of it."""
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Tverskaya shop")
        made = make_variant_catalogue(shop)
        cashier = make_staff("cashier", shop=shop, name="Kate Cashier")
        return {"shop": shop.id, "cashier": cashier.email, "size38": made["sizes"]["38"].id,
                "size37": made["sizes"]["37"].id, "m_grey": made["colours"]["M, серый"].id}


def open_shift(page, live_server, email: str) -> None:
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/cashier/")
    page.locator("#opening_float").fill("1000")
    page.get_by_role("button", name="Open shift").click()
    expect(page).to_have_url(live_server + "/cashier/sale")


def test_at_the_till_a_size_of_the_boots_is_found_tapped_and_sold(app, live_server, tablet_page, boutique):
    page = tablet_page
    open_shift(page, live_server, boutique["cashier"])
    assert units(app, boutique["size38"], boutique["shop"]) == 3

    page.locator("#search-q").fill("Ботфорты")
    results = page.locator("#search-results")
    pick = results.locator("[data-testid=variant-pick][data-sku='БТ-2231']")
    expect(pick).to_contain_text(BOOTS)
    expect(pick).to_contain_text("Article БТ-2231")
    sizes = pick.get_by_test_id("variant")
    expect(sizes).to_have_count(4)
    expect(sizes).to_have_text([size_button("37", 5_990_00, "in shop: 2 пар"), size_button("38", 5_990_00, "in shop: 3 пар"),
                                size_button("39", 5_990_00, "none in the shop"),
                                size_button("40", 6_490_00, "in shop: 1 пар")])
    expect(pick.locator("[data-sku='БТ-2231/39']")).to_be_disabled()
    expect(results.locator("button.search-hit[data-sku='БТ-2231-2']")).to_contain_text("Женские ботфорты чёрные")
    for size in sizes.all():
        assert size.bounding_box()["height"] >= MIN_TAP
    assert_no_horizontal_overflow(page)
    shot(page, "till-search-portrait")

    pick.locator("[data-sku='БТ-2231/38']").tap()
    line = page.locator("[data-testid=cart-line]")
    expect(line).to_have_count(1)
    expect(line).to_have_attribute("data-sku", "БТ-2231/38")
    expect(line).to_contain_text(f"{BOOTS} (38)")
    expect(line.get_by_test_id("qty")).to_have_text("1")
    expect(line.locator(".qty")).to_contain_text("пар")
    expect(page.locator("#search-results")).to_be_empty()
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(5_990_00))
    assert_no_horizontal_overflow(page)
    assert_cart_fits_its_card(page)
    shot(page, "till-cart-portrait")

    page.get_by_test_id("pay-cash").tap()
    expect(page).to_have_url(re.compile(r"/cashier/receipt/\d+$"))
    expect(page.locator("main")).to_contain_text(f"{BOOTS} (38)")
    assert units(app, boutique["size38"], boutique["shop"]) == 2
    assert units(app, boutique["size37"], boutique["shop"]) == 2


def assert_cart_fits_its_card(page) -> None:
    """The cart's table (long names, units beside the quantities) stays inside its card."""
    table, card = page.evaluate("[document.querySelector('.cart-table').getBoundingClientRect().right,"
                                " document.querySelector('section.cart').getBoundingClientRect().right]")
    assert table <= card, f"the cart's table sticks out of its card by {table - card:.0f}px"


@pytest.mark.parametrize("viewport", [LANDSCAPE, LAPTOP], ids=["tablet-landscape", "laptop"])
def test_at_the_till_a_scanned_size_goes_in_and_an_article_offers_its_colours(app, live_server, open_page, boutique,
                                                                               viewport):
    page = open_page(viewport=viewport, has_touch=viewport["width"] < 1100)
    open_shift(page, live_server, boutique["cashier"])
    scan = page.locator("#scan-code")
    scan.press_sequentially("2000000000385")  # size 38's barcode: no choice to make
    scan.press("Enter")
    expect(page.locator("[data-testid=cart-line][data-sku='БТ-2231/38']")).to_have_count(1)

    scan.press_sequentially("св-300")  # the sweater's Артикул: its colours to choose from
    scan.press("Enter")
    choices = page.get_by_test_id("till-choices")
    expect(choices).to_contain_text("Свитер вязаный")
    expect(page.get_by_test_id("till-message")).to_have_text(
        "Choose a size or variant of Свитер вязаный: it is sold only as one of them.")
    expect(choices.get_by_test_id("variant")).to_have_count(2)
    expect(page.locator("[data-testid=cart-line]")).to_have_count(1)  # nothing added yet
    assert_no_horizontal_overflow(page)
    assert_cart_fits_its_card(page)
    shot(page, f"till-choices-{viewport['width']}")
    choices.locator("[data-sku='СВ-300/M, серый']").click()
    expect(page.get_by_test_id("till-choices")).to_have_count(0)
    expect(page.locator("[data-testid=cart-line]")).to_have_count(2)
    expect(page.locator("[data-testid=cart-line][data-sku='СВ-300/M, серый']")).to_contain_text(
        "Свитер вязаный (M, серый)")
    page.locator("#search-q").fill("ботфорты")
    expect(page.locator("#search-results [data-testid=variant]")).to_have_count(4)
    assert_no_horizontal_overflow(page)
    assert_cart_fits_its_card(page)
    shot(page, f"till-search-{viewport['width']}")


@pytest.fixture
def office(app):
    """Anna, a manager, her client, and the variant catalogue in the main warehouse."""
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        make_variant_catalogue(main)
        anna = make_staff("manager", name="Anna Manager")
        client = make_client(anna, "Ольга Покупатель", phone="+79161234567")
        return {"anna": anna.email, "client": client.id}


@pytest.mark.parametrize("viewport", [LAPTOP, {"width": 768, "height": 1024}], ids=["laptop", "tablet"])
def test_in_the_order_editor_the_product_then_its_size_is_picked_and_saved(app, live_server, open_page, office,
                                                                          viewport):
    page = open_page(viewport=viewport, has_touch=viewport["width"] < 1000)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/new?client={office['client']}")
    page.locator("#product-q").fill("Ботфорты")
    results = page.get_by_test_id("product-results")
    pick = results.locator("[data-testid=variant-pick][data-sku='БТ-2231']")
    expect(pick).to_contain_text("variants: 37 / 38 / 39 / 40")
    sizes = pick.get_by_test_id("variant")
    expect(sizes.first).to_be_hidden()  # the product first
    pick.locator("summary").click()
    expect(sizes).to_have_count(4)
    expect(pick.locator("[data-sku='БТ-2231/38']")).to_have_text(size_button("38", 5_990_00, "3 here пар"))
    assert_no_horizontal_overflow(page)
    shot(page, f"order-sizes-{viewport['width']}")

    pick.locator("[data-sku='БТ-2231/38']").click()
    row = page.locator("tr[data-sku='БТ-2231/38']")
    expect(row).to_contain_text(f"{BOOTS} (38)")
    expect(row).to_contain_text("пар")
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(5_990_00))
    assert_no_horizontal_overflow(page)
    shot(page, f"order-line-{viewport['width']}")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/manager/orders/\d+$"))
    with app.app_context():
        order = db.session.scalars(db.select(Order)).one()
        assert order.status is OrderStatus.DRAFT
        assert [(line.sku, line.name, line.qty, line.price) for line in order.lines] == [
            ("БТ-2231/38", f"{BOOTS} (38)", 1, 5_990_00)]
