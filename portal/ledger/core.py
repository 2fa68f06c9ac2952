"""The single writer of ledger entries, balances and lots.

Everything here runs inside the caller's transaction and never commits: a sale, its
redemption and its accrual land together or not at all.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import daily_sums
from portal.extensions import db
from portal.ledger.errors import InsufficientBonus
from portal.models import (
    BonusLot,
    Bucket,
    LedgerAccount,
    LedgerEntry,
    LedgerOperation,
    LotMove,
    LotStatus,
    OperationKind,
    SystemAccount,
)


def system_account(code: SystemAccount) -> LedgerAccount:
    account = db.session.scalar(db.select(LedgerAccount).where(LedgerAccount.system_code == code))
    if account is None:
        account = _create_account(system_code=code)
    return account


def client_account(client_id: int, lock: bool = False) -> LedgerAccount:
    """The client's bonus account, created on first use; `lock` takes the row lock (PostgreSQL)
    and refreshes the object from the locked row, so balances read earlier in the transaction
    without the lock are never used to decide."""
    stmt = db.select(LedgerAccount).where(LedgerAccount.client_id == client_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    account = db.session.scalar(stmt)
    if account is None:
        _create_account(client_id=client_id)
        account = db.session.scalar(stmt)
    return account


def find_client_account(client_id: int) -> LedgerAccount | None:
    return db.session.scalar(db.select(LedgerAccount).where(LedgerAccount.client_id == client_id))


def _create_account(**ident) -> LedgerAccount:
    """Insert an account; if a concurrent transaction created it first, use theirs."""
    try:
        with db.session.begin_nested():
            account = LedgerAccount(pending=0, available=0, entries_count=0, **ident)
            db.session.add(account)
    except IntegrityError:
        (column, value), = ident.items()
        account = db.session.scalar(db.select(LedgerAccount).where(getattr(LedgerAccount, column) == value))
    return account


def existing_operation(key: str) -> LedgerOperation | None:
    return db.session.scalar(db.select(LedgerOperation).where(LedgerOperation.key == key))


def begin_operation(key: str, kind: OperationKind, now: datetime, **fields) -> tuple[LedgerOperation, bool]:
    """(operation, created). An operation whose key was used already is returned as it is."""
    found = existing_operation(key)
    if found is not None:
        return found, False
    try:
        with db.session.begin_nested():
            operation = LedgerOperation(key=key, kind=kind, created_at=now, **fields)
            db.session.add(operation)
    except IntegrityError:
        return existing_operation(key), False
    return operation, True


def transfer(operation: LedgerOperation, source: LedgerAccount, source_bucket: Bucket,
             target: LedgerAccount, target_bucket: Bucket, amount: int) -> LedgerEntry:
    """Move `amount` from one (account, bucket) to another: one entry, both balances, one statement each.

    A client bucket is debited only if it holds enough (the UPDATE is conditional, and a CHECK
    constraint backs it up), so no interleaving of tills can overdraw it.
    """
    if amount <= 0:
        raise ValueError("a transfer moves a positive amount")
    table = LedgerAccount.__table__
    debit_col = table.c[source_bucket.value]
    stmt = (sa.update(table).where(table.c.id == source.id)
            .values({debit_col: debit_col - amount, table.c.entries_count: table.c.entries_count + 1}))
    if source.system_code is None:
        stmt = stmt.where(debit_col >= amount)
    if db.session.execute(stmt).rowcount != 1:
        current = db.session.scalar(sa.select(debit_col).where(table.c.id == source.id))
        raise InsufficientBonus(int(current or 0), amount)
    credit_col = table.c[target_bucket.value]
    db.session.execute(sa.update(table).where(table.c.id == target.id)
                       .values({credit_col: credit_col + amount, table.c.entries_count: table.c.entries_count + 1}))
    entry = LedgerEntry(operation_id=operation.id, from_account_id=source.id, from_bucket=source_bucket,
                        to_account_id=target.id, to_bucket=target_bucket, amount=amount,
                        created_at=operation.created_at)
    db.session.add(entry)
    db.session.flush()
    daily_sums.record_entry(entry.id, target.client_id if target.client_id is not None else source.client_id)
    db.session.expire(source)
    db.session.expire(target)
    return entry


def new_lot(operation: LedgerOperation, account: LedgerAccount, amount: int, status: LotStatus,
            available_at: datetime, expiry_days: int) -> BonusLot:
    lot = BonusLot(account_id=account.id, operation_id=operation.id, status=status, amount=amount, remaining=amount,
                   available_at=available_at, expiry_days=expiry_days,
                   expires_at=available_at + timedelta(days=expiry_days) if status is LotStatus.AVAILABLE else None)
    db.session.add(lot)
    db.session.flush()
    return lot


def move_lot(operation: LedgerOperation, lot: BonusLot, amount: int) -> None:
    """Change a lot's remaining amount (negative: taken) and record the move."""
    lot.remaining += amount
    db.session.add(LotMove(lot_id=lot.id, operation_id=operation.id, amount=amount))


def available_lots(account: LedgerAccount) -> list[BonusLot]:
    """Available lots with something left, oldest expiry first: the order they are spent in."""
    return list(db.session.scalars(
        db.select(BonusLot).where(BonusLot.account_id == account.id, BonusLot.status == LotStatus.AVAILABLE,
                                  BonusLot.remaining > 0)
        .order_by(BonusLot.expires_at, BonusLot.id)))


def take_from_lots(operation: LedgerOperation, lots: list[BonusLot], amount: int) -> int:
    """Take up to `amount` from `lots` in the given order; return how much was taken."""
    taken = 0
    for lot in lots:
        if taken == amount:
            break
        part = min(lot.remaining, amount - taken)
        if part > 0:
            move_lot(operation, lot, -part)
            taken += part
    return taken
