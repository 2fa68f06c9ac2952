"""The one writer of fiscal documents: each till sale, till return, register shift opening and
closing, and cash movement gets one, in the same transaction as the fact, with an outbox event
(topic "fiscal", key `fiscal:<document id>`) that registers it on the shop's register.

FISCAL_BACKEND=none writes none at all. A document is made once per fact (its `key`), so repeating
an operation (an idempotent replay) adds nothing.

The register's shift is one per shop, the portal's shifts are one per cashier: the register's shift
is opened with the first portal shift open at the shop and closed with the last one closed there.
"""
from __future__ import annotations

import uuid as uuid_module

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import (
    CashMovement,
    CashMovementKind,
    Channel,
    FiscalDocument,
    FiscalKind,
    FiscalStatus,
    Order,
    Return,
    Shift,
)
from portal.services.messaging.outbox import enqueue

TOPIC = "fiscal"
BACKENDS = ("none", "file", "atol")


def backend() -> str:
    return current_app.config.get("FISCAL_BACKEND", "none")


def enabled() -> bool:
    return backend() != "none"


def event_key(document_id: int) -> str:
    return f"fiscal:{document_id}"


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def _add(kind: FiscalKind, key: str, location_id: int, **links) -> FiscalDocument | None:
    if not enabled():
        return None
    found = db.session.scalar(db.select(FiscalDocument).where(FiscalDocument.key == key))
    if found is not None:
        return found
    document = FiscalDocument(key=key, uuid=new_uuid(), kind=kind, location_id=location_id, **links)
    db.session.add(document)
    db.session.flush()
    enqueue(TOPIC, event_key(document.id), {"document": document.id, "kind": kind.value})
    return document


def record_sale(order: Order) -> FiscalDocument | None:
    """A till sale's receipt (the shop channel only: a web-shop or manager's order is not rung up
    on a register)."""
    if order.channel is not Channel.SHOP:
        return None
    return _add(FiscalKind.SALE, f"sale:order:{order.id}", order.location_id, shift_id=order.shift_id,
                order_id=order.id)


def record_return(ret: Return) -> FiscalDocument | None:
    """A return taken at a till (in a shift): its "возврат прихода" receipt."""
    if ret.shift_id is None or ret.location_id is None:
        return None
    return _add(FiscalKind.RETURN, f"return:return:{ret.id}", ret.location_id, shift_id=ret.shift_id,
                return_id=ret.id)


def _others_open(shift: Shift) -> bool:
    return db.session.scalar(db.select(db.func.count(Shift.id)).where(
        Shift.location_id == shift.location_id, Shift.closed_at.is_(None), Shift.id != shift.id)) > 0


def record_open_shift(shift: Shift) -> FiscalDocument | None:
    if _others_open(shift):  # the register's shift is open already
        return None
    return _add(FiscalKind.OPEN_SHIFT, f"open_shift:shift:{shift.id}", shift.location_id, shift_id=shift.id)


def record_close_shift(shift: Shift) -> FiscalDocument | None:
    if _others_open(shift):  # another cashier still sells on the register
        return None
    return _add(FiscalKind.CLOSE_SHIFT, f"close_shift:shift:{shift.id}", shift.location_id, shift_id=shift.id)


def record_cash_movement(movement: CashMovement, location_id: int) -> FiscalDocument | None:
    kind = FiscalKind.CASH_IN if movement.kind is CashMovementKind.IN else FiscalKind.CASH_OUT
    return _add(kind, f"{kind.value}:cash:{movement.id}", location_id, shift_id=movement.shift_id,
                cash_movement_id=movement.id)


# ------------------------------------------------------------------------------------------ reading

def awaiting(shift_id: int) -> list[FiscalDocument]:
    """The shift's documents awaiting registration, oldest first: the shift cannot close while there are
    any. A failed document (one no retry can register as it stands) does not hold the close up."""
    return list(db.session.scalars(db.select(FiscalDocument).where(
        FiscalDocument.shift_id == shift_id, FiscalDocument.status == FiscalStatus.PENDING)
        .order_by(FiscalDocument.id)))


def unregistered(*, shift_id: int | None = None, location_id: int | None = None,
                 limit: int = 20) -> list[FiscalDocument]:
    """A shift's or a shop's documents not registered (awaiting or failed), oldest first: what the
    till's and the shift page's notice lists."""
    stmt = db.select(FiscalDocument).where(FiscalDocument.status != FiscalStatus.REGISTERED)
    stmt = stmt.where(FiscalDocument.shift_id == shift_id) if shift_id is not None \
        else stmt.where(FiscalDocument.location_id == location_id)
    return list(db.session.scalars(stmt.order_by(FiscalDocument.id).limit(limit)))


def of_order(order_id: int) -> FiscalDocument | None:
    return db.session.scalar(db.select(FiscalDocument).where(FiscalDocument.order_id == order_id,
                                                             FiscalDocument.kind == FiscalKind.SALE))


def closing_of(shift_id: int) -> FiscalDocument | None:
    """The register's shift closing made with this portal shift's close, if it made one."""
    return db.session.scalar(db.select(FiscalDocument).where(FiscalDocument.shift_id == shift_id,
                                                             FiscalDocument.kind == FiscalKind.CLOSE_SHIFT))


def of_return(return_id: int) -> FiscalDocument | None:
    return db.session.scalar(db.select(FiscalDocument).where(FiscalDocument.return_id == return_id))


KIND_LABELS = {
    FiscalKind.SALE: _l("Sale receipt"),
    FiscalKind.RETURN: _l("Return receipt"),
    FiscalKind.OPEN_SHIFT: _l("Opening of the register's shift"),
    FiscalKind.CLOSE_SHIFT: _l("Closing of the register's shift"),
    FiscalKind.CASH_IN: _l("Cash in"),
    FiscalKind.CASH_OUT: _l("Cash out"),
}


def describe(document: FiscalDocument) -> str:
    """What the document is, for people: "Sale receipt S-000012", "Cash out #3"."""
    label = str(KIND_LABELS[document.kind])
    if document.order_id is not None:
        number = db.session.scalar(db.select(Order.number).where(Order.id == document.order_id))
        return f"{label} {number}"
    if document.return_id is not None:
        return f"{label} #{document.return_id}"
    if document.cash_movement_id is not None:
        return f"{label} #{document.cash_movement_id}"
    return label


def describe_id(document_id) -> str:
    """`describe` of the document with this id ("" when there is none), for the outbox's fiscal events."""
    document = db.session.get(FiscalDocument, document_id) if isinstance(document_id, int) else None
    return describe(document) if document is not None else ""
