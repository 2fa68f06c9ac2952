"""What a client's bonus is, read from the materialised balances and lots (never from history)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.extensions import db
from portal.ledger.core import find_client_account
from portal.models import (
    BonusLot,
    Bucket,
    LedgerAccount,
    LedgerEntry,
    LedgerOperation,
    LotStatus,
    OperationKind,
    utcnow,
)


@dataclass(frozen=True)
class Bonus:
    available: int
    pending: int
    expiring_30d: int
    next_release_amount: int | None
    next_release_at: datetime | None
    releases: list[tuple[datetime, int]]  # every pending tranche: (available from, amount)


def bonus_of(client_id: int, now: datetime | None = None) -> Bonus:
    """Balances in O(1) from the account row; pending dates and expiring amounts from open lots."""
    now = now or utcnow()
    account = find_client_account(client_id)
    if account is None:
        return Bonus(0, 0, 0, None, None, [])
    releases = [(at, int(amount)) for at, amount in db.session.execute(
        db.select(BonusLot.available_at, db.func.sum(BonusLot.remaining))
        .where(BonusLot.account_id == account.id, BonusLot.status == LotStatus.PENDING, BonusLot.remaining > 0)
        .group_by(BonusLot.available_at).order_by(BonusLot.available_at))]
    expiring = db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(BonusLot.remaining), 0))
        .where(BonusLot.account_id == account.id, BonusLot.status == LotStatus.AVAILABLE, BonusLot.remaining > 0,
               BonusLot.expires_at <= now + timedelta(days=30)))
    first = releases[0] if releases else (None, None)
    return Bonus(available=account.available, pending=account.pending, expiring_30d=int(expiring or 0),
                 next_release_amount=first[1], next_release_at=first[0], releases=releases)


@dataclass(frozen=True)
class Leg:
    """One side of an entry on one of the client's buckets; `amount` is signed."""

    entry_id: int
    at: datetime
    kind: str
    bucket: Bucket
    amount: int
    order_id: int | None
    return_id: int | None

    @property
    def id(self) -> str:
        return f"{self.entry_id}-{self.bucket.value}"


LegPosition = tuple[int, int, int]  # (entry time in µs since the epoch, entry id, leg index within the entry)


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def legs_of(client_id: int, limit: int = 50,
            start: LegPosition | None = None) -> tuple[list[Leg], LegPosition | None]:
    """The client's legs, newest first by time (then entry id), at most `limit` of them, and the
    position of the next leg to read (None at the end).

    Summing `amount` per bucket over all legs gives that bucket's balance. An entry between two
    of the client's buckets (a release) is two legs: available first, then pending.
    """
    account = find_client_account(client_id)
    if account is None:
        return [], None
    stmt = (db.select(LedgerEntry, LedgerOperation)
            .join(LedgerOperation, LedgerOperation.id == LedgerEntry.operation_id)
            .where(db.or_(LedgerEntry.from_account_id == account.id, LedgerEntry.to_account_id == account.id))
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()))
    skip_in_first = 0
    if start is not None:
        at_us, entry_id, skip_in_first = start
        at = datetime.fromtimestamp(at_us / 1_000_000, tz=UTC)
        stmt = stmt.where(db.or_(LedgerEntry.created_at < at,
                                 db.and_(LedgerEntry.created_at == at, LedgerEntry.id <= entry_id)))
    legs: list[Leg] = []
    for entry, operation in db.session.execute(stmt.limit(limit + 1)):
        sides = []
        if entry.to_account_id == account.id:
            sides.append((entry.to_bucket, entry.amount))
        if entry.from_account_id == account.id:
            sides.append((entry.from_bucket, -entry.amount))
        if start is not None and entry.id == start[1]:
            first, sides = skip_in_first, sides[skip_in_first:]
        else:
            first = 0
        for index, (bucket, amount) in enumerate(sides, start=first):
            if len(legs) == limit:
                return legs, (_micros(entry.created_at), entry.id, index)
            legs.append(Leg(entry.id, entry.created_at, operation.kind.value, bucket, amount,
                            operation.order_id, operation.return_id))
    return legs, None


def account_summary() -> dict:
    """Totals of every system account and of all clients' buckets (for reports and verify)."""
    rows = db.session.execute(db.select(LedgerAccount.system_code, LedgerAccount.pending, LedgerAccount.available)
                              .where(LedgerAccount.system_code.is_not(None))).all()
    clients = db.session.execute(db.select(db.func.coalesce(db.func.sum(LedgerAccount.pending), 0),
                                           db.func.coalesce(db.func.sum(LedgerAccount.available), 0))
                                 .where(LedgerAccount.client_id.is_not(None))).one()
    return {"system": {code.value: avail + pend for code, pend, avail in rows},
            "clients_pending": int(clients[0]), "clients_available": int(clients[1])}


def accrual_release_at(order_id: int) -> datetime | None:
    """When the bonus accrued for an order becomes available (for receipts)."""
    return db.session.scalar(
        db.select(db.func.min(BonusLot.available_at)).join(LedgerOperation, LedgerOperation.id == BonusLot.operation_id)
        .where(LedgerOperation.order_id == order_id, LedgerOperation.kind == OperationKind.ACCRUAL))


@dataclass(frozen=True)
class BalanceAfter:
    """A client's bonus right after a sale: what the receipt prints."""

    available: int
    pending: int


def balance_after_order(client_id: int, order_id: int, paid_at: datetime) -> BalanceAfter:
    """The client's available and pending bonus right after the order's own bonus was spent and
    accrued, read from the append-only entries, so a receipt printed again later shows the same.

    The cut is the last entry of the order's redemption or accrual (entries of one account are
    written in id order under its lock); an order that moved no bonus is cut at its payment time.
    Releases and expiries due by then were written by the sale itself (it settles the account first).
    """
    account = find_client_account(client_id)
    if account is None:
        return BalanceAfter(0, 0)
    last = db.session.scalar(
        db.select(db.func.max(LedgerEntry.id)).join(LedgerOperation, LedgerOperation.id == LedgerEntry.operation_id)
        .where(LedgerOperation.order_id == order_id, LedgerOperation.return_id.is_(None),
               LedgerOperation.kind.in_((OperationKind.ACCRUAL, OperationKind.REDEMPTION))))
    cut = LedgerEntry.id <= last if last is not None else LedgerEntry.created_at <= paid_at
    sums = {Bucket.AVAILABLE: 0, Bucket.PENDING: 0}
    for side, bucket_col, sign in ((LedgerEntry.to_account_id, LedgerEntry.to_bucket, 1),
                                   (LedgerEntry.from_account_id, LedgerEntry.from_bucket, -1)):
        for bucket, amount in db.session.execute(
                db.select(bucket_col, db.func.sum(LedgerEntry.amount)).where(side == account.id, cut)
                .group_by(bucket_col)):
            sums[bucket] += sign * int(amount)
    return BalanceAfter(available=sums[Bucket.AVAILABLE], pending=sums[Bucket.PENDING])
