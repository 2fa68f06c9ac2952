"""The catalogue as the cabinets read it."""
from __future__ import annotations

from portal.extensions import db
from portal.models import Barcode, Location, Product, Stock


def location_stock_overview(location_id: int, low_threshold: int = 3, limit: int = 12) -> dict:
    """Products in stock, units, running-low products and products out of stock at a location."""
    in_stock, units = db.session.execute(
        db.select(db.func.count(Stock.id), db.func.coalesce(db.func.sum(Stock.quantity), 0))
        .where(Stock.location_id == location_id, Stock.quantity > 0)).one()
    active_products = db.session.scalar(db.select(db.func.count(Product.id)).where(Product.active.is_(True))) or 0
    low = db.session.execute(
        db.select(Product, Stock.quantity).join(Stock, Stock.product_id == Product.id)
        .where(Stock.location_id == location_id, Stock.quantity > 0, Stock.quantity <= low_threshold)
        .order_by(Stock.quantity, Product.sku).limit(limit)).all()
    return {
        "products_in_stock": int(in_stock),
        "units": int(units),
        "out_of_stock": int(active_products) - int(in_stock),
        "running_low": low,
        "low_threshold": low_threshold,
    }


def stock_by_location(product_ids: list[int]) -> dict[int, list[tuple[Location, int]]]:
    """Every active location's stock of each product (zeros left out), shops and warehouses by name."""
    result: dict[int, list[tuple[Location, int]]] = {pid: [] for pid in product_ids}
    if not product_ids:
        return result
    rows = db.session.execute(
        db.select(Stock.product_id, Location, Stock.quantity).join(Location, Location.id == Stock.location_id)
        .where(Stock.product_id.in_(product_ids), Stock.quantity > 0, Location.active.is_(True))
        .order_by(Location.name)).all()
    for pid, location, qty in rows:
        result[pid].append((location, int(qty)))
    return result


def find_products(query: str, limit: int = 10) -> list[Product]:
    """Active products whose SKU, barcode or name contains the query (any case); exact SKU first."""
    text = (query or "").strip().lower()[:100]
    if len(text) < 2:
        return []
    like = f"%{text}%"
    barcode_match = db.select(Barcode.product_id).where(Barcode.code == query.strip())
    return list(db.session.scalars(
        db.select(Product).where(Product.active.is_(True),
                                 db.or_(db.func.lower(Product.sku).like(like), db.func.lower(Product.name).like(like),
                                        Product.id.in_(barcode_match)))
        .order_by(db.func.lower(Product.sku) != text, Product.name).limit(limit)))


def analogues_in_stock(product: Product, location_id: int) -> list[tuple[Product, int]]:
    """The product's analogues with their stock at the location, those in stock first."""
    ids = [a.id for a in product.analogues if a.active]
    if not ids:
        return []
    here = dict(db.session.execute(db.select(Stock.product_id, Stock.quantity).where(
        Stock.product_id.in_(ids), Stock.location_id == location_id)).all())
    found = [(a, int(here.get(a.id, 0))) for a in product.analogues if a.active]
    return sorted(found, key=lambda pair: (pair[1] == 0, pair[0].name))
