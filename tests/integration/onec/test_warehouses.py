"""1C's warehouses as the admin's page reads and changes them: `listing` and `set_location`
(portal/integrations/onec/warehouses.py)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.integrations.onec import warehouses
from portal.models import AuditEvent, OnecWarehouse

from ...factories import make_location, make_staff

SEEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def place(ctx):
    """A main warehouse, a shop, and 1C's two warehouses as a package left them: "Основной склад"
    mapped by its name, "Склад некондиции" unmapped with 6 units counted nowhere."""
    main = make_location("warehouse", code="MAIN", name="Основной склад", is_main=True)
    shop = make_location("shop", code="SH1", name="Arbat shop")
    warehouses.note([("wh-defect", "Склад некондиции"), ("wh-main", "Основной склад")], SEEN)
    warehouses.record_unmapped({"wh-defect": Decimal("6"), "wh-main": Decimal("40")})
    db.session.commit()
    ids = dict(db.session.execute(db.select(OnecWarehouse.onec_id, OnecWarehouse.id)).all())
    return {"main": main.id, "shop": shop.id, "defect": ids["wh-defect"], "wh_main": ids["wh-main"],
            "admin": make_staff("admin")}


def _events():
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "onec_warehouse_mapped")))


def test_listing_gives_each_warehouse_its_location_and_what_was_counted_nowhere(place):
    rows = warehouses.listing()
    assert [(r.name, r.onec_id) for r in rows] == [("Основной склад", "wh-main"), ("Склад некондиции", "wh-defect")]
    mapped, unmapped = rows
    assert mapped.location.id == place["main"] and mapped.unmapped_quantity == Decimal(0)
    assert unmapped.location is None and unmapped.unmapped_quantity == Decimal(6)
    assert unmapped.seen_at == SEEN and unmapped.id == place["defect"]


def test_mapping_a_warehouse_counts_it_there_and_is_audited(place):
    admin = place["admin"]
    row = warehouses.set_location(admin, place["defect"], place["shop"])
    assert (row.location_id, row.unmapped_quantity) == (place["shop"], "0")
    db.session.expire_all()
    listed = {r.onec_id: r for r in warehouses.listing()}["wh-defect"]
    assert listed.location.id == place["shop"] and listed.unmapped_quantity == Decimal(0)
    [event] = _events()
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "onec_warehouses", place["defect"])
    assert (event.before, event.after) == ({"location_id": None}, {"location_id": place["shop"]})
    assert warehouses.mapping()["wh-defect"] == place["shop"]


def test_choosing_the_same_location_again_writes_no_event(place):
    warehouses.set_location(place["admin"], place["wh_main"], place["main"])
    assert _events() == []


def test_not_counted_any_more(place):
    warehouses.set_location(place["admin"], place["wh_main"], None)
    db.session.expire_all()
    assert db.session.get(OnecWarehouse, place["wh_main"]).location_id is None
    assert [(e.before, e.after) for e in _events()] == [({"location_id": place["main"]}, {"location_id": None})]


@pytest.mark.parametrize("what", ["warehouse", "location"])
def test_an_unknown_warehouse_or_location_changes_nothing(place, what):
    warehouse_id, location_id = (424242, place["shop"]) if what == "warehouse" else (place["defect"], 424242)
    with pytest.raises(NotFound):
        warehouses.set_location(place["admin"], warehouse_id, location_id)
    db.session.rollback()
    row = db.session.get(OnecWarehouse, place["defect"])
    assert (row.location_id, row.unmapped_quantity) == (None, "6")
    assert _events() == []


def test_a_closed_location_is_refused_but_a_warehouse_may_stay_where_it_is(place):
    closed = make_location("shop", code="OLD", name="Old shop", active=False)
    with pytest.raises(ValidationError) as refused:
        warehouses.set_location(place["admin"], place["defect"], closed.id)
    assert str(refused.value.fields["location_id"]) == "Old shop is closed: choose an open location."
    db.session.rollback()
    assert db.session.get(OnecWarehouse, place["defect"]).location_id is None and _events() == []
    db.session.get(OnecWarehouse, place["wh_main"]).location_id = closed.id
    db.session.commit()
    assert warehouses.set_location(place["admin"], place["wh_main"], closed.id).location_id == closed.id
