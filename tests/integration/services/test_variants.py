"""Products sold by their variants (sizes, colours: 1C's characteristics), issue 15.

Search finds them by name, SKU, barcode or Артикул and answers with the product once, its variants
under it with their stock; a variant's barcode picks the variant; the till, the sales service (web
shop API) and the manager's draft refuse the product itself and take a variant.

The catalogue (tests/factories.py make_variant_catalogue), stock at the shop:
    БТ-2231  «Женские ботфорты коричневые», пар: 37 ×2, 38 ×3 (barcode 2000000000385), 39 ×0, 40 ×1
    БТ-2231-2 «Женские ботфорты чёрные» (Артикул БТ-2231), пар, ×2
    СВ-300   «Свитер вязаный»: "S, серый" ×5, "M, серый" ×4
"""
from __future__ import annotations

import pytest

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import Channel, Order, Stock
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft
from portal.services.sales import catalog, sales, shifts, till
from portal.services.sales.catalog import ChooseVariant

from ...factories import (
    BOOTS,
    BOOTS_BLACK,
    make_client,
    make_location,
    make_product,
    make_staff,
    make_variant_catalogue,
)

REFUSAL = f"Choose a size or variant of {BOOTS}: it is sold only as one of them."


@pytest.fixture
def shelf(ctx):
    shop = make_location("shop", code="SH1")
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    made = make_variant_catalogue(shop, elsewhere=warehouse)
    make_product("DRILL", 1_000_00, stock={shop: 5})
    cashier = make_staff("cashier", shop=shop)
    shifts.open_shift(cashier, 0)
    return {"shop": shop, "warehouse": warehouse, "cashier": cashier, **made}


def shape(choices) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """(SKU, own stock, [(variant label, stock), ...]) of each choice."""
    return [(c.product.sku, c.stock, [(v.variant, qty) for v, qty in c.variants]) for c in choices]


BOOTS_AT_SHOP = ("БТ-2231", 0, [("37", 2), ("38", 3), ("39", 0), ("40", 1)])
BLACK_AT_SHOP = ("БТ-2231-2", 2, [])
SWEATER_AT_SHOP = ("СВ-300", 0, [("S, серый", 5), ("M, серый", 4)])


def stock_of(product, location) -> int:
    return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == product.id,
                                                             Stock.location_id == location.id))


# --- search ------------------------------------------------------------------------------------

def test_an_article_finds_every_product_sharing_it_with_the_variants_under_their_product(shelf):
    shop = shelf["shop"].id
    assert shape(catalog.find_products("БТ-2231", shop)) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]
    assert shape(catalog.find_products("бт-2231", shop)) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]  # any case
    assert shape(catalog.find_products("2231", shop)) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]  # part of it
    assert shape(catalog.find_products("св-300", shop)) == [SWEATER_AT_SHOP]


def test_a_name_or_a_variants_sku_brings_the_product_once_with_all_its_variants(shelf):
    shop = shelf["shop"].id
    # The name matches the product and its four sizes (their names carry it): one choice.
    assert shape(catalog.find_products("ботфорты", shop)) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]
    assert shape(catalog.find_products("коричневые (38)", shop)) == [BOOTS_AT_SHOP]
    assert shape(catalog.find_products("БТ-2231/40", shop)) == [BOOTS_AT_SHOP]
    assert shape(catalog.find_products("M, серый", shop)) == [SWEATER_AT_SHOP]
    # A variant's barcode typed into the search finds it under its product, too.
    assert shape(catalog.find_products("2000000000385", shop)) == [BOOTS_AT_SHOP]


def test_the_stock_is_the_asked_locations_and_without_a_location_none(shelf):
    at_warehouse = catalog.find_products("коричневые", shelf["warehouse"].id)
    assert shape(at_warehouse) == [("БТ-2231", 0, [("37", 0), ("38", 4), ("39", 0), ("40", 0)])]
    assert at_warehouse[0].units_here == 4 and at_warehouse[0].sold_by_variants
    assert shape(catalog.find_products("коричневые")) == [("БТ-2231", 0, [("37", 0), ("38", 0), ("39", 0), ("40", 0)])]


def test_a_withdrawn_variant_is_not_offered_and_a_product_without_active_variants_is_sold_itself(shelf):
    shelf["sizes"]["39"].active = False
    db.session.commit()
    assert shape(catalog.find_products("коричневые", shelf["shop"].id)) == [
        ("БТ-2231", 0, [("37", 2), ("38", 3), ("40", 1)])]
    for size in shelf["sizes"].values():
        size.active = False
    db.session.commit()
    assert shape(catalog.find_products("коричневые", shelf["shop"].id)) == [("БТ-2231", 0, [])]
    assert catalog.variant_problem(shelf["boots"]) is None


def test_the_till_search_puts_what_the_shop_has_first(shelf):
    found = till.search(shelf["shop"].id, "БТ")
    assert shape(found) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]
    db.session.execute(db.update(Stock).where(Stock.product_id.in_([v.id for v in shelf["sizes"].values()]))
                       .values(quantity=0))
    db.session.commit()
    assert [c.product.sku for c in till.search(shelf["shop"].id, "БТ")] == ["БТ-2231-2", "БТ-2231"]
    assert till.search(shelf["shop"].id, "б") == []  # one letter is too little


def test_a_code_a_barcode_or_sku_picks_one_product_an_article_offers_each_sharing_it(shelf):
    shop = shelf["shop"].id
    assert shape(till.find_by_code(shop, "2000000000385")) == [("БТ-2231/38", 3, [])]  # the variant itself
    assert shape(till.find_by_code(shop, "бт-2231/37")) == [("БТ-2231/37", 2, [])]
    assert shape(till.find_by_code(shop, "БТ-2231-2")) == [BLACK_AT_SHOP]
    assert shape(till.find_by_code(shop, "БТ-2231")) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]
    assert shape(till.find_by_code(shop, "СВ-300")) == [SWEATER_AT_SHOP]
    assert till.find_by_code(shop, "БТ-22") == []  # a code is whole, not a part


# --- the till ----------------------------------------------------------------------------------

def test_scanning_a_variants_barcode_adds_that_variant(shelf):
    cashier = shelf["cashier"]
    assert till.scan(cashier, "2000000000385").id == shelf["sizes"]["38"].id
    assert [(line.product.name, line.qty) for line in till.view(cashier).lines] == [(f"{BOOTS} (38)", 1)]


def test_the_till_refuses_the_product_itself_and_offers_its_sizes(shelf):
    cashier = shelf["cashier"]
    with pytest.raises(ChooseVariant) as refused:
        till.add(cashier, shelf["boots"].id)
    assert str(refused.value.message) == REFUSAL
    assert refused.value.code == "variant_required"
    assert shape(refused.value.choices) == [BOOTS_AT_SHOP]
    with pytest.raises(ChooseVariant):
        till.set_quantity(cashier, shelf["boots"].id, 2)
    with pytest.raises(ChooseVariant) as refused:
        till.scan(cashier, "СВ-300")
    assert shape(refused.value.choices) == [SWEATER_AT_SHOP]
    with pytest.raises(ChooseVariant) as refused:
        till.scan(cashier, "бт-2231")  # two products share the Артикул: choose
    assert str(refused.value.message) == "Several products have the code бт-2231: choose one."
    assert shape(refused.value.choices) == [BOOTS_AT_SHOP, BLACK_AT_SHOP]
    assert till.view(cashier).is_empty
    assert till.scan(cashier, "БТ-2231-2").sku == "БТ-2231-2"  # the black pair is sold as it is


def test_selling_a_size_takes_that_sizes_stock_and_names_it_on_the_order(shelf):
    cashier, size = shelf["cashier"], shelf["sizes"]["38"]
    till.add(cashier, size.id, 2)
    done = till.checkout(cashier, card=11_980_00, cash_tendered=None, version=till.view(cashier).cart.version)
    line = done.order.lines[0]
    assert (line.sku, line.name, line.qty, line.price) == ("БТ-2231/38", f"{BOOTS} (38)", 2, 5_990_00)
    assert stock_of(size, shelf["shop"]) == 1
    assert stock_of(shelf["sizes"]["37"], shelf["shop"]) == 2


def test_a_cart_holding_the_product_itself_is_not_sold(shelf):
    """A cart saved before the import gave the product its sizes still names the product."""
    cashier = shelf["cashier"]
    cart = till.cart_of(cashier)
    cart.lines = [{"product_id": shelf["boots"].id, "qty": 1}]
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        till.checkout(cashier, card=5_990_00, cash_tendered=None, version=till.view(cashier).cart.version)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {"lines[0].sku": REFUSAL}
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    till.set_quantity(cashier, shelf["boots"].id, 0)  # the line can still be taken off
    assert till.view(cashier).is_empty


# --- the web shop's orders (the sales service) -------------------------------------------------

def test_a_paid_order_takes_a_variant_and_refuses_the_product_itself(shelf):
    sale = sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=1, sku="DRILL"), sales.SaleLine(qty=1, sku="БТ-2231")],
                      location_id=shelf["warehouse"].id)
    with pytest.raises(ValidationError) as refused:
        sales.place_paid_order(sale)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {"lines[1].sku": REFUSAL}
    order = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=2, sku="БТ-2231/38")],
                                              location_id=shelf["warehouse"].id))
    assert [(line.sku, line.qty) for line in order.lines] == [("БТ-2231/38", 2)]
    assert stock_of(shelf["sizes"]["38"], shelf["warehouse"]) == 2


# --- the manager's draft -----------------------------------------------------------------------

def test_a_managers_draft_refuses_the_product_itself_and_saves_a_size(shelf):
    manager = make_staff("manager")
    client = make_client(manager, "Ольга Покупатель")

    def draft(*skus):
        return OrderDraft(client_id=client.id, location_id=shelf["shop"].id,
                          lines=[DraftLine(sku, 1) for sku in skus])

    q = orders.quote(manager, draft("БТ-2231", "БТ-2231-2"))
    assert str(q.problems["lines-0-sku"]) == REFUSAL
    assert [line.product.name for line in q.lines] == [BOOTS_BLACK]  # the refused line is left out of the prices
    with pytest.raises(ValidationError) as refused:
        orders.create_draft(manager, draft("БТ-2231"))
    assert {k: str(v) for k, v in refused.value.fields.items()} == {"lines-0-sku": REFUSAL}
    order = orders.create_draft(manager, draft("бт-2231/40"))
    assert [(line.sku, line.name, line.price) for line in order.lines] == [("БТ-2231/40", f"{BOOTS} (40)", 6_490_00)]


# --- the shop's stock overview -----------------------------------------------------------------

def test_the_stock_overview_counts_sizes_not_the_product_sold_by_them(shelf):
    overview = catalog.location_stock_overview(shelf["shop"].id)
    # In stock: sizes 37, 38, 40, the black pair, S and M, the drill. Out: size 39 (not the two
    # products sold by their variants).
    assert (overview["products_in_stock"], overview["out_of_stock"]) == (7, 1)
