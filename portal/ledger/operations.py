"""Ledger operations in the business's words. Each takes an idempotency key: repeating it has no
further effect and returns the original operation. None of them commits."""
from __future__ import annotations

from datetime import datetime, timedelta

from portal.extensions import db
from portal.ledger import settings
from portal.ledger.core import (
    available_lots,
    begin_operation,
    client_account,
    move_lot,
    new_lot,
    system_account,
    take_from_lots,
    transfer,
)
from portal.ledger.errors import InsufficientBonus
from portal.models import (
    BonusLot,
    Bucket,
    LedgerAccount,
    LedgerOperation,
    LotMove,
    LotStatus,
    OperationKind,
    SystemAccount,
    utcnow,
)

P, A = Bucket.PENDING, Bucket.AVAILABLE


def accrue(client_id: int, amount: int, key: str, *, order_id: int | None = None, now: datetime | None = None,
           hold_days: int | None = None) -> LedgerOperation:
    """Accrue `amount` as pending bonus, released after the programme's hold days."""
    now = now or utcnow()
    programme = settings.current()
    operation, created = begin_operation(key, OperationKind.ACCRUAL, now, client_id=client_id, order_id=order_id,
                                         amount=amount)
    if not created or amount == 0:
        return operation
    account = client_account(client_id, lock=True)
    transfer(operation, system_account(SystemAccount.ISSUED), A, account, P, amount)
    days = programme.hold_days if hold_days is None else hold_days
    new_lot(operation, account, amount, LotStatus.PENDING, now + timedelta(days=days), programme.expiry_days)
    return operation


def settle(client_id: int, now: datetime | None = None, *, release: bool = True,
           expire: bool = True) -> tuple[int, int]:
    """Release what is due and write off what has expired: done whenever an account is touched.
    Returns how many lots were released and expired.

    Nothing due (the usual case: every page and till screen that shows a balance settles first)
    costs one read and takes no lock, so fifty tills and the client's own page reading one account
    do not queue behind each other; only when something is due is the account locked and the
    due lots read again under the lock."""
    now = now or utcnow()
    if not _anything_due(client_id, now, release=release, expire=expire):
        return 0, 0
    account = client_account(client_id, lock=True)
    released = expired = 0
    if release:
        # A pending lot whose accrual was wholly taken back has nothing to release and stays as it is.
        due = db.session.scalars(db.select(BonusLot).where(
            BonusLot.account_id == account.id, BonusLot.status == LotStatus.PENDING, BonusLot.remaining > 0,
            BonusLot.available_at <= now).order_by(BonusLot.available_at, BonusLot.id)).all()
        for lot in due:
            _release_lot(account, lot)
        released = len(due)
    if expire:
        lapsed = db.session.scalars(db.select(BonusLot).where(
            BonusLot.account_id == account.id, BonusLot.status == LotStatus.AVAILABLE, BonusLot.remaining > 0,
            BonusLot.expires_at <= now).order_by(BonusLot.expires_at, BonusLot.id)).all()
        for lot in lapsed:
            _expire_lot(account, lot)
        expired = len(lapsed)
    return released, expired


def _due_conditions(now: datetime, *, release: bool, expire: bool) -> list:
    """The lots with something due at `now`: pending ones to release, available ones to expire."""
    conditions = []
    if release:
        conditions.append(db.and_(BonusLot.status == LotStatus.PENDING, BonusLot.remaining > 0,
                                  BonusLot.available_at <= now))
    if expire:
        conditions.append(db.and_(BonusLot.status == LotStatus.AVAILABLE, BonusLot.remaining > 0,
                                  BonusLot.expires_at <= now))
    return conditions


def _anything_due(client_id: int, now: datetime, *, release: bool, expire: bool) -> bool:
    conditions = _due_conditions(now, release=release, expire=expire)
    if not conditions:
        return False
    return db.session.scalar(db.select(db.exists().where(
        BonusLot.account_id == db.select(LedgerAccount.id).where(LedgerAccount.client_id == client_id)
        .scalar_subquery(), db.or_(*conditions)))) or False


def _release_lot(account, lot: BonusLot) -> None:
    lot.status = LotStatus.AVAILABLE
    lot.expires_at = lot.available_at + timedelta(days=lot.expiry_days)
    if lot.remaining > 0:
        operation, created = begin_operation(f"release:lot:{lot.id}", OperationKind.RELEASE, lot.available_at,
                                             client_id=account.client_id, amount=lot.remaining,
                                             order_id=_order_of_lot(lot))
        if created:
            transfer(operation, account, P, account, A, lot.remaining)


def _order_of_lot(lot: BonusLot) -> int | None:
    return db.session.scalar(db.select(LedgerOperation.order_id).where(LedgerOperation.id == lot.operation_id))


def _expire_lot(account, lot: BonusLot) -> None:
    last_move = db.session.scalar(db.select(db.func.max(LotMove.id)).where(LotMove.lot_id == lot.id)) or 0
    operation, created = begin_operation(f"expiry:lot:{lot.id}:after:{last_move}", OperationKind.EXPIRY,
                                         lot.expires_at, client_id=account.client_id, amount=lot.remaining)
    if created:
        amount = lot.remaining
        transfer(operation, account, A, system_account(SystemAccount.EXPIRED), A, amount)
        move_lot(operation, lot, -amount)


def redeem(client_id: int, amount: int, key: str, *, order_id: int | None = None,
           now: datetime | None = None) -> LedgerOperation:
    """Spend `amount` of available bonus, oldest lots first. InsufficientBonus when short."""
    now = now or utcnow()
    operation, created = begin_operation(key, OperationKind.REDEMPTION, now, client_id=client_id,
                                         order_id=order_id, amount=amount)
    if not created or amount == 0:
        return operation
    settle(client_id, now)
    account = client_account(client_id, lock=True)
    if account.available < amount:
        raise InsufficientBonus(account.available, amount)
    transfer(operation, account, A, system_account(SystemAccount.REDEEMED), A, amount)
    take_from_lots(operation, available_lots(account), amount)
    return operation


def restore_redemption(client_id: int, amount: int, key: str, *, order_id: int, return_id: int | None = None,
                       now: datetime | None = None) -> LedgerOperation:
    """Give back `amount` of bonus spent on `order_id`, into the lots it was taken from (last taken first)."""
    now = now or utcnow()
    operation, created = begin_operation(key, OperationKind.REDEMPTION_RESTORE, now, client_id=client_id,
                                         order_id=order_id, return_id=return_id, amount=amount)
    if not created or amount == 0:
        return operation
    account = client_account(client_id, lock=True)
    transfer(operation, system_account(SystemAccount.REDEEMED), A, account, A, amount)
    # Net amount taken from each lot by this order's redemptions and restorations so far.
    rows = db.session.execute(
        db.select(LotMove.lot_id, db.func.sum(LotMove.amount), db.func.max(LotMove.id))
        .join(LedgerOperation, LedgerOperation.id == LotMove.operation_id)
        .where(LedgerOperation.order_id == order_id, LedgerOperation.client_id == client_id,
               LedgerOperation.kind.in_([OperationKind.REDEMPTION, OperationKind.REDEMPTION_RESTORE]),
               LotMove.operation_id != operation.id)
        .group_by(LotMove.lot_id).order_by(db.func.max(LotMove.id).desc())).all()
    left = amount
    for lot_id, net, _last in rows:
        if left == 0:
            break
        part = min(-int(net), left)
        if part > 0:
            move_lot(operation, db.session.get(BonusLot, lot_id), part)
            left -= part
    if left:
        # Nothing recorded to put it back into (cannot happen for a redemption made here):
        # it becomes a fresh lot so lots and balance still agree.
        new_lot(operation, account, left, LotStatus.AVAILABLE, now, settings.current().expiry_days)
    return operation


def reverse_accrual(client_id: int, accrual_key: str, amount: int, key: str, *, order_id: int,
                    return_id: int | None = None, now: datetime | None = None) -> tuple[LedgerOperation, int]:
    """Take back `amount` of the accrual made under `accrual_key`.

    Still pending: from its own pending lot. Released: from its own lot, then the client's other
    available lots; what the client has already spent cannot be taken back and is returned as
    the second value (the caller withholds it from the money refund).
    """
    now = now or utcnow()
    operation, created = begin_operation(key, OperationKind.ACCRUAL_REVERSAL, now, client_id=client_id,
                                         order_id=order_id, return_id=return_id, amount=amount)
    if not created or amount == 0:
        return operation, operation.shortfall
    settle(client_id, now)
    account = client_account(client_id, lock=True)
    accrual = db.session.scalar(db.select(LedgerOperation).where(LedgerOperation.key == accrual_key))
    lot = db.session.scalar(db.select(BonusLot).where(BonusLot.operation_id == accrual.id)) if accrual else None
    issued = system_account(SystemAccount.ISSUED)
    if lot is not None and lot.status is LotStatus.PENDING:
        part = min(amount, lot.remaining)
        if part:
            transfer(operation, account, P, issued, A, part)
            move_lot(operation, lot, -part)
        operation.shortfall = amount - part
        return operation, operation.shortfall
    lots = available_lots(account)
    if lot is not None and lot in lots:
        lots.remove(lot)
        lots.insert(0, lot)
    taken = take_from_lots(operation, lots, amount)
    if taken:
        transfer(operation, account, A, issued, A, taken)
    operation.shortfall = amount - taken
    return operation, operation.shortfall


def adjust(client_id: int, amount: int, key: str, *, actor_id: int | None = None, reason: str = "",
           now: datetime | None = None) -> LedgerOperation:
    """A manual correction: positive adds an available lot, negative takes from the available lots,
    never below zero (InsufficientBonus). Who may correct, and why, is the caller's rule
    (services/clients/bonus.py); the ledger keeps the reason and the actor with the operation."""
    now = now or utcnow()
    if amount == 0:
        raise ValueError("an adjustment moves a non-zero amount")
    operation, created = begin_operation(key, OperationKind.ADJUSTMENT, now, client_id=client_id, amount=amount,
                                         actor_id=actor_id, reason=reason[:500])
    if not created:
        return operation
    settle(client_id, now)
    account = client_account(client_id, lock=True)
    adjustments = system_account(SystemAccount.ADJUSTMENTS)
    if amount > 0:
        transfer(operation, adjustments, A, account, A, amount)
        new_lot(operation, account, amount, LotStatus.AVAILABLE, now, settings.current().expiry_days)
    else:
        if account.available < -amount:
            raise InsufficientBonus(account.available, -amount)
        transfer(operation, account, A, adjustments, A, -amount)
        take_from_lots(operation, available_lots(account), -amount)
    return operation


def import_bonus(client_id: int, amount: int, key: str, *, at: datetime, reason: str = "") -> LedgerOperation:
    """Bonus history brought from another system (OpenCart reward points), keyed by its original id."""
    operation, created = begin_operation(key, OperationKind.IMPORT, at, client_id=client_id, amount=amount,
                                         reason=reason[:500])
    if not created or amount == 0:
        return operation
    account = client_account(client_id, lock=True)
    imported = system_account(SystemAccount.IMPORTED)
    if amount > 0:
        transfer(operation, imported, A, account, A, amount)
        new_lot(operation, account, amount, LotStatus.AVAILABLE, at, settings.current().expiry_days)
    else:
        taken = take_from_lots(operation, available_lots(account), -amount)
        if taken:
            transfer(operation, account, A, imported, A, taken)
    return operation


def clients_with_something_due(now: datetime | None = None, *, release: bool = True,
                                expire: bool = True) -> list[int]:
    """The clients whose accounts have a lot to release or to expire at `now` (for the sweep)."""
    conditions = _due_conditions(now or utcnow(), release=release, expire=expire)
    if not conditions:
        return []
    return list(db.session.scalars(
        db.select(LedgerAccount.client_id).join(BonusLot, BonusLot.account_id == LedgerAccount.id)
        .where(db.or_(*conditions)).distinct().order_by(LedgerAccount.client_id)))
