"""`flask ledger verify`: recompute every balance and lot from the append-only records."""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.extensions import db
from portal.models import BonusLot, Bucket, LedgerAccount, LedgerEntry, LotMove, LotStatus


@dataclass
class Verification:
    accounts: int = 0
    entries: int = 0
    lots: int = 0
    total: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "OK" if self.ok else f"FAILED ({len(self.problems)} problems)"
        return (f"ledger {state}: {self.accounts} accounts, {self.entries} entries, {self.lots} lots, "
                f"sum of all balances {self.total}")


def verify() -> Verification:
    """Every aggregate is computed in SQL; only mismatches come back to Python."""
    result = Verification()
    sums: dict[tuple[int, str], int] = {}
    for account_id, bucket, amount in db.session.execute(
            db.select(LedgerEntry.to_account_id, LedgerEntry.to_bucket, db.func.sum(LedgerEntry.amount))
            .group_by(LedgerEntry.to_account_id, LedgerEntry.to_bucket)):
        sums[(account_id, bucket.value)] = sums.get((account_id, bucket.value), 0) + int(amount)
    for account_id, bucket, amount in db.session.execute(
            db.select(LedgerEntry.from_account_id, LedgerEntry.from_bucket, db.func.sum(LedgerEntry.amount))
            .group_by(LedgerEntry.from_account_id, LedgerEntry.from_bucket)):
        sums[(account_id, bucket.value)] = sums.get((account_id, bucket.value), 0) - int(amount)
    lot_sums: dict[tuple[int, str], int] = {
        (account_id, status.value): int(remaining) for account_id, status, remaining in db.session.execute(
            db.select(BonusLot.account_id, BonusLot.status, db.func.sum(BonusLot.remaining))
            .group_by(BonusLot.account_id, BonusLot.status))}
    for account in db.session.scalars(db.select(LedgerAccount).order_by(LedgerAccount.id)):
        result.accounts += 1
        for bucket in Bucket:
            stored = getattr(account, bucket.value)
            computed = sums.get((account.id, bucket.value), 0)
            result.total += stored
            if stored != computed:
                result.problems.append(f"account {account.id} {bucket.value}: stored {stored}, entries say {computed}")
            if account.client_id is not None:
                in_lots = lot_sums.get((account.id, LotStatus(bucket.value).value), 0)
                if stored != in_lots:
                    result.problems.append(f"account {account.id} {bucket.value}: balance {stored}, lots hold {in_lots}")
                if stored < 0:
                    result.problems.append(f"account {account.id} {bucket.value} is negative: {stored}")
    if result.total != 0:
        result.problems.append(f"the sum over all accounts is {result.total}, not zero")
    result.entries = db.session.scalar(db.select(db.func.count(LedgerEntry.id))) or 0
    moved = db.select(LotMove.lot_id, db.func.sum(LotMove.amount).label("moved")).group_by(LotMove.lot_id).subquery()
    result.lots = db.session.scalar(db.select(db.func.count(BonusLot.id))) or 0
    for lot_id, amount, remaining, moved_sum in db.session.execute(
            db.select(BonusLot.id, BonusLot.amount, BonusLot.remaining, db.func.coalesce(moved.c.moved, 0))
            .outerjoin(moved, moved.c.lot_id == BonusLot.id)
            .where(db.or_(BonusLot.remaining != BonusLot.amount + db.func.coalesce(moved.c.moved, 0),
                          BonusLot.remaining < 0, BonusLot.remaining > BonusLot.amount))):
        result.problems.append(f"lot {lot_id}: remaining {remaining}, amount {amount} with moves {moved_sum}")
    return result
