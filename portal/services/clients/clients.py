"""Clients as the cabinets read them. (Creating and changing clients comes with the manager's cabinet.)"""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import events
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import Client, ClientEmail, ClientKind, ClientPhone, User
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.transactions import operation
from portal.text import squash


def client_counts(manager_ids: list[int]) -> dict:
    """Counts of the clients these managers are responsible for, aggregated in SQL."""
    rows = dict(db.session.execute(
        db.select(Client.kind, db.func.count(Client.id)).where(Client.manager_id.in_(manager_ids))
        .group_by(Client.kind)).all())
    with_discount = db.session.scalar(db.select(db.func.count(Client.id)).where(
        Client.manager_id.in_(manager_ids), Client.discount_bp > 0)) or 0
    credit = db.session.scalar(db.select(db.func.coalesce(db.func.sum(Client.credit_limit), 0)).where(
        Client.manager_id.in_(manager_ids))) or 0
    return {
        "total": sum(rows.values()),
        "by_kind": {kind: rows.get(kind, 0) for kind in ClientKind},
        "with_discount": with_discount,
        "credit_limit_total": int(credit),
    }


def recent_clients(manager_ids: list[int], limit: int = 10) -> list[Client]:
    return list(db.session.scalars(
        db.select(Client).where(Client.manager_id.in_(manager_ids))
        .order_by(Client.created_at.desc(), Client.id.desc()).limit(limit)))


def clients_per_manager(manager_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(
        db.select(Client.manager_id, db.func.count(Client.id)).where(Client.manager_id.in_(manager_ids))
        .group_by(Client.manager_id)).all())


def find_by_phone(phone_text: str, country: str) -> list[Client]:
    """Clients with this phone, written in any common notation. An invalid phone finds nobody."""
    try:
        number = normalize_phone(phone_text, country)
    except PhoneError:
        return []
    return list(db.session.scalars(
        db.select(Client).join(ClientPhone, ClientPhone.client_id == Client.id).where(ClientPhone.number == number)))


def get_client(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound(_l("No such client."))
    return client


def _phone_taken() -> DomainError:
    return DomainError(_l("A client with this phone exists already."), code="conflict")


@operation
def register_client(name: str, phone: str, email: str | None, country: str, *, created_by_id: int | None = None,
                    manager_id: int | None = None, on_created=None) -> Client:
    """A private person who registers on the web shop or at a till: name and phone, e-mail optional.

    A phone already used by another client is a conflict (one phone, one client), also when a
    twin registration took it a moment ago. `on_created(client)` adds what goes with the new client
    (e.g. the welcome SMS) to the same transaction.
    """
    errors = {}
    name = squash(name)
    if not name:
        errors["name"] = _l("Enter the name.")
    elif len(name) > 300:
        errors["name"] = _l("The name is too long.")
    number = None
    try:
        number = normalize_phone(phone if isinstance(phone, str) else "", country)
    except PhoneError as exc:
        errors["phone"] = str(exc)
    address = None
    if email not in (None, ""):
        try:
            address = validate_email(email if isinstance(email, str) else "", check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _l("Enter a valid e-mail address.")
    if errors:
        raise ValidationError(errors)
    if db.session.scalar(db.select(ClientPhone.id).where(ClientPhone.number == number)):
        raise _phone_taken()
    client = Client(kind=ClientKind.PRIVATE_PERSON, name=name, created_by_id=created_by_id, manager_id=manager_id)
    client.phones.append(ClientPhone(number=number))
    if address:
        client.emails.append(ClientEmail(address=address))
    try:
        with db.session.begin_nested():  # a twin registration with this phone may have won the race
            db.session.add(client)
            db.session.flush()
    except IntegrityError:
        raise _phone_taken() from None
    actor = db.session.get(User, created_by_id) if created_by_id else None
    audit.record(actor, "client_registered", client, None,
                 {"kind": client.kind.value, "name": client.name, "phones": [number],
                  "emails": [address] if address else [], "manager_id": manager_id},
                 source=None if actor else "api")
    if on_created is not None:
        on_created(client)
    events.client_created.send(client, actor=actor)  # the rules of a new client, in this transaction
    return client
