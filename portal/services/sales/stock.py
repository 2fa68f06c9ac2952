"""Stock quantities: only this module changes them."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import bulk
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Location, Stock


class InsufficientStock(DomainError):
    code = "insufficient_stock"

    def __init__(self, sku: str, wanted: int, available: int, place: str | None = None):
        """`place` names the shop or warehouse short of the goods (a cashier reads "in Arbat shop",
        not "in stock", which in Russian reads as "at the warehouse")."""
        if place:
            message = _l("Not enough %(sku)s in %(place)s: %(available)d available, %(wanted)d wanted.",
                         sku=sku, place=place, available=available, wanted=wanted)
        else:
            message = _l("Not enough %(sku)s in stock: %(available)d available, %(wanted)d wanted.",
                         sku=sku, available=available, wanted=wanted)
        super().__init__(message)
        self.sku, self.wanted, self.available, self.place = sku, wanted, available, place


def take(product_id: int, sku: str, location_id: int, qty: int) -> None:
    """Take `qty` units; refuses (InsufficientStock) rather than go below zero, whatever runs beside it."""
    table = Stock.__table__
    result = db.session.execute(sa.update(table).where(
        table.c.product_id == product_id, table.c.location_id == location_id, table.c.quantity >= qty)
        .values(quantity=table.c.quantity - qty))
    if result.rowcount != 1:
        have = db.session.scalar(sa.select(table.c.quantity).where(
            table.c.product_id == product_id, table.c.location_id == location_id)) or 0
        place = db.session.scalar(sa.select(Location.name).where(Location.id == location_id))
        raise InsufficientStock(sku, qty, int(have), place)


def put_back(product_id: int, location_id: int, qty: int) -> None:
    table = Stock.__table__
    result = db.session.execute(sa.update(table).where(
        table.c.product_id == product_id, table.c.location_id == location_id)
        .values(quantity=table.c.quantity + qty))
    if result.rowcount == 0:
        db.session.add(Stock(product_id=product_id, location_id=location_id, quantity=qty))
        db.session.flush()


def set_level(product_id: int, location_id: int, qty: int) -> None:
    """Set (not add to) the quantity at a location, as a stock count or a catalogue import does."""
    if qty < 0:
        raise ValueError("a stock level cannot be negative")
    table = Stock.__table__
    result = db.session.execute(sa.update(table).where(
        table.c.product_id == product_id, table.c.location_id == location_id).values(quantity=qty))
    if result.rowcount == 0:
        db.session.execute(sa.insert(table).values(product_id=product_id, location_id=location_id, quantity=qty))


def set_levels(levels: list[tuple[int, int, int]]) -> None:
    """`set_level` for many (product, location, quantity) at once — a 1C package's thousands — in
    one read and two writes: the changed counts updated, the missing rows inserted."""
    if not levels:
        return
    if any(qty < 0 for _p, _loc, qty in levels):
        raise ValueError("a stock level cannot be negative")
    table = Stock.__table__
    have = {(p, loc): q for p, loc, q in db.session.execute(
        sa.select(table.c.product_id, table.c.location_id, table.c.quantity)
        .where(table.c.product_id.in_({p for p, _loc, _q in levels})))}
    changed = [{"p": p, "l": loc, "q": q} for p, loc, q in levels if (p, loc) in have and have[(p, loc)] != q]
    missing = [{"product_id": p, "location_id": loc, "quantity": q} for p, loc, q in levels if (p, loc) not in have]
    if changed:
        db.session.execute(sa.update(table).where(table.c.product_id == sa.bindparam("p"),
                                                  table.c.location_id == sa.bindparam("l"))
                           .values(quantity=sa.bindparam("q")), changed)
    bulk.insert(table, missing)


def total_by_product(product_ids: list[int]) -> dict[int, int]:
    return {pid: int(q) for pid, q in db.session.execute(
        sa.select(Stock.product_id, sa.func.sum(Stock.quantity)).where(Stock.product_id.in_(product_ids))
        .group_by(Stock.product_id))}


def at_location(product_ids, location_id: int | None) -> dict[int, int]:
    """Units of each product at one location (a product with no stock row there is left out)."""
    product_ids = list(product_ids)
    if not product_ids or location_id is None:
        return {}
    return {pid: int(q) for pid, q in db.session.execute(
        sa.select(Stock.product_id, Stock.quantity).where(Stock.product_id.in_(product_ids),
                                                          Stock.location_id == location_id))}
