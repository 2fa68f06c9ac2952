"""A real 1C catalogue arrives whole (issue 15): the recorded files in tests/fixtures/onec/real/,
written in the shape 1C:Розница and 1C:УТ export (characteristics, shared and missing Артикул,
three warehouses and two price types, kilograms and metres, a windows-1251 package, changes-only
packages), replayed as 1C drives the exchange. Every number below is in that folder's README."""
from __future__ import annotations

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.integrations.onec import warehouses
from portal.integrations.onec.refusals import english
from portal.models import OnecImport, OnecWarehouse, Product, Stock

from ...factories import make_location, make_staff
from .conftest import fixture_bytes

P = "8f1a01{:02x}-6b4c-11e9-80d3-00155d0a1b02"  # P01 … P30 as the fixtures' README writes them
CH = "c4d2{:04x}-7e11-11e9-80d5-00155d0a1b02"
MAIN_1C, SHOP_1C, DEFECT_1C = (f"d7e1000{n}-5a2c-11e9-80d1-00155d0a1b02" for n in (1, 2, 3))
ORPHAN = "8f1a01fe-6b4c-11e9-80d3-00155d0a1b02#c4d201fe-7e11-11e9-80d5-00155d0a1b02"


@pytest.fixture
def places(onec_app, ctx):
    onec_app.config.update(ONEC_STEP_ITEMS=7)
    main = make_location("warehouse", code="MAIN", name="Основной склад", is_main=True)
    shop = make_location("shop", code="SAD", name="Магазин на Садовой")
    return {"main": main.id, "shop": shop.id}


def exchange(onec, *files: str) -> list[str]:
    """One catalogue session: checkauth, init, every file uploaded, then imported in order."""
    assert onec.checkauth("catalog").lines[0] == "success"
    onec.call("catalog", "init")
    summaries = []
    for name in files:
        target = "offers.xml" if name.startswith("offers") else "import.xml"
        assert all(a.lines == ["success"] for a in onec.upload("catalog", target, fixture_bytes("real/" + name), 8192))
        answers = onec.import_until_done(target, most=40)
        assert answers[-1].lines[0] == "success", answers[-1].lines
        assert len(answers) > 1 or "changes" in name  # the full packages take several steps
        summaries.append(answers[-1].lines[1])
    return summaries


def by_id(onec_id: str) -> Product:
    return db.session.scalar(db.select(Product).where(Product.onec_id == onec_id))


def stock(product: Product) -> dict[int, int]:
    return dict(db.session.execute(db.select(Stock.location_id, Stock.quantity).where(
        Stock.product_id == product.id)).all())


def units_at(location_id: int) -> int:
    return db.session.scalar(db.select(db.func.coalesce(db.func.sum(Stock.quantity), 0)).where(
        Stock.location_id == location_id))


def refusals(filename: str) -> list[str]:
    row = db.session.scalar(db.select(OnecImport).where(OnecImport.filename == filename)
                            .order_by(OnecImport.id.desc()).limit(1))
    return [english(entry) for entry in row.counts["rejects"]]


def test_the_whole_catalogue_arrives_sellable_with_its_sizes_prices_and_stock(onec, places):
    import_summary, offers_summary = exchange(onec, "import.xml", "offers.xml")
    assert import_summary == ("import.xml: created 30, updated 0, variants 0, offers 0, rejected 0, rounded 0, "
                              "taken off sale 0")
    # 58 offers: 57 applied (43 of them new sizes), the orphan refused; 4 fractional stocks rounded
    # (ШН-75: 25.5 м at the shop; ГВ-10: 10.5 and 1.85 кг; the wax: 3.2 кг).
    assert offers_summary == ("offers.xml: created 0, updated 0, variants 43, offers 57, rejected 1, rounded 4, "
                              "taken off sale 0")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Product.id)).where(Product.parent_id.is_(None),
                                                                        Product.onec_id.is_not(None))) == 30
    assert db.session.scalar(db.select(db.func.count(Product.id)).where(Product.parent_id.is_not(None))) == 43

    # Артикул: unique → the SKU; shared → the first keeps it, the others get a suffix; missing → from the Ид.
    skus = {n: by_id(P.format(n)).sku for n in (1, 2, 3, 4, 5, 6, 11, 12, 13, 17, 18, 19, 7)}
    assert skus == {1: "БТ-2231", 2: "БТ-2231-2", 3: "ТФ-0815", 4: "ТФ-0815-2", 5: "Б- 140012", 6: "1C-8f1a0106",
                    11: "ФБ-01", 12: "ФБ-01-2", 13: "ФБ-01-3", 17: "КР-050", 18: "КР-050-2", 19: "1C-8f1a0113",
                    7: "СР-100"}
    assert by_id(P.format(18)).article == "КР-050"  # trimmed

    # A size: its own SKU, the offer's name, 1C's price, its stock at the mapped locations.
    brown_38 = by_id(P.format(1) + "#" + CH.format(0x0102))
    assert (brown_38.sku, brown_38.name, brown_38.variant) == ("БТ-2231/38", "Женские ботфорты коричневые (38)", "38")
    assert (brown_38.price, brown_38.parent.onec_id, brown_38.unit, brown_38.vat_rate) == (5_990_00, P.format(1),
                                                                                           "пар", "18")
    assert [b.code for b in brown_38.barcodes] == ["2000007314597"]  # its own barcode, the parent keeps its own
    assert [b.code for b in by_id(P.format(1)).barcodes] == ["2000007314580"]
    # Основной 3, Магазин 2, Некондиция 1: the last counted nowhere.
    assert stock(brown_38) == {places["main"]: 3, places["shop"]: 2}
    sweater = by_id(P.format(10) + "#" + CH.format(0x011b))
    assert (sweater.variant, sweater.sku, sweater.price) == ("M, серый", "СВ-300/M-серый", 2_990_00)
    assert by_id(P.format(9) + "#" + CH.format(0x0119)).price == 9_490_00  # the one size priced apart
    socks = by_id(P.format(16) + "#" + CH.format(0x0129)) or next(v for v in by_id(P.format(16)).variants)
    assert socks.price == 199_90
    # Negative at a warehouse counts as none; the sizes 1C writes with no figures hold nothing.
    white_s = by_id(P.format(11) + "#" + CH.format(0x011e))
    assert stock(white_s) == {places["main"]: 5, places["shop"]: 0}

    # Kilograms and metres: whole units kept, the rest said.
    assert stock(by_id(P.format(25))) == {places["main"]: 10, places["shop"]: 1}
    notes = refusals("offers.xml")
    assert sum("the portal counts stock in whole units" in n for n in notes) == 4
    assert any("10.5 кг in stock at Основной склад kept as 10" in n for n in notes)
    assert any(ORPHAN in n and "did not come in import.xml" in n for n in notes)
    assert by_id(P.format(23)).unit == "м" and by_id(P.format(26)).unit == "кг"

    # Deleted in 1C: off sale. VAT from 1C, "Без НДС" too.
    assert by_id(P.format(27)).active is False and by_id(P.format(28)).active is False
    assert (by_id(P.format(7)).vat_rate, by_id(P.format(21)).vat_rate, by_id(P.format(5)).vat_rate) == ("10", "none",
                                                                                                     None)
    # The warehouses: two found by name, the third listed with what it holds and counted nowhere.
    rows = {w.onec_id: w for w in warehouses.listing()}
    assert (rows[MAIN_1C].location.id, rows[SHOP_1C].location.id, rows[DEFECT_1C].location) == (
        places["main"], places["shop"], None)
    assert rows[DEFECT_1C].unmapped_quantity == Decimal(6)
    # Whole units: Основной 1028.7 without the orphan (P25 10.5 → 10, P26 3.2 → 3), Магазин 258.35
    # (P23 25.5 → 25, P25 1.85 → 1, and the −1 counted as none) — nothing of Некондиция's 6 anywhere.
    assert units_at(places["main"]) == 1028
    assert units_at(places["shop"]) == 258


def test_every_offer_is_sellable_or_listed(onec, places):
    exchange(onec, "import.xml", "offers.xml")
    db.session.expire_all()
    offers = [line.split("<Ид>")[1].split("</Ид>")[0] for line in fixture_bytes("real/offers.xml").decode().splitlines()
              if "<Ид>" in line and ("-6b4c-" in line)]
    assert len(offers) == 58
    listed = " ".join(refusals("offers.xml"))
    for onec_id in offers:
        product = by_id(onec_id)
        if product is None:
            assert onec_id in listed
            continue
        assert product.price > 0 or onec_id.startswith(P.format(22)), onec_id
        assert product.active is (onec_id != P.format(27)), onec_id


def test_changes_only_packages_update_sizes_like_products(onec, places):
    exchange(onec, "import.xml", "offers.xml")
    import_summary, offers_summary = exchange(onec, "import_changes.xml", "offers_changes.xml")
    assert import_summary.startswith("import.xml: created 0, updated 2,") and import_summary.endswith("taken off sale 0")
    assert offers_summary.startswith("offers.xml: created 0, updated 0, variants 1, offers 9, rejected 0,")
    db.session.expire_all()
    new_39 = by_id(P.format(3) + "#" + CH.format(0x01a0))
    assert (new_39.variant, new_39.price, stock(new_39)) == ("39", 3_490_00, {places["main"]: 2, places["shop"]: 1})
    renamed = by_id(P.format(9) + "#" + CH.format(0x0117))
    assert renamed.name == "Куртка мужская демисезонная хаки (50)" and stock(renamed)[places["shop"]] == 1
    assert by_id(P.format(9)).name == "Куртка мужская демисезонная хаки"
    brown_38 = by_id(P.format(1) + "#" + CH.format(0x0102))
    assert stock(brown_38) == {places["main"]: 2, places["shop"]: 2} and brown_38.price == 5_990_00
    assert by_id(P.format(17)).price == 390_00
    assert stock(by_id(P.format(11) + "#" + CH.format(0x011e))) == {places["main"]: 5, places["shop"]: 0}
    # Not in the changes: untouched, and still on sale.
    brown_37 = by_id(P.format(1) + "#" + CH.format(0x0101))
    assert stock(brown_37) == {places["main"]: 2, places["shop"]: 1} and brown_37.active


def test_a_windows_1251_package_and_the_older_quantity_only_shape_give_the_same_offers(onec, places):
    exchange(onec, "import.xml", "offers_cp1251.xml")
    db.session.expire_all()
    first = {p.onec_id: (p.sku, p.name, p.price, stock(p)) for p in
             db.session.scalars(db.select(Product).where(Product.parent_id.is_not(None)))}
    assert len(first) == 43
    summary, = exchange(onec, "offers_204_quantity_only.xml")
    assert summary.startswith("offers.xml: created 0, updated 0, variants 0, offers 57, rejected 1,")
    db.session.expire_all()
    for onec_id, (sku, name, price, _levels) in first.items():
        product = by_id(onec_id)
        assert (product.sku, product.name, product.price) == (sku, name, price)
    # Only a total: it lies at the main warehouse (the shop's figure stays as the last package left it).
    brown_38 = by_id(P.format(1) + "#" + CH.format(0x0102))
    assert stock(brown_38)[places["main"]] == 6


def test_a_warehouse_the_admin_maps_counts_from_the_next_package(onec, places):
    exchange(onec, "import.xml", "offers.xml")
    defect = db.session.scalar(db.select(OnecWarehouse).where(OnecWarehouse.onec_id == DEFECT_1C))
    admin = make_staff("admin")
    outlet = make_location("warehouse", code="DEFECT", name="Уценка")
    warehouses.set_location(admin, defect.id, outlet.id)
    exchange(onec, "offers.xml")
    db.session.expire_all()
    assert units_at(outlet.id) == 6
    rows = {w.onec_id: w for w in warehouses.listing()}
    assert (rows[DEFECT_1C].location.id, rows[DEFECT_1C].unmapped_quantity) == (outlet.id, 0)
    assert units_at(places["main"]) == 1028  # the others unchanged
