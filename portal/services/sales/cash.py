"""Cash put into the drawer and taken out of it during a shift (внесение / изъятие).

Each movement has an amount and a reason, belongs to the cashier's open shift, counts in the cash
expected in the drawer (the X and Z reports), and is recorded on the shop's fiscal register
(`cashIn` / `cashOut`) like a receipt. A double tap records one movement: the key is the form's.
Cash out can never take more than the cash expected in the drawer at that moment — a drawer holds
no negative cash; a larger sum means the count is wrong or a sale is missing, which the cashier
settles first. The movement's row is its own record (who, when, how much, why), as a shift's is;
a shift's movements are listed, with their totals, by its report (`shifts.report(...).movements`).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import CashMovement, CashMovementKind, Shift, User, utcnow
from portal.money import format_plain
from portal.services.fiscal import documents as fiscal
from portal.services.sales import shifts
from portal.services.transactions import one_transaction
from portal.text import squash

MAX_REASON = 200
MAX_AMOUNT = 10**13  # far above any drawer; keeps the number inside BIGINT


def record_movement(cashier: User, kind: CashMovementKind | str, amount: int, reason: str, key: str,
                    now: datetime | None = None) -> CashMovement:
    """Record cash put in (`in`) or taken out (`out`) of the cashier's open shift.

    Raises ValidationError (per field: kind, amount, reason) or NoOpenShift; nothing is written
    then. Recording again with the same key returns the first movement and changes nothing."""
    errors = {}
    try:
        kind = CashMovementKind(kind)
    except ValueError:
        errors["kind"] = _l("Choose cash in or cash out.")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < MAX_AMOUNT:
        errors["amount"] = _l("Enter an amount above zero.")
    reason = squash(reason or "")
    if not reason:
        errors["reason"] = _l("Say why the cash moves.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _l("At most %(n)d characters.", n=MAX_REASON)
    if errors:
        raise ValidationError(errors)
    return one_transaction(lambda: _record(cashier, kind, amount, reason, key, now or utcnow()),
                           replay=lambda: movement_with_key(key))


def movement_with_key(key: str) -> CashMovement | None:
    return db.session.scalar(db.select(CashMovement).where(CashMovement.key == key))


def _record(cashier: User, kind: CashMovementKind, amount: int, reason: str, key: str, now: datetime) -> CashMovement:
    # The shift row is locked, so two cash-outs at once cannot both take the same cash.
    shift = db.session.scalar(db.select(Shift).where(Shift.cashier_id == cashier.id, Shift.closed_at.is_(None))
                              .with_for_update())
    if shift is None:
        raise shifts.NoOpenShift()
    if kind is CashMovementKind.OUT:
        in_drawer = shifts.report(shift).expected_cash
        if amount > in_drawer:
            raise ValidationError({"amount": _l("At most %(cash)s is in the drawer.", cash=format_plain(in_drawer))})
    movement = CashMovement(shift_id=shift.id, kind=kind, amount=amount, reason=reason, created_by_id=cashier.id,
                            created_at=now, key=key)
    db.session.add(movement)
    db.session.flush()
    fiscal.record_cash_movement(movement, shift.location_id)
    return movement

