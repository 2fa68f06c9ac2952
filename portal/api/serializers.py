"""Domain objects as the API contract shows them. Money is a string with two decimals."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from portal.ledger import Bonus, Leg
from portal.models import Client, Order, Product, Return
from portal.money import format_plain


def when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def product(p: Product, stock_total: int) -> dict:
    return {"sku": p.sku, "name": p.name, "price": format_plain(p.price),
            "section": p.section.path if p.section else None, "returnable": p.returnable,
            "discountable": p.discountable, "stock": stock_total}


def bonus(client_id: int, b: Bonus) -> dict:
    return {
        "client_id": client_id,
        "currency": current_app.config["PORTAL_CURRENCY"],
        "available": format_plain(b.available),
        "pending": format_plain(b.pending),
        "expiring_30d": format_plain(b.expiring_30d),
        "next_release": None if b.next_release_at is None else {
            "amount": format_plain(b.next_release_amount), "date": b.next_release_at.date().isoformat()},
    }


def client(c: Client, b: Bonus) -> dict:
    whole, frac = divmod(c.discount_bp, 100)
    return {"id": c.id, "name": c.name, "phone": c.primary_phone, "email": c.primary_email or None,
            "discount_percent": f"{whole}.{frac:02d}", "bonus": bonus(c.id, b)}


def leg(item: Leg) -> dict:
    return {"id": item.id, "at": when(item.at), "kind": item.kind, "bucket": item.bucket.value,
            "amount": ("-" if item.amount < 0 else "") + format_plain(abs(item.amount)),
            "order_id": item.order_id, "return_id": item.return_id}


def order(o: Order) -> dict:
    return {
        "id": o.id, "number": o.number, "external_id": o.external_id, "client_id": o.client_id,
        "status": o.status.value, "created_at": when(o.created_at),
        "subtotal": format_plain(o.subtotal), "discount": format_plain(o.discount),
        "bonus_redeemed": format_plain(o.bonus_redeemed), "paid": format_plain(o.paid),
        "accrual": format_plain(o.accrual),
        "payments": [{"method": p.method.value, "amount": format_plain(p.amount)} for p in o.payments],
        "lines": [{"sku": line.sku, "qty": line.qty, "price": format_plain(line.price),
                   "discount": format_plain(line.discount), "bonus": format_plain(line.bonus),
                   "paid": format_plain(line.paid), "accrual": format_plain(line.accrual),
                   "returned_qty": line.returned_qty} for line in o.lines],
    }


def return_(r: Return) -> dict:
    by_method: dict[str, int] = {}
    for refund in r.refunds:
        by_method[refund.method.value] = by_method.get(refund.method.value, 0) + refund.amount
    return {
        "id": r.id, "order_id": r.order_id, "created_at": when(r.created_at), "reason": r.reason,
        "lines": [{"sku": part.order_line.sku, "qty": part.qty, "refund": format_plain(part.refund),
                   "bonus_restored": format_plain(part.bonus_restored),
                   "accrual_reversed": format_plain(part.accrual_reversed)} for part in r.lines],
        "refund": {"total": format_plain(r.refund_total),
                   "by_method": {method: format_plain(amount) for method, amount in by_method.items()}},
        "bonus_restored": format_plain(r.bonus_restored),
        "accrual_reversed": format_plain(r.accrual_reversed),
        "withheld": format_plain(r.withheld),
    }
