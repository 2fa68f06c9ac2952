"""The catalogue half of the 1C exchange, replayed as 1C drives it: checkauth → init → file (in
parts, and as a zip) → import import.xml (progress … success) → import offers.xml."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import OnecImport, OnecWarehouse, Product, Section, Stock

from ...factories import make_product
from .conftest import LOGIN, PASSWORD, OneC, basic, fixture_bytes

IMPORT_IDS = {"boiler": "b2000000-0000-0000-0000-000000000001", "radiator": "b2000000-0000-0000-0000-000000000002",
              "mixer": "b2000000-0000-0000-0000-000000000003", "old": "b2000000-0000-0000-0000-000000000004"}


def product(onec_id: str) -> Product:
    db.session.expire_all()
    return db.session.scalar(db.select(Product).where(Product.onec_id == onec_id))


def stock_at(product_id: int, location) -> int | None:
    return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == product_id,
                                                             Stock.location_id == location.id))


def start(onec) -> None:
    answer = onec.checkauth("catalog")
    assert answer.status == 200 and answer.content_type == "text/plain"
    assert answer.lines[0] == "success" and answer.lines[1] == "portal_1c" and len(answer.lines[2]) > 30
    init = onec.call("catalog", "init")
    assert init.lines == ["zip=yes", "file_limit=2048"]


def map_warehouse(onec_id: str, location) -> None:
    db.session.add(OnecWarehouse(onec_id=onec_id, name=onec_id, location_id=location.id, unmapped_quantity="0"))
    db.session.commit()


def import_file(onec, filename: str) -> list:
    answers = onec.import_until_done(filename)
    assert answers[-1].lines[0] == "success", answers[-1].lines
    return answers


def test_a_full_exchange_loads_sections_products_prices_and_stock(onec, shop):
    warehouse = shop["warehouse"]
    for onec_id in ("d4000000-0000-0000-0000-000000000001", "d4000000-0000-0000-0000-000000000002"):
        map_warehouse(onec_id, warehouse)  # both 1C warehouses feed the main one
    start(onec)
    catalogue = fixture_bytes("import.xml")
    assert len(catalogue) > 2048  # so 1C sends it in parts
    parts = onec.upload("catalog", "import.xml", catalogue, 2048)
    assert len(parts) == 4 and all(a.lines == ["success"] for a in parts)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("offers.xml", fixture_bytes("offers.xml"))
        z.writestr("import_files/b2/b2000000.jpg", b"\xff\xd8 not kept")
    zipped = archive.getvalue()
    assert all(a.lines == ["success"] for a in onec.upload("catalog", "exchange.zip", zipped, 2048))

    answers = import_file(onec, "import.xml")
    # 6 units (the classifier and five products), 2 per step: progress, progress, success.
    assert [a.lines[0] for a in answers] == ["progress", "progress", "success"]
    assert answers[-1].lines[1] == ("import.xml: created 5, updated 0, variants 0, offers 0, rejected 0, "
                                     "rounded 0, taken off sale 0")
    assert import_file(onec, "offers.xml")[-1].lines[1] == (
        "offers.xml: created 0, updated 0, variants 1, offers 4, rejected 0, rounded 0, taken off sale 0")

    sections = {s.onec_id: s for s in db.session.scalars(db.select(Section).where(Section.onec_id.is_not(None)))}
    assert sections["a1000000-0000-0000-0000-000000000004"].path == "Отопление / Радиаторы / Биметаллические"
    assert sections["a1000000-0000-0000-0000-000000000002"].path == "Отопление / Котлы газовые"
    assert len(sections) == 5

    boiler = product(IMPORT_IDS["boiler"])
    assert (boiler.sku, boiler.name, boiler.active) == ("КГ-24", "Котёл газовый настенный «Тепло» 24 кВт", True)
    assert [b.code for b in boiler.barcodes] == ["4607001234567"]
    assert boiler.section.name == "Котлы газовые"
    assert boiler.price == 45_990_50  # the Розничная price, not the Оптовая one
    assert stock_at(boiler.id, warehouse) == 12  # Склад quantities 7 + 5 at the main warehouse
    radiator = product(IMPORT_IDS["radiator"])
    assert (radiator.price, stock_at(radiator.id, warehouse)) == (8_749_99, 30)
    mixer = product(IMPORT_IDS["mixer"])
    assert (mixer.price, stock_at(mixer.id, warehouse)) == (3_159_00, 0)  # 1C's −2 counts as none
    assert product(IMPORT_IDS["old"]).active is False  # ПометкаУдаления
    # Without an Артикул the product still comes, under a SKU made from its Ид.
    service = product("b2000000-0000-0000-0000-000000000005")
    assert (service.sku, service.article, service.name) == ("1C-b2000000", None, "Услуга монтажа котла")
    # The characteristic offer is a variant of the boiler.
    variant = product(IMPORT_IDS["boiler"] + "#e5000000-0000-0000-0000-000000000009")
    assert variant.parent_id == boiler.id and variant.article == "КГ-24" and variant.sku.startswith("КГ-24/")

    log = db.session.scalar(db.select(OnecImport).where(OnecImport.filename == "import.xml"))
    assert log.status == "done" and log.counts["rejects"] == []
    # The picture was dropped, the archive unpacked and removed; nothing escaped the session folder.
    assert sorted(p.name for p in (Path(onec.app.instance_path) / "onec" / "1").iterdir()) == [
        "import.xml", "offers.xml"]

    # Asked again, the finished import answers success and changes nothing.
    again = onec.call("catalog", "import", filename="import.xml")
    assert again.lines[0] == "success"
    assert product(IMPORT_IDS["boiler"]).price == 45_990_50


def test_a_changes_only_package_touches_only_what_it_carries_and_a_full_one_retires_the_rest(onec, shop):
    start(onec)
    onec.upload("catalog", "import.xml", fixture_bytes("import.xml"), 2048)
    onec.upload("catalog", "offers.xml", fixture_bytes("offers.xml"), 2048)
    import_file(onec, "import.xml")
    import_file(onec, "offers.xml")
    drill_before = db.session.scalar(db.select(Product).where(Product.sku == "DRILL"))

    start(onec)  # the next exchange: a new session, a changes-only package
    onec.upload("catalog", "import.xml", fixture_bytes("import_changes.xml"), 2048)
    assert import_file(onec, "import.xml")[-1].lines[1].startswith("import.xml: created 0, updated 1,")
    mixer = product(IMPORT_IDS["mixer"])
    assert mixer.name == "Смеситель для кухни «Аква», хром, с гибкой подводкой"
    assert [b.code for b in mixer.barcodes] == ["4607001234581"]
    assert mixer.section.name == "Сантехника и водоснабжение"
    assert mixer.price == 3_159_00  # offers untouched
    assert product(IMPORT_IDS["radiator"]).active is True  # absent from a changes-only package: left alone

    start(onec)  # a full package without the radiator
    onec.upload("catalog", "import.xml", fixture_bytes("import_full_without_radiator.xml"), 2048)
    # The radiator and the service (the old boiler was off already).
    assert import_file(onec, "import.xml")[-1].lines[1].endswith("taken off sale 2")
    assert product(IMPORT_IDS["radiator"]).active is False
    assert product(IMPORT_IDS["old"]).active is False
    assert product(IMPORT_IDS["boiler"]).active is True
    drill = db.session.scalar(db.select(Product).where(Product.sku == "DRILL"))
    assert drill.active is True and drill.price == drill_before.price  # a portal product without a 1C Ид


def test_a_product_first_loaded_from_csv_is_adopted_by_its_sku(onec, shop):
    existing = make_product("КГ-24", 10_00, name="Котёл (из CSV)")
    start(onec)
    onec.upload("catalog", "import.xml", fixture_bytes("import.xml"), 2048)
    assert import_file(onec, "import.xml")[-1].lines[1].startswith("import.xml: created 4, updated 1,")
    adopted = product(IMPORT_IDS["boiler"])
    assert adopted.id == existing.id and adopted.name == "Котёл газовый настенный «Тепло» 24 кВт"


def test_bad_xml_fails_with_its_position_and_imports_nothing(onec, shop):
    start(onec)
    onec.upload("catalog", "import.xml", fixture_bytes("bad.xml"), 2048)
    answer = onec.call("catalog", "import", filename="import.xml")
    assert answer.lines[0] == "failure"
    assert answer.lines[1] == "import.xml is not well-formed XML (line 22, column 28)"
    assert db.session.scalar(db.select(db.func.count(Product.id)).where(Product.onec_id.is_not(None))) == 0
    assert db.session.scalar(db.select(db.func.count(Section.id)).where(Section.onec_id.is_not(None))) == 0
    assert onec.call("catalog", "import", filename="import.xml").lines[0] == "failure"  # stays failed


def test_an_unknown_price_type_fails_before_anything_is_written(onec, onec_app, shop):
    onec_app.config["ONEC_PRICE_TYPE"] = "Закупочная"
    start(onec)
    onec.upload("catalog", "import.xml", fixture_bytes("import.xml"), 2048)
    onec.upload("catalog", "offers.xml", fixture_bytes("offers.xml"), 2048)
    import_file(onec, "import.xml")
    answer = onec.call("catalog", "import", filename="offers.xml")
    assert answer.lines[0] == "failure"
    assert answer.lines[1].startswith("the price type 'Закупочная' (ONEC_PRICE_TYPE) is not in the package; it has: "
                                      "Розничная (c3000000-0000-0000-0000-000000000001), Оптовая")
    assert product(IMPORT_IDS["boiler"]).price == 0


def test_a_windows_1251_package_and_replies(onec, onec_app, shop):
    onec_app.config.update(ONEC_ENCODING="windows-1251", ONEC_PRICE_TYPE="c3000000-0000-0000-0000-000000000002")
    start(onec)
    onec.upload("catalog", "import.xml", fixture_bytes("import.xml"), 2048)
    import_file(onec, "import.xml")
    onec.upload("catalog", "offers.xml", fixture_bytes("offers_cp1251.xml"), 2048)
    answers = import_file(onec, "offers.xml")
    assert answers[-1].encoding == "windows-1251"
    radiator = product(IMPORT_IDS["radiator"])
    assert (radiator.price, stock_at(radiator.id, shop["warehouse"])) == (7_650_10, 25)  # the Оптовая price
    bad = onec.call("catalog", "import", filename="нет.xml")
    assert bad.encoding == "windows-1251"
    assert bad.body == "failure\nнет.xml has not been uploaded in this session".encode("cp1251")


@pytest.mark.parametrize("name", ["../secret.xml", "/etc/passwd", "a/../../b.xml", "..", "dir/import.xml",
                                  ".hidden", "im port.xml"])
def test_filenames_that_could_leave_the_exchange_folder_are_refused(onec, name):
    start(onec)
    answer = onec.call("catalog", "file", filename=name, data=b"<x/>")
    assert answer.lines[0] == "failure" and "is not allowed" in answer.lines[1]


def test_without_the_right_password_or_the_cookie_nothing_is_served(onec, onec_app):
    wrong = onec.checkauth("catalog", password="wrong")
    assert wrong.status == 401 and wrong.lines == ["failure", "wrong login or password for the 1C exchange"]
    assert onec.checkauth("catalog", login="admin").status == 401
    no_cookie = onec.call("catalog", "init")
    assert no_cookie.status == 401 and no_cookie.lines[0] == "failure"
    onec.cookie = "portal_1c=forged"
    assert onec.call("catalog", "init").status == 401
    onec_app.config["ONEC_LOGIN"] = ""  # no exchange user configured: the exchange is off
    assert onec.checkauth("catalog", login="", password="").status == 401
    assert onec.checkauth("catalog").status == 401


@pytest.mark.csrf
def test_csrf_does_not_apply_to_the_exchange(app, tmp_path):
    assert app.config["WTF_CSRF_ENABLED"]
    app.config.update(ONEC_LOGIN="x", ONEC_PASSWORD="y")
    app.instance_path = str(tmp_path)
    onec = OneC(app)
    assert onec.checkauth("catalog", "x", "y").lines[0] == "success"
    assert onec.call("catalog", "file", filename="import.xml", data=b"<a/>").lines == ["success"]


def test_basic_credentials_without_the_cookie_continue_the_same_session(onec, shop):
    start(onec)
    onec.cookie = None  # a 1C that sends its credentials with every request instead of the cookie
    auth = basic(LOGIN, PASSWORD)
    onec.call("catalog", "file", filename="import.xml", data=fixture_bytes("import.xml"), auth=auth)
    for _ in range(10):
        answer = onec.call("catalog", "import", filename="import.xml", auth=auth)
        if answer.lines[0] != "progress":
            break
    assert answer.lines[0] == "success", answer.lines
    assert product(IMPORT_IDS["boiler"]) is not None


def test_the_exchange_sets_no_browser_session_cookie(onec):
    response = onec.http.get("/exchange", query_string={"type": "catalog", "mode": "checkauth"},
                             headers={"Authorization": basic(LOGIN, PASSWORD)})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_init_again_in_the_same_session_starts_the_import_afresh(onec, shop):
    start(onec)
    onec.upload("catalog", "import.xml", fixture_bytes("import.xml"), 2048)
    import_file(onec, "import.xml")
    assert onec.call("catalog", "init").lines[0] == "zip=yes"
    assert onec.call("catalog", "import", filename="import.xml").lines == [
        "failure", "import.xml has not been uploaded in this session"]
    onec.upload("catalog", "import.xml", fixture_bytes("import_changes.xml"), 2048)
    assert import_file(onec, "import.xml")[-1].lines[1].startswith("import.xml: created 0, updated 1,")
