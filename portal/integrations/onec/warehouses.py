"""1C's warehouses and the portal locations their stock goes to (issue 15, point 3).

An offers package names its warehouses (Склады) and each offer's stock per warehouse
(`<Склад ИдСклада КоличествоНаСкладе>`, or Остатки/Остаток/Склад). Each 1C warehouse is a row
here; the administrator maps it to a location on the 1C page. A warehouse first seen is mapped to
the active location of exactly its name, if there is one, else left unmapped: its stock is
counted nowhere, and the page lists it with the units the last package put there. Several 1C
warehouses may feed one location (their stock is added up); a mapped location an offer does not
name gets 0 of it. An offer in the older shape, with only its total Количество, sets the stock
of the location ONEC_WAREHOUSE, else the main warehouse, as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import Location, OnecWarehouse, User
from portal.services import audit
from portal.services.transactions import operation


@dataclass
class WarehouseRow:
    id: int
    onec_id: str
    name: str
    location: Location | None
    unmapped_quantity: Decimal
    seen_at: datetime | None


def note(warehouses: list[tuple[str, str]], now: datetime) -> None:
    """Remember the warehouses a package declares ((Ид, Наименование) pairs), in the caller's transaction."""
    known = {w.onec_id: w for w in db.session.scalars(
        sa.select(OnecWarehouse).where(OnecWarehouse.onec_id.in_([i for i, _ in warehouses])))}
    for onec_id, name in warehouses:
        row = known.get(onec_id)
        if row is None:
            same_name = list(db.session.scalars(sa.select(Location.id).where(
                sa.func.lower(Location.name) == name.strip().lower(), Location.active.is_(True)).limit(2))
                ) if name.strip() else []
            location_id = same_name[0] if len(same_name) == 1 else None  # two of that name: a person chooses
            row = OnecWarehouse(onec_id=onec_id[:80], name=(name or onec_id)[:200], location_id=location_id,
                                unmapped_quantity="0")
            db.session.add(row)
            known[onec_id] = row
        elif name and row.name != name:
            row.name = name[:200]
        row.seen_at = now
    db.session.flush()


def mapping() -> dict[str, int | None]:
    """1C warehouse Ид -> the location its stock goes to (None: counted nowhere)."""
    return dict(db.session.execute(sa.select(OnecWarehouse.onec_id, OnecWarehouse.location_id)).all())


def record_unmapped(totals: dict[str, Decimal]) -> None:
    """The units the last package put at each unmapped warehouse; the others show 0."""
    for row in db.session.scalars(sa.select(OnecWarehouse)):
        value = totals.get(row.onec_id, Decimal(0)) if row.location_id is None else Decimal(0)
        text = format(value.normalize(), "f") if value else "0"
        if row.unmapped_quantity != text and (row.onec_id in totals or row.location_id is not None
                                              or row.unmapped_quantity != "0"):
            row.unmapped_quantity = text


def listing() -> list[WarehouseRow]:
    rows = db.session.execute(sa.select(OnecWarehouse, Location).outerjoin(
        Location, Location.id == OnecWarehouse.location_id).order_by(OnecWarehouse.name, OnecWarehouse.id)).all()
    return [WarehouseRow(w.id, w.onec_id, w.name, loc, Decimal(w.unmapped_quantity or "0"), w.seen_at)
            for w, loc in rows]


@operation
def set_location(actor: User, warehouse_id: int, location_id: int | None) -> OnecWarehouse:
    """The administrator maps a 1C warehouse to a location (None: its stock is counted nowhere)."""
    row = db.session.get(OnecWarehouse, warehouse_id)
    if row is None:
        raise NotFound("no such 1C warehouse")
    if location_id is not None and row.location_id != location_id:
        location = db.session.get(Location, location_id)
        if location is None:
            raise NotFound("no such location")
        if not location.active:
            raise ValidationError({"location_id": _l("%(location)s is closed: choose an open location.",
                                                    location=location.name)})
    if row.location_id != location_id:
        audit.record(actor, "onec_warehouse_mapped", row, {"location_id": row.location_id},
                     {"location_id": location_id})
        row.location_id = location_id
        if location_id is not None:
            row.unmapped_quantity = "0"
    return row
