"""A shop's quick keys: the grid of favourite products on the till, for goods without a barcode.

The administrator sets a shop's keys and their order. A shop without any shows its best sellers of
the last 30 days instead (one query over the order lines of the shop's paid sales). A variant
sold counts for its product, whose tile then offers the sizes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import Location, Order, OrderLine, OrderStatus, Product, QuickKey, User, utcnow
from portal.services import audit
from portal.services.sales import catalog
from portal.services.transactions import operation

BEST_SELLER_DAYS = 30
GRID_SIZE = 12  # keys shown on the till; the administrator may set up to MAX_KEYS
MAX_KEYS = 24
SOLD_STATES = (OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED)


@dataclass
class QuickKeys:
    """What the till's grid shows: `chosen` is True when the administrator set the keys."""

    choices: list[catalog.ProductChoice]
    chosen: bool


def _shop(location_id: int) -> Location:
    shop = db.session.get(Location, location_id)
    if shop is None or not shop.is_shop:
        raise NotFound(_l("No such shop."))
    return shop


def chosen_products(location_id: int) -> list[Product]:
    """The keys the administrator set for the shop, in their order (withdrawn products left out)."""
    return list(db.session.scalars(
        db.select(Product).join(QuickKey, QuickKey.product_id == Product.id)
        .where(QuickKey.location_id == location_id, Product.active.is_(True))
        .order_by(QuickKey.position, QuickKey.id)))


def best_sellers(location_id: int, limit: int = GRID_SIZE, days: int = BEST_SELLER_DAYS) -> list[Product]:
    """The shop's most sold products (units kept, returns taken off) of the last `days` days; a
    variant counts for its product."""
    head_id = db.func.coalesce(Product.parent_id, Product.id)
    head = db.aliased(Product)
    units = db.func.sum(OrderLine.qty - OrderLine.returned_qty)
    rows = db.session.execute(
        db.select(head)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(head, head.id == head_id)
        .where(Order.location_id == location_id, Order.status.in_(SOLD_STATES),
               Order.paid_at >= utcnow() - timedelta(days=days), head.active.is_(True))
        .group_by(head.id)
        .having(units > 0)
        .order_by(units.desc(), head.name, head.id)
        .limit(limit))
    return [row[0] for row in rows]


def for_till(location_id: int, limit: int = GRID_SIZE) -> QuickKeys:
    """The till's grid: the shop's keys, else its best sellers, each with its stock (and sizes)."""
    chosen = chosen_products(location_id)[:limit]
    products = chosen or best_sellers(location_id, limit)
    return QuickKeys(catalog.group(products, location_id, lift_variants=False), bool(chosen))


def _snapshot(location_id: int) -> list[str]:
    return [product.sku for product in chosen_products(location_id)]


def _positions(location_id: int) -> list[QuickKey]:
    return list(db.session.scalars(db.select(QuickKey).where(QuickKey.location_id == location_id)
                                   .order_by(QuickKey.position, QuickKey.id)))


def _renumber(keys: list[QuickKey]) -> None:
    for position, key in enumerate(keys):
        key.position = position


@operation
def add_key(actor: User, location_id: int, code: str) -> Product:
    """Put the product with this SKU, Артикул or barcode at the end of the shop's keys."""
    _shop(location_id)
    before = _snapshot(location_id)
    found = catalog.find_by_code(code, location_id)
    if len(found) != 1:
        raise ValidationError({"code": _l("No product with the barcode or SKU %(code)s.", code=(code or "").strip()[:64])
                               if not found else _l("Several products have the code %(code)s: choose one.",
                                                    code=(code or "").strip()[:64])})
    product = found[0].product
    keys = _positions(location_id)
    if any(key.product_id == product.id for key in keys):
        raise ValidationError({"code": _l("%(name)s is on the quick keys already.", name=product.name)})
    if len(keys) >= MAX_KEYS:
        raise ValidationError({"code": _l("A shop has at most %(n)d quick keys.", n=MAX_KEYS)})
    db.session.add(QuickKey(location_id=location_id, product_id=product.id, position=len(keys)))
    db.session.flush()
    _record(actor, location_id, before)
    return product


@operation
def remove_key(actor: User, location_id: int, product_id: int) -> None:
    _shop(location_id)
    before = _snapshot(location_id)
    keys = _positions(location_id)
    kept = [key for key in keys if key.product_id != product_id]
    for key in keys:
        if key.product_id == product_id:
            db.session.delete(key)
    db.session.flush()
    _renumber(kept)
    _record(actor, location_id, before)


@operation
def move_key(actor: User, location_id: int, product_id: int, step: int) -> None:
    """Move a key one place earlier (step -1) or later (step 1)."""
    _shop(location_id)
    before = _snapshot(location_id)
    keys = _positions(location_id)
    index = next((i for i, key in enumerate(keys) if key.product_id == product_id), None)
    if index is None:
        raise NotFound(_l("No such product."))
    target = min(max(index + (1 if step > 0 else -1), 0), len(keys) - 1)
    keys.insert(target, keys.pop(index))
    _renumber(keys)
    db.session.flush()
    _record(actor, location_id, before)


def _record(actor: User, location_id: int, before: list[str]) -> None:
    after = _snapshot(location_id)
    if after != before:
        audit.record_id(actor, "quick_keys_changed", "locations", location_id, {"keys": before}, {"keys": after})
