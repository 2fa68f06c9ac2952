"""The catalogue as the cabinets read it."""
from __future__ import annotations

from ..extensions import db
from ..models import Product, Stock


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
