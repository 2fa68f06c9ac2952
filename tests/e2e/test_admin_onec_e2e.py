"""The administrator's "1C exchange" page after 1C ran a real exchange over HTTP against the live
server: the settings, the catalogue import with its rejected item, a broken file with its error,
and the orders waiting for 1C; and mapping a 1C warehouse that is counted nowhere to a location,
with the import's refusals read in Russian. Screenshots go to tests/e2e/artifacts/onec-*.png.
"""
from __future__ import annotations

import base64
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import OnecImport, OnecSession, OnecWarehouse
from portal.services.messaging import outbox

from ..factories import DEFAULT_PASSWORD, make_location, make_staff
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "onec"
SEEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


class HttpOneC:
    """1C's exchange processor over a real socket."""

    def __init__(self, base: str, login: str, password: str):
        self.base, self.cookie = base, None
        self.auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()

    def call(self, kind: str, mode: str, data: bytes | None = None, **params) -> list[str]:
        url = self.base + "/exchange?" + urllib.parse.urlencode({"type": kind, "mode": mode, **params})
        request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
        if mode == "checkauth":
            request.add_header("Authorization", self.auth)
        elif self.cookie:
            request.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(request, timeout=30) as response:
            lines = response.read().decode("utf-8").split("\n")
        if mode == "checkauth":
            self.cookie = f"{lines[1]}={lines[2]}"
        return lines


def test_the_admin_sees_how_the_last_1c_exchange_went(app, live_server, page, open_page, tmp_path):
    app.instance_path = str(tmp_path)
    app.config.update(ONEC_LOGIN="1c-exchange", ONEC_PASSWORD="секрет-1С", ONEC_PRICE_TYPE="Розничная")
    with app.app_context():
        admin = make_staff("admin", name="Alla Admin").email
        make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        outbox.enqueue("1c.order", "1c:order:77:confirmed", {"number": "M-000077"})
        db.session.commit()

    onec = HttpOneC(live_server, "1c-exchange", "секрет-1С")
    assert onec.call("catalog", "checkauth")[0] == "success"
    assert onec.call("catalog", "init") == ["zip=yes", f"file_limit={app.config['ONEC_FILE_LIMIT']}"]
    for name in ("import.xml", "offers.xml"):
        assert onec.call("catalog", "file", data=(FIXTURES / name).read_bytes(), filename=name) == ["success"]
        answer = onec.call("catalog", "import", filename=name)
        assert answer[0] == "success", answer
    onec.call("catalog", "file", data=(FIXTURES / "bad.xml").read_bytes(), filename="prices.xml")
    assert onec.call("catalog", "import", filename="prices.xml")[0] == "failure"

    sign_in(page, live_server, admin, DEFAULT_PASSWORD)
    page.locator("header.topbar .mainnav").get_by_role("link", name="1C exchange").click()
    expect(page).to_have_url(live_server + "/admin/onec")
    expect(page.locator("main h1")).to_have_text("1C exchange")
    expect(page.locator("[data-testid=onec-enabled]")).to_contain_text("Exchange user: 1c-exchange")
    expect(page.locator("[data-testid=onec-settings]")).to_contain_text("Розничная")
    expect(page.locator("[data-testid=onec-settings]")).to_contain_text("Main warehouse (MAIN)")
    expect(page.locator("[data-testid=onec-waiting]")).to_have_text("1")
    expect(page.locator("[data-testid=onec-last-confirmed]")).to_have_text("never")
    rows = page.locator("[data-testid=onec-import-row]")
    expect(rows).to_have_count(3)
    failed = rows.filter(has_text="prices.xml")
    expect(failed).to_contain_text("Import failed")
    expect(failed.locator("[data-testid=onec-import-result]")).to_have_text(
        "prices.xml is not well-formed XML (line 22, column 28)")
    catalogue = rows.filter(has_text="import.xml")
    # Every product of import.xml is taken now, the service without an Артикул too (its SKU from its Ид).
    expect(catalogue.locator("[data-testid=onec-import-result]")).to_contain_text(
        "Created 5, updated 0, variants 0, offers 0, rejected 0, rounded 0, taken off sale 0")
    expect(catalogue.locator("[data-testid=onec-rejects]")).to_have_count(0)
    expect(rows.filter(has_text="offers.xml").locator("[data-testid=onec-import-result]")).to_contain_text(
        "Created 0, updated 0, variants 1, offers 4, rejected 0, rounded 0, taken off sale 0")
    # offers.xml names two warehouses no location is called after: both are counted nowhere, and say so.
    expect(page.locator("[data-testid=onec-warehouse-name]")).to_have_text(["Основной склад", "Склад «Север»"])
    expect(page.locator("[data-testid=onec-unmapped]")).to_have_text([
        "Not counted: 7 units in the last package", "Not counted: 5 units in the last package"])
    expect(page.locator("[data-testid=onec-settings]")).to_contain_text("8.4 MB")
    shot(page, "onec-admin")
    narrow = open_page("desktop", viewport={"width": 1280, "height": 900})
    sign_in(narrow, live_server, admin, DEFAULT_PASSWORD)
    narrow.goto(live_server + "/admin/onec")
    assert_no_horizontal_overflow(narrow)
    shot(narrow, "onec-admin-1280")

    # 1C collects the order; the page says when.
    assert onec.call("sale", "checkauth")[0] == "success"
    onec.call("sale", "query")
    assert onec.call("sale", "success")[0] == "success"
    page.reload()
    expect(page.locator("[data-testid=onec-waiting]")).to_have_text("0")
    expect(page.locator("[data-testid=onec-last-confirmed]")).to_contain_text("0 documents")

    russian = open_page("tablet", locale="ru-RU")
    sign_in(russian, live_server, admin, DEFAULT_PASSWORD)
    russian.goto(live_server + "/admin/onec")
    expect(russian.locator("main h1")).to_have_text("Обмен с 1С")
    expect(russian.locator("[data-testid=onec-import-row]")).to_have_count(3)
    assert_no_horizontal_overflow(russian)
    shot(russian, "onec-admin-tablet-ru")


def test_only_the_admin_opens_the_1c_page(app, live_server, page):
    with app.app_context():
        manager = make_staff("manager").email
    sign_in(page, live_server, manager, DEFAULT_PASSWORD)
    response = page.goto(live_server + "/admin/onec")
    assert response.status == 403


def _seed_unmapped_warehouse(app) -> dict:
    """What an offers package leaves when it names a warehouse no location is called after: the
    warehouse counted nowhere with its 6 units, and the import with a refusal and a rounding note."""
    with app.app_context():
        admin = make_staff("admin", name="Alla Admin", locale="ru").email
        main = make_location("warehouse", code="MAIN", name="Основной склад", is_main=True)
        shop = make_location("shop", code="SH1", name="Магазин на Арбате")
        session = OnecSession(token_hash="b" * 64, kind="catalog")
        db.session.add(session)
        db.session.flush()
        db.session.add(OnecImport(session_id=session.id, filename="offers.xml", status="done", position=7, counts={
            "created": 0, "updated": 0, "variants": 1, "offers": 5, "rejected": 1, "rounded": 1, "deactivated": 0,
            "rejects": [
                {"code": "bad_price", "params": {"id": "off-7", "name": "Котёл «Тепло-24»", "price": "12,5,0"}},
                {"code": "fraction_rounded", "params": {"id": "off-9", "name": "Кабель ВВГ", "quantity": "12.5",
                                                        "unit": "м", "place": "Основной склад", "kept": "12"}}]}))
        db.session.add_all([
            OnecWarehouse(onec_id="8f1c2a7e-0001", name="Склад некондиции", unmapped_quantity="6", seen_at=SEEN),
            OnecWarehouse(onec_id="8f1c2a7e-0002", name="Основной склад", location_id=main.id, unmapped_quantity="0",
                          seen_at=SEEN)])
        db.session.commit()
        return {"admin": admin, "shop": shop.id}


def _warehouse_row(page, name: str):
    return page.locator("[data-testid=onec-warehouse]").filter(
        has=page.locator("[data-testid=onec-warehouse-name]", has_text=name))


def test_the_admin_maps_a_1c_warehouse_counted_nowhere_to_a_shop(app, live_server, open_page):
    seeded = _seed_unmapped_warehouse(app)
    page = open_page("desktop", locale="ru-RU", viewport={"width": 1366, "height": 768})
    sign_in(page, live_server, seeded["admin"], DEFAULT_PASSWORD)
    page.locator("header.topbar .mainnav").get_by_role("link", name="Обмен с 1С").click()
    expect(page).to_have_url(live_server + "/admin/onec")

    odd = _warehouse_row(page, "Склад некондиции")
    expect(odd).to_have_class("row-unmapped")
    expect(odd.locator("[data-testid=onec-unmapped]")).to_have_text("Не учитывается: 6 ед. в последнем пакете")
    expect(odd).to_contain_text("8f1c2a7e-0001")
    select = odd.locator("[data-testid=onec-warehouse-location]")
    expect(select).to_have_value("")
    expect(_warehouse_row(page, "Основной склад").locator("[data-testid=onec-unmapped]")).to_have_count(0)

    # The import's counts and its refusals, in Russian.
    result = page.locator("[data-testid=onec-import-result]")
    expect(result).to_contain_text("вариантов 1, предложений 5, отклонено 1, округлено 1")
    rejects = result.locator("[data-testid=onec-reject]")
    expect(rejects.first).to_be_hidden()
    result.locator("summary").click()
    expect(rejects).to_have_text([
        "Предложение off-7 («Котёл «Тепло-24»»): цена «12,5,0» — не денежная сумма",
        "Предложение off-9 («Кабель ВВГ»): остаток 12.5 м (Основной склад) учтён как 12: "
        "портал считает остатки в целых единицах"])
    assert_no_horizontal_overflow(page)
    page.screenshot(path="/tmp/onec-warehouses-1366x768.png", full_page=True)
    shot(page, "onec-warehouses-1366")

    select.select_option(label="SH1 · Магазин на Арбате")
    odd.locator("[data-testid=onec-warehouse-save]").click()
    expect(page).to_have_url(live_server + "/admin/onec#warehouses")
    expect(page.locator(".flash-success")).to_have_text(
        "Остатки «Склад некондиции» теперь идут в SH1 · Магазин на Арбате: "
        "следующий пакет предложений из 1С учтёт их там.")
    odd = _warehouse_row(page, "Склад некондиции")
    expect(odd).not_to_have_class("row-unmapped")
    expect(odd.locator("[data-testid=onec-unmapped]")).to_have_count(0)
    expect(odd.locator("[data-testid=onec-warehouse-location]")).to_have_value(str(seeded["shop"]))

    page.reload()
    expect(page.locator(".flash-success")).to_have_count(0)
    expect(_warehouse_row(page, "Склад некондиции").locator("[data-testid=onec-warehouse-location]")).to_have_value(
        str(seeded["shop"]))
    with app.app_context():
        mapped = db.session.scalar(db.select(OnecWarehouse.location_id).where(OnecWarehouse.name == "Склад некондиции"))
    assert mapped == seeded["shop"]

    # A tablet in portrait: the same page without sideways scrolling, the row's select and button reachable.
    tablet = open_page("tablet", locale="ru-RU")
    sign_in(tablet, live_server, seeded["admin"], DEFAULT_PASSWORD)
    tablet.goto(live_server + "/admin/onec")
    tablet.locator("[data-testid=onec-import-result] summary").click()
    expect(_warehouse_row(tablet, "Склад некондиции").locator("[data-testid=onec-warehouse-save]")).to_be_visible()
    assert_no_horizontal_overflow(tablet)
    tablet.screenshot(path="/tmp/onec-warehouses-768x1024.png", full_page=True)
    shot(tablet, "onec-warehouses-tablet-ru")
