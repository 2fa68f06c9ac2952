"""What clients owe: orders delivered on deferred terms and not yet paid in full (SPEC §3).

Aggregated in SQL. A prepaid order owes nothing: its goods wait for the money.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.clock import local_date
from portal.extensions import db
from portal.models import Order, OrderStatus, PaymentTerms

_outstanding = Order.paid - Order.received


def owing_conditions() -> tuple:
    """SQL conditions on Order: delivered on deferred terms and not yet paid in full."""
    return (Order.payment_terms == PaymentTerms.DEFERRED, Order.status == OrderStatus.CONFIRMED,
            Order.paid > Order.received)


def open_sum():
    return db.func.coalesce(db.func.sum(_outstanding), 0)


def overdue_sum(today: date):
    return db.func.coalesce(db.func.sum(db.case((Order.due_date < today, _outstanding), else_=0)), 0)


@dataclass(frozen=True)
class Debt:
    open: int  # minor units owed now
    overdue: int  # the part of it past its due date
    days_overdue: int  # of the oldest overdue order; 0 when nothing is overdue

    @property
    def any(self) -> bool:
        return self.open > 0


def debt_of(client_id: int, today: date | None = None) -> Debt:
    return debts_of([client_id], today).get(client_id, Debt(0, 0, 0))


def debts_of(client_ids: list[int], today: date | None = None) -> dict[int, Debt]:
    """Debt of many clients in one query; clients who owe nothing are left out."""
    today = today or local_date()
    if not client_ids:
        return {}
    rows = db.session.execute(
        db.select(Order.client_id, open_sum(), overdue_sum(today),
                  db.func.min(db.case((Order.due_date < today, Order.due_date), else_=None)))
        .where(Order.client_id.in_(client_ids), *owing_conditions()).group_by(Order.client_id)).all()
    return {cid: Debt(int(o), int(od), (today - due).days if due else 0) for cid, o, od, due in rows}


def owing_clients_query():
    """A subquery of the ids of clients with open debt, for list filters."""
    return db.select(Order.client_id).where(*owing_conditions()).distinct()
