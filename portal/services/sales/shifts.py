"""Cash shifts at a shop till and their X (any time) and Z (at close) reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.models import (
    CashMovement,
    CashMovementKind,
    Order,
    Payment,
    PaymentMethod,
    Refund,
    Return,
    Role,
    Shift,
    User,
    utcnow,
)
from portal.services.fiscal import documents as fiscal
from portal.services.transactions import one_transaction

TILL_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD)


class NoOpenShift(DomainError):
    code = "no_open_shift"

    def __init__(self):
        super().__init__(_l("Open a shift first: a sale needs an open shift."))


def current_shift(cashier_id: int) -> Shift | None:
    return db.session.scalar(db.select(Shift).where(Shift.cashier_id == cashier_id, Shift.closed_at.is_(None)))


def require_open_shift(cashier_id: int) -> Shift:
    shift = current_shift(cashier_id)
    if shift is None:
        raise NoOpenShift()
    return shift


def open_shift(cashier: User, opening_float: int, now: datetime | None = None) -> Shift:
    if cashier.role is not Role.CASHIER or cashier.shop_id is None:
        raise DomainError(_l("Only a cashier attached to a shop can open a shift."))
    if opening_float < 0:
        raise ValidationError({"opening_float": _l("The float cannot be negative.")})
    if current_shift(cashier.id) is not None:
        raise DomainError(_l("Your shift is already open."))

    def run() -> Shift:
        shift = Shift(cashier_id=cashier.id, location_id=cashier.shop_id, opened_at=now or utcnow(),
                      opening_float=opening_float)
        db.session.add(shift)
        db.session.flush()
        fiscal.record_open_shift(shift)  # the register's shift opens with the shop's first open shift
        return shift

    try:
        return one_transaction(run)
    except IntegrityError:  # a second tap opened it a moment ago
        raise DomainError(_l("Your shift is already open.")) from None


@dataclass
class ShiftReport:
    shift: Shift
    sales_count: int
    returns_count: int
    sales: dict[PaymentMethod, int] = field(default_factory=dict)
    refunds: dict[PaymentMethod, int] = field(default_factory=dict)
    bonus_spent: int = 0
    cash_in: int = 0
    cash_out: int = 0
    movements: list[CashMovement] = field(default_factory=list)

    def net(self, method: PaymentMethod) -> int:
        return self.sales.get(method, 0) - self.refunds.get(method, 0)

    @property
    def methods(self) -> list[PaymentMethod]:
        seen = set(self.sales) | set(self.refunds)
        return [m for m in PaymentMethod if m in seen or m in TILL_METHODS]

    @property
    def total_sales(self) -> int:
        return sum(self.sales.values())

    @property
    def total_refunds(self) -> int:
        return sum(self.refunds.values())

    @property
    def expected_cash(self) -> int:
        """What should be in the drawer: the float, plus cash taken less cash given back, plus cash
        put in less cash taken out during the shift."""
        return self.shift.opening_float + self.net(PaymentMethod.CASH) + self.cash_in - self.cash_out

    @property
    def difference(self) -> int | None:
        """Counted minus expected: negative is a shortage."""
        if self.shift.counted_cash is None:
            return None
        return self.shift.counted_cash - (self.shift.expected_cash if self.shift.expected_cash is not None
                                          else self.expected_cash)


def report(shift: Shift) -> ShiftReport:
    """Sales, returns and net by payment method, summed in SQL."""
    sales = {method: int(total) for method, total in db.session.execute(
        db.select(Payment.method, db.func.sum(Payment.amount)).join(Order, Order.id == Payment.order_id)
        .where(Order.shift_id == shift.id).group_by(Payment.method))}
    refunds = {method: int(total) for method, total in db.session.execute(
        db.select(Refund.method, db.func.sum(Refund.amount)).join(Return, Return.id == Refund.return_id)
        .where(Return.shift_id == shift.id).group_by(Refund.method))}
    sales_count, bonus = db.session.execute(
        db.select(db.func.count(Order.id), db.func.coalesce(db.func.sum(Order.bonus_redeemed), 0))
        .where(Order.shift_id == shift.id)).one()
    returns_count = db.session.scalar(db.select(db.func.count(Return.id)).where(Return.shift_id == shift.id))
    moved = {kind: int(total) for kind, total in db.session.execute(
        db.select(CashMovement.kind, db.func.sum(CashMovement.amount)).where(CashMovement.shift_id == shift.id)
        .group_by(CashMovement.kind))}
    movements = list(db.session.scalars(db.select(CashMovement).where(CashMovement.shift_id == shift.id)
                                        .order_by(CashMovement.id)))
    return ShiftReport(shift, int(sales_count), int(returns_count or 0), sales, refunds, int(bonus),
                       moved.get(CashMovementKind.IN, 0), moved.get(CashMovementKind.OUT, 0), movements)


class FiscalPending(DomainError):
    code = "fiscal_pending"

    def __init__(self, waiting: list[str]):
        super().__init__(_l("The shift cannot close while documents await registration on the fiscal register: "
                            "%(documents)s.", documents="; ".join(waiting)))
        self.waiting = waiting


def close_shift(cashier: User, counted_cash: int, now: datetime | None = None) -> ShiftReport:
    """Close the cashier's shift with the counted cash; the Z report is fixed from then on."""
    if counted_cash < 0:
        raise ValidationError({"counted_cash": _l("The counted cash cannot be negative.")})
    return one_transaction(lambda: _close(cashier, counted_cash, now))


def _close(cashier: User, counted_cash: int, now: datetime | None) -> ShiftReport:
    shift = db.session.scalar(db.select(Shift).where(Shift.cashier_id == cashier.id, Shift.closed_at.is_(None))
                              .with_for_update())
    if shift is None:
        raise NoOpenShift()
    # Every receipt and cash movement of the shift must be on the register before its shift closes
    # (the closing document itself is made below, so it never holds the close up).
    waiting = fiscal.awaiting(shift.id)
    if waiting:
        raise FiscalPending([fiscal.describe(document) for document in waiting])
    z = report(shift)
    shift.expected_cash = z.expected_cash
    shift.counted_cash = counted_cash
    shift.closed_at = now or utcnow()
    db.session.flush()
    fiscal.record_close_shift(shift)  # the register's shift closes with the shop's last open shift
    return report(shift)


def get_shift(shift_id: int) -> Shift | None:
    return db.session.get(Shift, shift_id)


def recent_shifts(cashier_id: int, limit: int = 10) -> list[Shift]:
    return list(db.session.scalars(db.select(Shift).where(Shift.cashier_id == cashier_id)
                                   .order_by(Shift.id.desc()).limit(limit)))
