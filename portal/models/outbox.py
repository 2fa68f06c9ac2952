"""Facts to deliver to external systems (1C, SMS), written in the transaction of the change."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OutboxEvent(db.Model):
    """One fact for one external system. Delivered at least once; `key` lets the receiver (and
    the writer) tell a repeat from a new fact."""

    __tablename__ = "outbox_events"
    __table_args__ = (sa.Index("ix_outbox_events_due", "topic", "delivered_at", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(50))  # e.g. "1c.order", "sms"
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(1000), default="")
