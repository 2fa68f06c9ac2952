"""portal/bulk.insert: many rows stored exactly as an INSERT stores them (COPY on PostgreSQL)."""
from __future__ import annotations

from datetime import UTC, datetime

from portal import bulk
from portal.extensions import db
from portal.models import AuditEvent, Product


def test_rows_come_back_as_written_json_moments_defaults_and_cyrillic(ctx):
    moment = datetime(2026, 12, 7, 21, 5, 30, 123456, tzinfo=UTC)
    rows = [{"at": moment, "actor_id": None, "action": "1c:product_created", "object_type": "products",
             "object_id": n, "before": None if n % 2 else {"price": n},
             "after": {"name": f"Ботфорты «{n}»\ttab\\slash", "price": n * 100, "active": True}} for n in range(120)]
    bulk.insert(AuditEvent.__table__, rows)
    products = [{"sku": f"БТ/{n}", "name": f"Размер {n}", "price": n, "returnable": True, "discountable": True,
                 "warranty_months": 0, "onec_id": f"P#{n}"} for n in range(bulk.COPY_FROM + 5)]
    bulk.insert(Product.__table__, products)  # `active` left out: the column's default
    db.session.commit()
    db.session.expire_all()
    found = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "1c:product_created")
                               .order_by(AuditEvent.object_id)).all()
    assert len(found) == 120
    assert [(e.at, e.before, e.after) for e in found[:2]] == [
        (moment, {"price": 0}, {"name": "Ботфорты «0»\ttab\\slash", "price": 0, "active": True}),
        (moment, None, {"name": "Ботфорты «1»\ttab\\slash", "price": 100, "active": True})]
    stored = db.session.scalars(db.select(Product).where(Product.onec_id.like("P#%")).order_by(Product.price)).all()
    assert [(p.sku, p.active) for p in stored[:2]] == [("БТ/0", True), ("БТ/1", True)]
    assert len(stored) == bulk.COPY_FROM + 5
