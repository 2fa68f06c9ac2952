"""Many imported entries at once: `import_bonus_many` has exactly the effect of calling
`operations.import_bonus` for each item in turn, in a handful of statements per batch instead of a
dozen per item (what lets a million OpenCart reward rows come in within minutes).

Like everything in the ledger it runs inside the caller's transaction and never commits. The
accounts concerned are locked (in id order) before anything is read from them, as every other
operation does, so a till spending bonus at the same moment waits for the batch or goes first.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import daily_sums
from portal.extensions import db
from portal.ledger import settings
from portal.ledger.core import _create_account, system_account
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


@dataclass(frozen=True)
class ImportItem:
    client_id: int
    amount: int          # minor units; negative: taken from the client's available bonus, never below zero
    key: str
    reason: str = ""


@dataclass(frozen=True)
class ImportResult:
    key: str
    created: bool        # False: the key was used already (or earlier in this batch); nothing was done
    moved: int           # what actually moved: the amount, or for a negative item what the balance covered


def _accounts(client_ids: list[int]) -> dict[int, int]:
    """client_id -> account id, every account created if missing and locked, in id order."""
    table = LedgerAccount.__table__
    have = set(db.session.scalars(sa.select(table.c.client_id).where(table.c.client_id.in_(client_ids))))
    missing = [c for c in client_ids if c not in have]
    if missing:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(table), [
                    {"client_id": c, "pending": 0, "available": 0, "entries_count": 0} for c in missing])
        except IntegrityError:
            # Another transaction created one of them meanwhile: one by one, using theirs.
            for client_id in missing:
                _create_account(client_id=client_id)
    return dict(db.session.execute(sa.select(table.c.client_id, table.c.id).where(table.c.client_id.in_(client_ids))
                                   .order_by(table.c.id).with_for_update()).all())


def import_bonus_many(items: list[ImportItem], *, at: datetime) -> list[ImportResult]:
    """`import_bonus(item.client_id, item.amount, item.key, at=at, reason=item.reason)` for each item,
    in order. Returns one result per item."""
    if not items:
        return []
    ops, lots_t, entries_t = LedgerOperation.__table__, BonusLot.__table__, LedgerEntry.__table__
    used = set(db.session.scalars(sa.select(ops.c.key).where(ops.c.key.in_({i.key for i in items}))))
    new_items: list[ImportItem] = []
    for item in items:
        if item.key not in used:
            used.add(item.key)
            new_items.append(item)
    fresh = {id(i) for i in new_items}
    if not new_items:
        return [ImportResult(i.key, False, 0) for i in items]

    accounts = _accounts(sorted({i.client_id for i in new_items}))
    imported = system_account(SystemAccount.IMPORTED).id
    expiry_days = settings.current().expiry_days
    expires_at = at + timedelta(days=expiry_days)

    op_ids = [row[0] for row in db.session.execute(
        sa.insert(ops).returning(ops.c.id, sort_by_parameter_order=True),
        [{"key": i.key, "kind": OperationKind.IMPORT, "client_id": i.client_id, "order_id": None, "return_id": None,
          "amount": i.amount, "shortfall": 0, "actor_id": None, "reason": i.reason[:500], "created_at": at}
         for i in new_items])]
    # The open lots of the accounts something is taken from, in the order they are spent: (expires_at, id),
    # read before this batch's lots are added.
    spending = {accounts[i.client_id] for i in new_items if i.amount < 0}
    open_lots: dict[int, list[list]] = {a: [] for a in spending}
    remaining: dict[int, int] = {}
    if spending:
        for lot_id, account_id, left, lot_expires in db.session.execute(
                sa.select(lots_t.c.id, lots_t.c.account_id, lots_t.c.remaining, lots_t.c.expires_at)
                .where(lots_t.c.account_id.in_(spending), lots_t.c.status == LotStatus.AVAILABLE,
                       lots_t.c.remaining > 0).order_by(lots_t.c.expires_at, lots_t.c.id)):
            open_lots[account_id].append([lot_expires, lot_id])
            remaining[lot_id] = int(left)

    positive = [n for n, i in enumerate(new_items) if i.amount > 0]
    lot_ids = dict(zip(positive, (row[0] for row in db.session.execute(
        sa.insert(lots_t).returning(lots_t.c.id, sort_by_parameter_order=True),
        [{"account_id": accounts[new_items[n].client_id], "operation_id": op_ids[n], "status": LotStatus.AVAILABLE,
          "amount": new_items[n].amount, "remaining": new_items[n].amount, "available_at": at, "expires_at": expires_at,
          "expiry_days": expiry_days} for n in positive])))) if positive else {}

    entries, moves, results = [], [], {}
    delta: dict[int, list[int]] = {}            # account id -> [available change, entries added]
    for n, item in enumerate(new_items):
        account_id = accounts[item.client_id]
        change = delta.setdefault(account_id, [0, 0])
        moved = 0
        if item.amount > 0:
            moved = item.amount
            entries.append({"operation_id": op_ids[n], "from_account_id": imported, "from_bucket": Bucket.AVAILABLE,
                            "to_account_id": account_id, "to_bucket": Bucket.AVAILABLE, "amount": moved,
                            "created_at": at})
            if account_id in open_lots:
                bisect.insort(open_lots[account_id], [expires_at, lot_ids[n]])
                remaining[lot_ids[n]] = item.amount
            change[0] += moved
        elif item.amount < 0:
            wanted = -item.amount
            for _expires, lot_id in open_lots[account_id]:
                if moved == wanted:
                    break
                part = min(remaining[lot_id], wanted - moved)
                if part > 0:
                    remaining[lot_id] -= part
                    moves.append({"lot_id": lot_id, "operation_id": op_ids[n], "amount": -part})
                    moved += part
            open_lots[account_id] = [lot for lot in open_lots[account_id] if remaining[lot[1]] > 0]
            if moved:
                entries.append({"operation_id": op_ids[n], "from_account_id": account_id,
                                "from_bucket": Bucket.AVAILABLE, "to_account_id": imported,
                                "to_bucket": Bucket.AVAILABLE, "amount": moved, "created_at": at})
                change[0] -= moved
        if moved:
            change[1] += 1
        results[item.key] = moved

    if entries:
        db.session.execute(sa.insert(entries_t), entries)
        daily_sums.record_operations(sorted({e["operation_id"] for e in entries}), sorted(accounts))
    if moves:
        db.session.execute(sa.insert(LotMove.__table__), moves)
        touched = {m["lot_id"] for m in moves}
        db.session.execute(sa.update(lots_t).where(lots_t.c.id == sa.bindparam("b_id"))
                           .values(remaining=sa.bindparam("b_remaining")),
                           [{"b_id": lot_id, "b_remaining": remaining[lot_id]} for lot_id in sorted(touched)])
    accounts_t = LedgerAccount.__table__
    changes = [{"b_id": a, "b_available": d[0], "b_entries": d[1]} for a, d in sorted(delta.items()) if d[1]]
    if changes:
        db.session.execute(sa.update(accounts_t).where(accounts_t.c.id == sa.bindparam("b_id")).values(
            available=accounts_t.c.available + sa.bindparam("b_available"),
            entries_count=accounts_t.c.entries_count + sa.bindparam("b_entries")), changes)
        db.session.execute(sa.update(accounts_t).where(accounts_t.c.id == imported).values(
            available=accounts_t.c.available - sum(c["b_available"] for c in changes),
            entries_count=accounts_t.c.entries_count + sum(c["b_entries"] for c in changes)))
    # What the session may hold of these rows is stale now.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (LedgerAccount, BonusLot)):
            db.session.expire(obj)
    return [ImportResult(i.key, id(i) in fresh, results[i.key] if id(i) in fresh else 0) for i in items]
