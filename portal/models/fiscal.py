"""Fiscal documents: each sale, return, register shift and cash movement a shop's fiscal register
must record (SPEC §11), with the attributes the register gave it once registered."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, enum_column, utcnow


class FiscalKind(str, enum.Enum):
    SALE = "sale"
    RETURN = "return"  # возврат прихода
    OPEN_SHIFT = "open_shift"
    CLOSE_SHIFT = "close_shift"
    CASH_IN = "cash_in"
    CASH_OUT = "cash_out"


class FiscalStatus(str, enum.Enum):
    PENDING = "pending"        # awaiting registration (queued in the outbox, or the register has not answered)
    REGISTERED = "registered"  # the register recorded it; the fiscal attributes are filled
    FAILED = "failed"          # the register refused it for good (the error says why)


class FiscalDocument(db.Model):
    __tablename__ = "fiscal_documents"
    __table_args__ = (sa.Index("ix_fiscal_documents_shift_status", "shift_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "sale:order:12", "return:return:3", "open_shift:shift:5", "cash_in:cash:7": one document per fact
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)  # the register's task id
    kind: Mapped[FiscalKind] = mapped_column(enum_column(FiscalKind, "fiscal_kind", 20))
    status: Mapped[FiscalStatus] = mapped_column(enum_column(FiscalStatus, "fiscal_status", 20),
                                                 default=FiscalStatus.PENDING)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("returns.id"), index=True)
    cash_movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cash_movements.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the register answered: the fiscal storage (ФН) number, the fiscal document number and
    # sign (ФД, ФП/ФПД), the receipt's number within the register's shift, that shift's number,
    # the time the register put on it, and the text of the receipt's QR code.
    fn_number: Mapped[str] = mapped_column(sa.String(20), default="")
    document_number: Mapped[int | None] = mapped_column(sa.BigInteger)
    fiscal_sign: Mapped[str] = mapped_column(sa.String(20), default="")
    receipt_number: Mapped[int | None] = mapped_column(sa.Integer)
    register_shift_number: Mapped[int | None] = mapped_column(sa.Integer)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    qr: Mapped[str] = mapped_column(sa.String(500), default="")
    last_error: Mapped[str] = mapped_column(sa.String(1000), default="")
