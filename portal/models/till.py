"""The shop till: cash shifts and the cart a cashier is ringing up."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.locations import Location
from portal.models.staff import User
from portal.models.types import UTCDateTime, enum_column, utcnow


class Shift(db.Model):
    """A cashier's shift at a shop: opened with a cash float, closed with a counted amount."""

    __tablename__ = "shifts"
    __table_args__ = (
        sa.CheckConstraint("opening_float >= 0", name="float_non_negative"),
        sa.CheckConstraint("counted_cash IS NULL OR counted_cash >= 0", name="counted_non_negative"),
        # One open shift per cashier: closed shifts carry their closing time in the key.
        sa.Index("ix_shifts_one_open", "cashier_id", unique=True, sqlite_where=sa.text("closed_at IS NULL"),
                 postgresql_where=sa.text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opening_float: Mapped[int] = mapped_column(sa.BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted_cash: Mapped[int | None] = mapped_column(sa.BigInteger)
    expected_cash: Mapped[int | None] = mapped_column(sa.BigInteger)  # fixed at close (the Z report)

    cashier: Mapped[User] = relationship()
    location: Mapped[Location] = relationship()


class TillCart(db.Model):
    """What a cashier is ringing up now. Kept in the database so a reload or a dropped tablet loses nothing."""

    __tablename__ = "till_carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"))
    bonus: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # [{"product_id": 1, "qty": 2}, ...] in the order scanned
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Bumped on every change; a checkout's idempotency key includes it, so a double tap on
    # "Pay" places one sale.
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ParkedCart(db.Model):
    """A cart put aside so the till can serve the next customer; any cashier of the shop may resume
    it. It holds no stock (stock is checked again when it is resumed and when it is paid)."""

    __tablename__ = "parked_carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(60))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"))
    # [{"product_id": 1, "qty": 2}, ...] as the cart had them
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    parked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    parked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped[Location] = relationship()
    parked_by: Mapped[User] = relationship()


class QuickKey(db.Model):
    """A product on a shop's quick-key grid, in the order the administrator set. A shop without
    any shows its best sellers of the last 30 days instead."""

    __tablename__ = "quick_keys"
    __table_args__ = (sa.UniqueConstraint("location_id", "product_id", name="uq_quick_keys_location_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(default=0)


class CashMovementKind(str, enum.Enum):
    IN = "in"    # внесение: cash put into the drawer (change money brought from the safe)
    OUT = "out"  # изъятие: cash taken out (to the safe, to the bank, petty expenses)


class CashMovement(db.Model):
    """Cash put into or taken out of the drawer during a shift, with the reason."""

    __tablename__ = "cash_movements"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    kind: Mapped[CashMovementKind] = mapped_column(enum_column(CashMovementKind, "cash_movement_kind", 10))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)  # a double tap records one movement
