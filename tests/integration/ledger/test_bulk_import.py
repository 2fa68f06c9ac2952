"""ledger.import_bonus_many: the same effect as ledger.import_bonus item by item, in a few statements."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal import ledger
from portal.extensions import db
from portal.ledger import ImportItem
from portal.models import BonusLot, LedgerEntry, LedgerOperation, LotMove

from ...factories import make_client

T = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def state_of(client_id: int):
    """Everything the ledger holds for one client, without ids."""
    account = ledger.find_client_account(client_id)
    db.session.refresh(account)
    lots = db.session.execute(sa.select(BonusLot.amount, BonusLot.remaining, BonusLot.status, BonusLot.expires_at)
                              .where(BonusLot.account_id == account.id).order_by(BonusLot.id)).all()
    entries = db.session.execute(
        sa.select(LedgerOperation.key, LedgerOperation.amount, LedgerEntry.amount, LedgerEntry.from_account_id == account.id)
        .join(LedgerEntry, LedgerEntry.operation_id == LedgerOperation.id, isouter=True)
        .where(LedgerOperation.client_id == client_id).order_by(LedgerOperation.id)).all()
    moves = db.session.execute(sa.select(LotMove.amount).join(BonusLot, BonusLot.id == LotMove.lot_id)
                               .where(BonusLot.account_id == account.id).order_by(LotMove.id)).scalars().all()
    strip = [(key.split(":", 1)[1], op, entry, out) for key, op, entry, out in entries]
    return account.available, account.pending, account.entries_count, lots, strip, moves


def test_many_items_match_one_by_one_exactly(ctx):
    rng = random.Random(7)
    one, many = [make_client(name=f"One {n}").id for n in range(5)], [make_client(name=f"Many {n}").id for n in range(5)]
    # Some bonus both sides already hold, with an earlier expiry (spent first).
    for a, b in zip(one, many):
        ledger.import_bonus(a, 300, f"a:pre:{a}", at=T - timedelta(days=100))
        ledger.import_bonus(b, 300, f"b:pre:{a}", at=T - timedelta(days=100))
    db.session.commit()
    plan = [(rng.randrange(5), rng.choice([500, 120, 1, 0, -50, -400, -1000, 75])) for _ in range(120)]
    for n, (who, amount) in enumerate(plan):
        ledger.import_bonus(one[who], amount, f"a:{who}:{n}", at=T, reason=f"row {n}")
    db.session.commit()
    for start in range(0, len(plan), 37):    # batches that cut through the sequence anywhere
        items = [ImportItem(many[who], amount, f"b:{who}:{n}", f"row {n}")
                 for n, (who, amount) in enumerate(plan) if start <= n < start + 37]
        results = ledger.import_bonus_many(items, at=T)
        assert all(r.created for r in results)
        db.session.commit()
    for a, b in zip(one, many):
        assert state_of(a) == state_of(b)
    assert ledger.verify().ok


def test_used_keys_and_repeats_within_a_batch_change_nothing(ctx):
    client = make_client().id
    ledger.import_bonus(client, 1000, "k:1", at=T)
    results = ledger.import_bonus_many([ImportItem(client, 1000, "k:1"), ImportItem(client, 200, "k:2"),
                                        ImportItem(client, 999, "k:2"), ImportItem(client, -1500, "k:3")], at=T)
    db.session.commit()
    assert [(r.created, r.moved) for r in results] == [(False, 0), (True, 200), (False, 0), (True, 1200)]
    assert ledger.find_client_account(client).available == 0
    assert ledger.import_bonus_many([ImportItem(client, 5, "k:3")], at=T)[0].created is False
    assert ledger.verify().ok
