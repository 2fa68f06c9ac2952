"""Warehouses and shops."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import Location, LocationKind, Role, Stock, User
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.transactions import operation
from portal.text import squash

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")


@dataclass
class LocationInput:
    code: str
    name: str
    kind: str
    address: str = ""
    phone: str = ""
    is_main: bool = False
    active: bool = True
    fiscal_register_url: str = ""  # a shop's fiscal register: its ATOL driver web server, http(s)://host:port


def _snapshot(loc: Location) -> dict:
    return {"code": loc.code, "name": loc.name, "kind": loc.kind.value, "address": loc.address,
            "phone": loc.phone, "is_main": loc.is_main, "active": loc.active,
            "fiscal_register_url": loc.fiscal_register_url}


def _clean(data: LocationInput, location_id: int | None) -> dict:
    errors: dict = {}
    code = (data.code or "").strip().upper()
    if not CODE_PATTERN.match(code):
        errors["code"] = _l("Use 1–20 Latin letters, digits, '-' or '_'.")
    else:
        clash = db.session.scalar(db.select(Location.id).where(Location.code == code))
        if clash is not None and clash != location_id:
            errors["code"] = _l("This code is already used.")
    name = squash(data.name)
    if not name:
        errors["name"] = _l("Enter the name.")
    elif len(name) > 200:
        errors["name"] = _l("The name is too long.")
    try:
        kind = LocationKind(data.kind)
    except ValueError:
        errors["kind"] = _l("Choose warehouse or shop.")
        kind = None
    phone = ""
    if data.phone and data.phone.strip():
        try:
            phone = normalize_phone(data.phone, current_app.config["PORTAL_COUNTRY"])
        except PhoneError as exc:
            errors["phone"] = str(exc)
    address = squash(data.address)
    if len(address) > 500:
        errors["address"] = _l("The address is too long.")
    if data.is_main and kind is not LocationKind.WAREHOUSE:
        errors["is_main"] = _l("Only a warehouse can be the main one.")
    if data.is_main and not data.active:
        errors["is_main"] = _l("The main warehouse must be active.")
    if location_id is not None and not data.active:
        cashiers = db.session.scalar(db.select(db.func.count(User.id)).where(
            User.shop_id == location_id, User.role == Role.CASHIER, User.active.is_(True)))
        if cashiers:
            errors["active"] = _l("Active cashiers work here: move them to another shop first.")
    if location_id is not None and kind is LocationKind.WAREHOUSE:
        cashiers = db.session.scalar(db.select(db.func.count(User.id)).where(
            User.shop_id == location_id, User.role == Role.CASHIER))
        if cashiers:
            errors["kind"] = _l("Cashiers are attached to this shop: it cannot become a warehouse.")
    register_url, problem = _register_url(data.fiscal_register_url)
    if problem:
        errors["fiscal_register_url"] = problem
    if errors:
        raise ValidationError(errors)
    return {"code": code, "name": name, "kind": kind, "address": address, "phone": phone,
            "is_main": bool(data.is_main), "active": bool(data.active), "fiscal_register_url": register_url}


def _register_url(text: str | None) -> tuple[str, str | None]:
    """The fiscal register's address as stored (no trailing slash), or what is wrong with it. Empty is
    allowed: the shop has no register (its fiscal documents wait until one is set)."""
    url = (text or "").strip().rstrip("/")
    if not url:
        return "", None
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return url, _l("Enter an address like http://10.0.5.20:16732.")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or any(c.isspace() for c in url):
        return url, _l("Enter an address like http://10.0.5.20:16732.")
    if len(url) > 300:
        return url, _l("The address is too long.")
    return url, None


def _make_only_main(location: Location) -> None:
    if location.is_main:
        db.session.execute(db.update(Location).where(Location.id != location.id).values(is_main=False))


@operation
def create_location(actor: User | None, data: LocationInput) -> Location:
    location = Location(**_clean(data, None))
    db.session.add(location)
    db.session.flush()
    _make_only_main(location)
    audit.record(actor, "location_created", location, after=_snapshot(location))
    return location


@operation
def update_location(actor: User, location_id: int, data: LocationInput) -> Location:
    location = get_location(location_id)
    values = _clean(data, location.id)
    before = _snapshot(location)
    for key, value in values.items():
        setattr(location, key, value)
    _make_only_main(location)
    audit.record(actor, "location_updated", location, before=before, after=_snapshot(location))
    return location


def get_location(location_id: int) -> Location:
    location = db.session.get(Location, location_id)
    if location is None:
        raise NotFound(_l("No such location."))
    return location


def list_locations(kind: LocationKind | None = None, active_only: bool = False) -> list[Location]:
    stmt = db.select(Location).order_by(Location.kind, Location.code)
    if kind is not None:
        stmt = stmt.where(Location.kind == kind)
    if active_only:
        stmt = stmt.where(Location.active.is_(True))
    return list(db.session.scalars(stmt))


def find_by_code(code: str) -> Location | None:
    return db.session.scalar(db.select(Location).where(Location.code == (code or "").strip().upper()))


def stock_summary() -> dict[int, tuple[int, int]]:
    """location id -> (products in stock, units in stock), aggregated in SQL."""
    rows = db.session.execute(
        db.select(Stock.location_id, db.func.count(Stock.id), db.func.coalesce(db.func.sum(Stock.quantity), 0))
        .where(Stock.quantity > 0).group_by(Stock.location_id))
    return {loc: (int(n), int(units)) for loc, n, units in rows}


def shipping_locations() -> list[Location]:
    """Active locations goods can be taken from for an order: warehouses first, then shops, by name."""
    return list(db.session.scalars(db.select(Location).where(Location.active.is_(True))
                                   .order_by(Location.kind.desc(), Location.name)))
