"""Product search as people type it (issue 17, point 2): every word in any order and any case, ё as
е, SKU, Артикул and barcode, exact SKU first, the other keyboard layout when nothing is found
(portal/services/sales/catalog.py find_products, search_words.py)."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Barcode
from portal.services.sales import catalog

from ...factories import make_location, make_product


@pytest.fixture
def shelf(ctx):
    shop = make_location("shop", code="SH1")
    made = {
        "valve": make_product("VT.214.N.04", 490_00, name='Кран шаровой VALTEC Base 1/2" в/н', stock={shop: 7}),
        "valve_big": make_product("VT.214.N.06", 890_00, name='Кран шаровой VALTEC Base 1" в/н'),
        "bugatti": make_product("BG-1/2", 650_00, name='Кран шаровой Bugatti 1/2"', article="VT.214"),
        "boiler": make_product("BX-ECO4-24", 58_900_00, name="Котёл газовый Baxi ECO Four 24 кВт"),
        "pct": make_product("PCT-100", 10_00, name="Скидка 100% на монтаж_1"),
        "exact": make_product("КРАН", 1_00, name="Услуга: замена"),
    }
    db.session.add(Barcode(product_id=made["boiler"].id, code="8033223456789"))
    db.session.commit()
    return {"shop": shop, **made}


def skus(choices) -> list[str]:
    return [choice.product.sku for choice in choices]


def test_every_word_in_any_order_and_any_case(shelf):
    assert skus(catalog.find_products("кран шаровой valtec")) == ["VT.214.N.06", "VT.214.N.04"]
    assert skus(catalog.find_products("VALTEC кран 1/2")) == ["VT.214.N.04"]
    assert skus(catalog.find_products("ШАРОВОЙ bugatti")) == ["BG-1/2"]
    assert skus(catalog.find_products("valtec латунный")) == []  # every word must be there


def test_yo_is_read_as_ye_both_ways(shelf):
    assert skus(catalog.find_products("котел baxi")) == ["BX-ECO4-24"]
    assert skus(catalog.find_products("КОТЁЛ")) == ["BX-ECO4-24"]


def test_sku_artikul_and_barcode(shelf):
    assert skus(catalog.find_products("vt.214.n.04")) == ["VT.214.N.04"]
    # part of a SKU; the Артикул VT.214 is Bugatti's, exact Артикул first, then SKUs starting so
    assert skus(catalog.find_products("VT.214")) == ["BG-1/2", "VT.214.N.06", "VT.214.N.04"]
    assert skus(catalog.find_products("8033223456789")) == ["BX-ECO4-24"]


def test_the_exact_sku_comes_first(shelf):
    # then by name (1" sorts before 1/2")
    assert skus(catalog.find_products("кран")) == ["КРАН", "BG-1/2", "VT.214.N.06", "VT.214.N.04"]


def test_the_other_keyboard_layout_when_nothing_is_found(shelf):
    assert skus(catalog.find_products("rjntk ифчш")) == ["BX-ECO4-24"]  # "котел baxi" typed in the wrong layouts
    assert skus(catalog.find_products("dfknts")) == []  # "валтес": the other layout finds nothing either


def test_wildcards_typed_are_plain_characters(shelf):
    assert skus(catalog.find_products("100%")) == ["PCT-100"]
    assert skus(catalog.find_products("монтаж_1")) == ["PCT-100"]
    assert skus(catalog.find_products("%")) == [] and skus(catalog.find_products("__")) == []


def test_stock_comes_with_the_choice(shelf):
    [choice] = catalog.find_products("valtec 1/2", shelf["shop"].id)
    assert (choice.product.sku, choice.stock) == ("VT.214.N.04", 7)
