"""The bonus ledger's tables. Only `portal.ledger` writes them.

- `LedgerAccount`: a client's bonus account (buckets `pending` and `available`) or a company
  system account (issued, redeemed, expired, adjustments, imported; they use `available` only
  and go negative). Balances are materialised here and updated with every entry.
- `LedgerOperation`: one business operation (an accrual for an order line, a redemption, a
  release ...), unique by its idempotency key.
- `LedgerEntry`: one transfer of an amount from one (account, bucket) to another. Append-only.
- `BonusLot`: a tranche of bonus with its own release and expiry dates; `LotMove` records every
  change of a lot's remaining amount (append-only), so lots can be recomputed like balances.
- `BonusSettings`: the programme; every change is a new row, the newest applies.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, enum_column, utcnow


class Bucket(str, enum.Enum):
    PENDING = "pending"
    AVAILABLE = "available"


class SystemAccount(str, enum.Enum):
    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    ADJUSTMENTS = "adjustments"
    IMPORTED = "imported"


class OperationKind(str, enum.Enum):
    ACCRUAL = "accrual"
    RELEASE = "release"
    REDEMPTION = "redemption"
    REDEMPTION_RESTORE = "redemption_restore"
    ACCRUAL_REVERSAL = "accrual_reversal"
    EXPIRY = "expiry"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"


class LotStatus(str, enum.Enum):
    PENDING = "pending"
    AVAILABLE = "available"


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        sa.CheckConstraint("(client_id IS NULL) <> (system_code IS NULL)", name="client_or_system"),
        # No overdraft, ever: a client's buckets never go below zero.
        sa.CheckConstraint("system_code IS NOT NULL OR (pending >= 0 AND available >= 0)", name="client_no_overdraft"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), unique=True)
    system_code: Mapped[SystemAccount | None] = mapped_column(enum_column(SystemAccount, "system_account", 20), unique=True)
    pending: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    available: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    entries_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class LedgerOperation(db.Model):
    __tablename__ = "ledger_operations"
    __table_args__ = (sa.Index("ix_ledger_operations_client_created", "client_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OperationKind] = mapped_column(enum_column(OperationKind, "operation_kind", 20))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("returns.id"), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # For an accrual reversal: the part that could not be taken back (already spent).
    shortfall: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(db.Model):
    """One transfer. Never updated or deleted (a trigger refuses it on PostgreSQL)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_ledger_entries_from", "from_account_id", "id"),
        sa.Index("ix_ledger_entries_to", "to_account_id", "id"),
        # Statistics: the bonus programme's movements by the moment of each entry.
        sa.Index("ix_ledger_entries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_operations.id"), index=True)
    from_account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"))
    from_bucket: Mapped[Bucket] = mapped_column(enum_column(Bucket, "from_bucket", 20))
    to_account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"))
    to_bucket: Mapped[Bucket] = mapped_column(enum_column(Bucket, "to_bucket", 20))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    operation: Mapped[LedgerOperation] = relationship()


class BonusLot(db.Model):
    __tablename__ = "bonus_lots"
    __table_args__ = (
        sa.CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_within_amount"),
        # Only lots with something left matter to reads, releases and expiry: spent lots, however
        # many a client collects over the years, never slow them down.
        sa.Index("ix_bonus_lots_open_by_release", "account_id", "status", "available_at",
                 sqlite_where=sa.text("remaining > 0"), postgresql_where=sa.text("remaining > 0")),
        sa.Index("ix_bonus_lots_open_by_expiry", "account_id", "status", "expires_at",
                 sqlite_where=sa.text("remaining > 0"), postgresql_where=sa.text("remaining > 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"))
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_operations.id"))
    status: Mapped[LotStatus] = mapped_column(enum_column(LotStatus, "lot_status", 20))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    remaining: Mapped[int] = mapped_column(sa.BigInteger)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expiry_days: Mapped[int] = mapped_column()


class LotMove(db.Model):
    """A change of a lot's remaining amount by an operation (negative: taken from the lot)."""

    __tablename__ = "bonus_lot_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("bonus_lots.id"), index=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_operations.id"), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)


class BonusSettings(db.Model):
    __tablename__ = "bonus_settings"
    __table_args__ = (
        sa.CheckConstraint("accrual_rate_bp >= 0 AND accrual_rate_bp <= 10000", name="accrual_rate_range"),
        sa.CheckConstraint("max_redeem_share_bp >= 0 AND max_redeem_share_bp <= 10000", name="redeem_share_range"),
        sa.CheckConstraint("hold_days >= 0 AND expiry_days >= 1", name="days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    accrual_rate_bp: Mapped[int] = mapped_column(default=500)
    hold_days: Mapped[int] = mapped_column(default=14)
    max_redeem_share_bp: Mapped[int] = mapped_column(default=3000)
    expiry_days: Mapped[int] = mapped_column(default=365)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
