"""Finding orders across every channel: the base of all sales."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from portal.clock import day_start
from portal.extensions import db
from portal.models import Client, ClientPhone, Order
from portal.phones import PhoneError, normalize_phone


@dataclass
class OrderFilter:
    number: str = ""
    phone: str = ""
    date_from: date | None = None
    date_to: date | None = None
    location_id: int | None = None


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
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
