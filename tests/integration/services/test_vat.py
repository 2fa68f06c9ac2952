"""VAT on every sale and return (SPEC §10): the rate of each line and the VAT it includes, stored with the
line; returns take back exactly the VAT of what comes back. Exact amounts."""
from __future__ import annotations

import pytest
from flask import current_app

from portal import create_app
from portal.extensions import db
from portal.models import Channel
from portal.services.clients import bonus as bonus_service
from portal.services.sales import returns, sales, vat
from portal.services.sales.returns import ReturnRequest
from portal.services.sales.sales import Sale, SaleLine

from ...conftest import TEST_CONFIG
from ...factories import make_client, make_location, make_product, make_staff
from .test_manager_orders import new_order, office  # noqa: F401  (the office fixture)


@pytest.fixture
def vat_shop(ctx):
    ctx.config["PORTAL_VAT_RATE"] = "20"  # the company's rate; create_app has checked it
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    products = {
        "DRILL": make_product("DRILL", 333_33, stock={warehouse: 100}),              # the company's 20 %
        "BOOK": make_product("BOOK", 110_00, stock={warehouse: 100}),                # 10 %
        "EXPORT": make_product("EXPORT", 50_00, stock={warehouse: 100}),             # 0 %
        "SERVICE": make_product("SERVICE", 99_99, stock={warehouse: 100}, discountable=False),  # no VAT
    }
    for sku, rate in (("BOOK", "10"), ("EXPORT", "0"), ("SERVICE", "none")):
        products[sku].vat_rate = rate
    db.session.commit()
    client = make_client(name="Buyer", phone="+79161112233", discount_bp=500)
    return {"warehouse": warehouse, "client": client, "products": products}


def sell(shop, lines, bonus=0):
    return sales.place_paid_order(Sale(
        channel=Channel.WEB, lines=[SaleLine(qty=q, sku=s) for s, q in lines], location_id=shop["warehouse"].id,
        client_id=shop["client"].id, bonus_to_redeem=bonus))


def test_each_line_keeps_its_rate_and_the_vat_its_money_after_discounts_includes(vat_shop):
    order = sell(vat_shop, [("DRILL", 3), ("BOOK", 2), ("EXPORT", 1), ("SERVICE", 1)])
    by_sku = {line.sku: line for line in order.lines}
    # DRILL: 999.99 − 5 % (50.00) = 949.99 at 20 %: 158.331… → 158.33
    assert (by_sku["DRILL"].vat_rate, by_sku["DRILL"].discount, by_sku["DRILL"].vat) == ("20", 50_00, 158_33)
    # BOOK: 220.00 − 11.00 = 209.00 at 10 %: 19.0000 → 19.00
    assert (by_sku["BOOK"].vat_rate, by_sku["BOOK"].vat) == ("10", 19_00)
    assert (by_sku["EXPORT"].vat_rate, by_sku["EXPORT"].vat) == ("0", 0)
    assert (by_sku["SERVICE"].vat_rate, by_sku["SERVICE"].vat) == ("none", 0)
    assert vat.by_rate(order.lines) == {"20": 158_33, "10": 19_00, "0": 0, "none": 0}


def test_bonus_spent_is_a_payment_and_does_not_lower_the_vat(vat_shop):
    bonus_service.adjust(make_staff("supervisor"), vat_shop["client"].id, 100_00, "gift", "test:vat:gift")
    with_bonus = sell(vat_shop, [("DRILL", 3)], bonus=100_00)
    without = sell(vat_shop, [("DRILL", 3)])
    assert with_bonus.lines[0].bonus == 100_00 and with_bonus.lines[0].paid == 849_99
    assert with_bonus.lines[0].vat == without.lines[0].vat == 158_33


def test_any_partial_returns_of_every_unit_give_back_the_sales_vat_to_the_kopeck(vat_shop):
    order = sell(vat_shop, [("DRILL", 3), ("BOOK", 2)])
    drill, book = order.lines
    steps = []
    for n, request in enumerate(([ReturnRequest(qty=1, sku="DRILL")],
                                 [ReturnRequest(qty=1, sku="DRILL"), ReturnRequest(qty=1, sku="BOOK")],
                                 [ReturnRequest(qty=1, sku="DRILL"), ReturnRequest(qty=1, sku="BOOK")])):
        ret = returns.return_goods(order.id, request, key=f"test:vat:return:{n}")
        steps.append({db.session.get(type(drill), line.order_line_id).sku: line.vat for line in ret.lines})
    assert steps == [{"DRILL": 52_77}, {"DRILL": 52_78, "BOOK": 9_50}, {"DRILL": 52_78, "BOOK": 9_50}]
    assert sum(step.get("DRILL", 0) for step in steps) == drill.vat == 158_33
    assert sum(step.get("BOOK", 0) for step in steps) == book.vat == 19_00


@pytest.mark.parametrize("rate, code", [("20", "20"), ("НДС 10%", "10"), ("Без НДС", "none"), ("none", "none")])
def test_the_company_rate_is_read_and_checked_at_start(migrated, rate, code):
    assert create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated,
                       "PORTAL_VAT_RATE": rate}).config["PORTAL_VAT_RATE"] == code


def test_a_wrong_company_rate_stops_the_start(migrated):
    with pytest.raises(RuntimeError, match="PORTAL_VAT_RATE"):
        create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "PORTAL_VAT_RATE": "twenty"})


def test_a_managers_order_carries_the_vat_of_its_lines_from_the_draft_on(office):
    current_app.config["PORTAL_VAT_RATE"] = "20"
    order = new_order(office)  # DRILL × 2 = 1 900.00 after 5 %, PIPE × 3 = 949.99 after 5 %
    assert [(line.sku, line.vat_rate, line.vat) for line in order.lines] == [
        ("DRILL", "20", 316_67),   # 1900.00 × 20 / 120 = 316.666… → 316.67
        ("PIPE", "20", 158_33)]    # 949.99 × 20 / 120 = 158.331… → 158.33
