"""Clients brought in from another system (the OpenCart shop): found by e-mail, then by phone, or
created. Nothing here commits: the importer runs a batch of customers as one transaction."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import AuditEvent, Client, ClientEmail, ClientKind, ClientPhone, ClientStatus
from portal.phones import PhoneError, normalize_phone
from portal.text import squash


def email_key(text: str | None) -> str:
    """The form e-mails are compared in: trimmed and lower-cased ('Ivan@Mail.RU ' -> 'ivan@mail.ru')."""
    return (text or "").strip().lower()


def phone_key(text: str | None, country: str) -> str | None:
    """E.164 of a phone in any common notation, None when it is empty or not a valid number."""
    try:
        return normalize_phone(text or "", country)
    except PhoneError:
        return None


def clients_by_email(keys: Iterable[str]) -> dict[str, int]:
    """For each e-mail key (see `email_key`), the client holding that address (the oldest if several)."""
    keys = sorted({k for k in keys if k})
    found: dict[str, int] = {}
    if not keys:
        return found
    address = db.func.lower(db.func.trim(ClientEmail.address))
    rows = db.session.execute(
        db.select(address, db.func.min(ClientEmail.client_id)).where(address.in_(keys)).group_by(address))
    for key, client_id in rows:
        found[key] = client_id
    return found


def clients_by_phone(numbers: Iterable[str]) -> dict[str, int]:
    """For each E.164 number, the client it belongs to (one phone, one client)."""
    numbers = sorted({n for n in numbers if n})
    if not numbers:
        return {}
    return dict(db.session.execute(
        db.select(ClientPhone.number, ClientPhone.client_id).where(ClientPhone.number.in_(numbers))).all())


def new_imported_client(name: str, email: str | None, phone: str | None) -> Client:
    """A private person as the other system knew them. `phone` is E.164 or None and must not belong
    to another client (the caller looked it up first); an e-mail that is not valid is left out.
    Added to the session, not committed."""
    name = squash(name, 300)
    client = Client(kind=ClientKind.PRIVATE_PERSON, name=name, status=ClientStatus.ACTIVE, discount_bp=0,
                    credit_limit=0, deferral_days=0)
    if phone:
        client.phones.append(ClientPhone(number=phone))
    address = _valid_email(email)
    if address:
        client.emails.append(ClientEmail(address=address))
    db.session.add(client)
    # Audited as "opencart:client_imported" when the importer's batch is flushed (see below), so the
    # clients of a batch are still inserted together.
    db.session.info.setdefault(_TO_AUDIT, []).append(
        (client, {"kind": client.kind.value, "name": name, "phones": [phone] if phone else [],
                  "emails": [address] if address else []}))
    return client


_TO_AUDIT = "imported_clients_to_audit"


@sa.event.listens_for(Session, "after_flush_postexec")
def _audit_flushed(session: Session, _context) -> None:
    """The audit events of the imported clients this flush inserted, in one statement, in their transaction."""
    pending = session.info.get(_TO_AUDIT)
    if not pending:
        return
    done = [(client, after) for client, after in pending if client.id is not None]
    session.info[_TO_AUDIT] = [(client, after) for client, after in pending if client.id is None]
    if done:
        session.connection().execute(sa.insert(AuditEvent.__table__), [
            {"actor_id": None, "action": "opencart:client_imported", "object_type": Client.__tablename__,
             "object_id": client.id, "before": None, "after": after} for client, after in done])


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_TO_AUDIT, None)


def _valid_email(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text or len(text) > 254:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
