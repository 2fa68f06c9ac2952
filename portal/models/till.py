"""The shop till: cash shifts and the cart a cashier is ringing up."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.locations import Location
from portal.models.staff import User
from portal.models.types import UTCDateTime, utcnow


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
