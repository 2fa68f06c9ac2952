"""An order's history of changes (the audit trail of orders): the order as plain values, and an
entry with only what changed. Every service that changes an order writes its entry here."""
from __future__ import annotations

from portal.models import Order, User
from portal.money import format_plain
from portal.services import audit


def snapshot(order: Order) -> dict:
    """The order as plain values, for the history of changes."""
    return {
        "status": order.status.value,
        "client": order.client.name if order.client else None,
        "location": order.location.name if order.location else None,
        "lines": [f"{line.sku} × {line.qty} @ {format_plain(line.price)}, −{format_plain(line.discount_bp)} %"
                  for line in order.lines],
        "subtotal": order.subtotal, "discount": order.discount, "bonus": order.bonus_redeemed, "to_pay": order.paid,
        "received": order.received,
        "payment_terms": order.payment_terms.value if order.payment_terms else None,
        "due_date": order.due_date.isoformat() if order.due_date else None,
        "delivery_method": order.delivery_method.value if order.delivery_method else None,
        "delivery_address": order.delivery_address, "delivery_date":
            order.delivery_date.isoformat() if order.delivery_date else None,
        "comment": order.comment,
    }


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what differs, so the history reads as what changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record_change(actor: User | None, action: str, order: Order, before: dict) -> None:
    """An entry in the order's history: only what changed (everything, when it was just made)."""
    if not before:
        audit.record(actor, action, order, None, snapshot(order))
        return
    b, a = changes(before, snapshot(order))
    audit.record(actor, action, order, b, a)
