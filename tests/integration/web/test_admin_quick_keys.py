"""Administrator: a shop's quick keys through the pages (a warehouse has none; a wrong code is
marked and kept; each change is audited)."""
from portal.extensions import db
from portal.models import AuditEvent, QuickKey

from ...factories import make_location, make_product


def test_a_shops_quick_keys_are_set_on_its_page(app, client, login):
    login("admin")
    with app.app_context():
        shop = make_location("shop", code="ARB", name="Arbat")
        warehouse = make_location("warehouse", code="MAIN")
        make_product("TAPE", 99_00, stock={shop: 5}, name="Loose tape")
        shop_id, warehouse_id = shop.id, warehouse.id
    page = client.get(f"/admin/locations/{shop_id}/quick-keys").get_data(as_text=True)
    assert "the till shows the best sellers of the last 30 days" in page
    assert f"/admin/locations/{shop_id}/quick-keys" in client.get(f"/admin/locations/{shop_id}").get_data(as_text=True)
    assert client.get(f"/admin/locations/{warehouse_id}/quick-keys").status_code == 404
    assert client.post(f"/admin/locations/{warehouse_id}/quick-keys/add", data={"code": "TAPE"}).status_code == 404

    wrong = client.post(f"/admin/locations/{shop_id}/quick-keys/add", data={"code": "TAP"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert "No product with the barcode or SKU TAP." in html and 'value="TAP"' in html and 'aria-invalid="true"' in html

    done = client.post(f"/admin/locations/{shop_id}/quick-keys/add", data={"code": "tape"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Loose tape is on the quick keys." in page and 'data-testid="quick-key-row" data-sku="TAPE"' in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(QuickKey.id)).where(QuickKey.location_id == shop_id)) == 1
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "quick_keys_changed"))
        assert (event.object_type, event.object_id, event.before, event.after) == (
            "locations", shop_id, {"keys": []}, {"keys": ["TAPE"]})
