"""A shop's quick keys: the administrator's keys in their order, else the shop's best sellers of the
last 30 days (units kept after returns, a variant counted for its product), audited changes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import AuditEvent, Barcode, Channel, Order, PaymentMethod, utcnow
from portal.services.sales import quick_keys, returns, sales

from ...factories import make_location, make_product, make_staff, make_variants


@pytest.fixture
def shops(ctx):
    arbat, tver = make_location("shop", code="ARB", name="Arbat"), make_location("shop", code="TVR", name="Tver")
    products = {sku: make_product(sku, 100_00, stock={arbat: 100, tver: 100}) for sku in ("TAPE", "ROPE", "NAIL", "GLUE")}
    boots = make_product("BOOT", 2_000_00, name="Boots")
    sizes = make_variants(boots, {"42": {arbat: 10}, "43": {arbat: 10}})
    db.session.add(Barcode(product_id=products["GLUE"].id, code="4600000000999"))
    db.session.commit()
    return {"arbat": arbat, "tver": tver, "BOOT": boots, "sizes": sizes, "admin": make_staff("admin"), **products}


def sell(shop, lines: dict, *, days_ago: int = 0, key: str) -> Order:
    total = sum(product.price * qty for product, qty in lines.items())
    order = sales.place_paid_order(sales.Sale(
        channel=Channel.SHOP, lines=[sales.SaleLine(qty=qty, product_id=product.id) for product, qty in lines.items()],
        location_id=shop.id, payments={PaymentMethod.CARD: total}, key=key))
    if days_ago:
        order.paid_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()
    return order


def skus(products) -> list[str]:
    return [product.sku for product in products]


def test_without_keys_the_till_shows_the_shops_best_sellers_of_the_last_30_days(shops):
    arbat, tver = shops["arbat"], shops["tver"]
    sell(arbat, {shops["TAPE"]: 2, shops["ROPE"]: 5}, key="s1")
    sell(arbat, {shops["TAPE"]: 2, shops["sizes"]["42"]: 1, shops["sizes"]["43"]: 2}, key="s2")
    sell(arbat, {shops["NAIL"]: 50}, days_ago=31, key="old")        # too old to count
    sell(tver, {shops["GLUE"]: 9}, key="elsewhere")                 # another shop's sale
    partly = sell(arbat, {shops["GLUE"]: 6}, key="s3")
    returns.return_goods(partly.id, [returns.ReturnRequest(qty=5, sku="GLUE")], key="r1", reason="")  # 1 kept

    # ROPE 5, TAPE 4, BOOT 3 (its sizes together), GLUE 1 (6 sold, 5 back); NAIL too old
    assert skus(quick_keys.best_sellers(arbat.id)) == ["ROPE", "TAPE", "BOOT", "GLUE"]
    assert skus(quick_keys.best_sellers(arbat.id, limit=2)) == ["ROPE", "TAPE"]
    assert skus(quick_keys.best_sellers(tver.id)) == ["GLUE"]
    grid = quick_keys.for_till(arbat.id)
    assert not grid.chosen
    boots = next(choice for choice in grid.choices if choice.product.sku == "BOOT")
    assert boots.sold_by_variants and [(v.variant, qty) for v, qty in boots.variants] == [("42", 9), ("43", 8)]

    shops["ROPE"].active = False  # a withdrawn product leaves the grid
    db.session.commit()
    assert skus(quick_keys.best_sellers(arbat.id)) == ["TAPE", "BOOT", "GLUE"]


def test_the_keys_the_admin_set_replace_the_best_sellers_per_shop_in_their_order(shops):
    arbat, tver, admin = shops["arbat"], shops["tver"], shops["admin"]
    sell(arbat, {shops["ROPE"]: 5}, key="s1")
    quick_keys.add_key(admin, arbat.id, "nail")             # a SKU in any case
    quick_keys.add_key(admin, arbat.id, "4600000000999")    # a barcode
    quick_keys.add_key(admin, arbat.id, "BOOT")             # a product with sizes: its tile offers them
    grid = quick_keys.for_till(arbat.id)
    assert grid.chosen and skus(c.product for c in grid.choices) == ["NAIL", "GLUE", "BOOT"]
    assert grid.choices[2].sold_by_variants
    assert skus(quick_keys.best_sellers(tver.id)) == []     # Tver has its own (none): nothing sold there
    assert quick_keys.for_till(tver.id).choices == []

    quick_keys.move_key(admin, arbat.id, shops["BOOT"].id, -1)
    assert skus(quick_keys.chosen_products(arbat.id)) == ["NAIL", "BOOT", "GLUE"]
    quick_keys.move_key(admin, arbat.id, shops["NAIL"].id, -1)  # the first stays first
    assert skus(quick_keys.chosen_products(arbat.id)) == ["NAIL", "BOOT", "GLUE"]
    quick_keys.remove_key(admin, arbat.id, shops["NAIL"].id)
    assert skus(quick_keys.chosen_products(arbat.id)) == ["BOOT", "GLUE"]

    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "quick_keys_changed")
                                .order_by(AuditEvent.id)).all()
    assert [(e.object_id, e.actor_id) for e in events] == [(arbat.id, admin.id)] * 5  # the no-op move is not one
    assert (events[-1].before, events[-1].after) == ({"keys": ["NAIL", "BOOT", "GLUE"]}, {"keys": ["BOOT", "GLUE"]})

    quick_keys.remove_key(admin, arbat.id, shops["BOOT"].id)
    quick_keys.remove_key(admin, arbat.id, shops["GLUE"].id)
    assert skus(c.product for c in quick_keys.for_till(arbat.id).choices) == ["ROPE"]  # back to the best sellers


def test_a_key_is_refused_with_the_reason_and_nothing_changes(shops):
    arbat, admin = shops["arbat"], shops["admin"]
    quick_keys.add_key(admin, arbat.id, "TAPE")
    with pytest.raises(ValidationError) as twice:
        quick_keys.add_key(admin, arbat.id, "tape")
    assert str(twice.value.fields["code"]) == "Product TAPE is on the quick keys already."
    with pytest.raises(ValidationError) as unknown:
        quick_keys.add_key(admin, arbat.id, "NOPE")
    assert str(unknown.value.fields["code"]) == "No product with the barcode or SKU NOPE."
    with pytest.raises(ValidationError):
        quick_keys.add_key(admin, shops["tver"].id, "")
    assert skus(quick_keys.chosen_products(arbat.id)) == ["TAPE"]
