"""The admin's 1C page through the test client: 1C's warehouses and the locations they feed, and
each import's counts with every kept refusal in the reader's language (issue 15, points 3 and 6)."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from portal.extensions import db
from portal.models import AuditEvent, OnecImport, OnecSession, OnecWarehouse

from ...factories import make_location

REJECTS = [
    {"code": "bad_price", "params": {"id": "off-7", "name": "Котёл «Тепло-24»", "price": "12,5,0"}},
    {"code": "fraction_rounded", "params": {"id": "off-9", "name": "Кабель ВВГ", "quantity": "12.5", "unit": "м",
                                            "place": "Main warehouse", "kept": "12"}},
    "Product 42 («Old style»): an older import's English text",
    {"code": "no_such_code_any_more", "params": {}},
]


def _seed(app, *, rejects=REJECTS, warehouse=True):
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        shop = make_location("shop", code="SH1", name="Arbat shop")
        closed = make_location("shop", code="OLD", name="Closed shop", active=False)
        session = OnecSession(token_hash="a" * 64, kind="catalog")
        db.session.add(session)
        db.session.flush()
        db.session.add(OnecImport(session_id=session.id, filename="offers.xml", status="done", position=12, counts={
            "created": 3, "updated": 5, "variants": 2, "offers": 9, "rejected": 1, "rounded": 1, "deactivated": 4,
            "rejects": rejects}))
        ids = {"main": main.id, "shop": shop.id, "closed": closed.id}
        if warehouse:
            seen = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
            odd = OnecWarehouse(onec_id="wh-defect-0001", name="Склад некондиции", location_id=None,
                                unmapped_quantity="6", seen_at=seen)
            fed = OnecWarehouse(onec_id="wh-main-0002", name="Основной", location_id=main.id,
                                unmapped_quantity="0", seen_at=seen)
            db.session.add_all([odd, fed])
            db.session.flush()
            ids.update(odd=odd.id, fed=fed.id)
        db.session.commit()
        return ids


def _rows(html: str) -> dict[str, str]:
    """Each warehouse row's HTML by the warehouse's name."""
    rows = html.split('<tr data-testid="onec-warehouse"')[1:]
    return {re.search(r'data-testid="onec-warehouse-name">([^<]+)<', row).group(1): row.split("</tr>")[0]
            for row in rows}


def _mapped(app, warehouse_id):
    with app.app_context():
        return db.session.get(OnecWarehouse, warehouse_id).location_id


def test_the_page_in_russian_shows_the_unmapped_warehouse_and_the_refusals(app, client, login):
    ids = _seed(app)
    login("admin", locale="ru")
    html = client.get("/admin/onec").get_data(as_text=True)
    assert "Склады 1С" in html
    rows = _rows(html)
    assert list(rows) == ["Основной", "Склад некондиции"]
    odd, fed = rows["Склад некондиции"], rows["Основной"]
    assert "Не учитывается: 6 ед. в последнем пакете" in odd
    assert "wh-defect-0001" in odd and 'class="row-unmapped"' in odd
    assert "row-unmapped" not in fed and 'data-testid="onec-unmapped"' not in fed
    # the mapped one has its location chosen; the inactive location is not offered to a warehouse not on it
    assert re.search(rf'<option selected value="{ids["main"]}">MAIN · Main warehouse</option>', fed)
    assert "Closed shop" not in html
    assert "— не учитывается —" in html
    # the import: every count, and every kept refusal in Russian (an old English one as it was)
    assert ("Создано 3, обновлено 5, вариантов 2, предложений 9, отклонено 1, округлено 1, снято с продажи 4"
            in html)
    assert "4 отказа и замечания" in html
    assert "Предложение off-7 («Котёл «Тепло-24»»): цена «12,5,0» — не денежная сумма" in html
    assert "Предложение off-9 («Кабель ВВГ»): остаток 12.5 м (Main warehouse) учтён как 12" in html
    assert "Product 42 («Old style»): an older import&#39;s English text" in html
    assert "no_such_code_any_more" in html


def test_every_kept_refusal_is_listed_and_the_page_says_when_more_were_refused(app, client, login):
    rejects = [{"code": "empty_id", "params": {}}] * 100
    _seed(app, rejects=rejects, warehouse=False)
    with app.app_context():
        imp = db.session.scalar(db.select(OnecImport))
        imp.counts = {**imp.counts, "rejected": 130}
        db.session.commit()
    login("admin", locale="uk")
    html = client.get("/admin/onec").get_data(as_text=True)
    assert html.count('data-testid="onec-reject"') == 100
    assert "Елемент має порожній Ид" in html
    assert "Збережено лише перші 100 із 131." in html


def test_no_warehouse_yet_is_said_plainly(app, client, login):
    _seed(app, warehouse=False)
    login("admin")
    html = client.get("/admin/onec").get_data(as_text=True)
    assert 'data-testid="onec-no-warehouses"' in html
    assert "The first offers package that lists its warehouses" in html


def test_mapping_a_warehouse_is_saved_said_and_audited(app, client, login):
    ids = _seed(app)
    login("admin")
    response = client.post(f"/admin/onec/warehouses/{ids['odd']}", data={f"wh{ids['odd']}-location_id": str(ids["shop"])})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/onec#warehouses")
    assert _mapped(app, ids["odd"]) == ids["shop"]
    html = client.get("/admin/onec").get_data(as_text=True)
    assert ("Склад некондиции feeds SH1 · Arbat shop now: the next offers package from 1C counts its stock there."
            in html)
    assert 'data-testid="onec-unmapped"' not in html
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "onec_warehouse_mapped"))
        assert event.after == {"location_id": ids["shop"]} and event.before == {"location_id": None}

    response = client.post(f"/admin/onec/warehouses/{ids['fed']}", data={f"wh{ids['fed']}-location_id": ""},
                           follow_redirects=True)
    assert "Основной is counted nowhere now" in response.get_data(as_text=True)
    assert _mapped(app, ids["fed"]) is None


def test_a_bad_location_is_refused_on_its_row_and_changes_nothing(app, client, login):
    ids = _seed(app)
    login("admin")
    for bad in (str(ids["closed"]), "999999", "abc", "١", None):
        data = {} if bad is None else {f"wh{ids['fed']}-location_id": bad}
        response = client.post(f"/admin/onec/warehouses/{ids['fed']}", data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, bad
        assert "Choose a location from the list, or “— not counted —”." in html
        assert f'id="wh{ids["fed"]}-location_id-errors"' in html
        assert 'aria-invalid="true"' in html
        assert _mapped(app, ids["fed"]) == ids["main"]
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "onec_warehouse_mapped")) is None


def test_a_warehouse_on_a_closed_location_keeps_it_offered(app, client, login):
    ids = _seed(app)
    with app.app_context():
        db.session.get(OnecWarehouse, ids["fed"]).location_id = ids["closed"]
        db.session.commit()
    login("admin")
    html = client.get("/admin/onec").get_data(as_text=True)
    assert re.search(rf'<option selected value="{ids["closed"]}">OLD · Closed shop \(inactive\)</option>', html)
    response = client.post(f"/admin/onec/warehouses/{ids['fed']}",
                           data={f"wh{ids['fed']}-location_id": str(ids["closed"])})
    assert response.status_code == 303
    assert _mapped(app, ids["fed"]) == ids["closed"]


def test_an_unknown_warehouse_is_not_found(app, client, login):
    _seed(app, warehouse=False)
    login("admin")
    assert client.post("/admin/onec/warehouses/424242", data={"wh424242-location_id": ""}).status_code == 404
