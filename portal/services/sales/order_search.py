"""Finding orders across every channel: the base of all sales."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from portal.clock import day_start
from portal.extensions import db
from portal.models import Client, ClientPhone, Order, OrderStatus
from portal.phones import PhoneError, normalize_phone

# Which orders the list shows: paid sales of every channel by default (returned ones too: they were
# sales); orders not paid yet (a manager's drafts, orders awaiting approval or the client's
# confirmation, confirmed ones awaiting payment), cancelled ones, or everything only when asked.
STATES = {
    "paid": (OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED),
    "unpaid": (OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_CONFIRMATION,
               OrderStatus.CONFIRMED),
    "cancelled": (OrderStatus.CANCELLED,),
    "all": None,
}
DEFAULT_STATE = "paid"


def state_of(text: str | None) -> str:
    """The list's state filter from the query string; anything unknown is the default."""
    return text if text in STATES else DEFAULT_STATE


@dataclass
class OrderFilter:
    number: str = ""
    phone: str = ""
    date_from: date | None = None
    date_to: date | None = None
    location_id: int | None = None
    state: str = DEFAULT_STATE


def search_orders(f: OrderFilter, page: int = 1, per_page: int = 30):
    stmt = db.select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if f.number.strip():
        text = f.number.strip().upper()
        stmt = stmt.where(db.or_(Order.number == text, Order.number.like(f"%{text}"), Order.external_id == f.number.strip()))
    if f.phone.strip():
        try:
            number = normalize_phone(f.phone, current_app.config["PORTAL_COUNTRY"])
        except PhoneError:
            number = None
        stmt = stmt.join(Client, Client.id == Order.client_id).join(ClientPhone, ClientPhone.client_id == Client.id) \
            .where(ClientPhone.number == (number or "-"))
    if f.date_from:
        stmt = stmt.where(Order.created_at >= day_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(Order.created_at < day_start(f.date_to + timedelta(days=1)))
    if f.location_id:
        stmt = stmt.where(Order.location_id == f.location_id)
    if STATES.get(f.state) is not None:
        stmt = stmt.where(Order.status.in_(STATES[f.state]))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
