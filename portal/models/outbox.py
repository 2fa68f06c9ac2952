"""Facts to deliver to external systems (1C, SMS), written in the transaction of the change."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class OutboxEvent(db.Model):
    """One fact for one external system. Delivered at least once; `key` lets the receiver (and
    the writer) tell a repeat from a new fact."""

    __tablename__ = "outbox_events"
    __table_args__ = (sa.Index("ix_outbox_events_due", "topic", "delivered_at", "available_at"),
                      sa.Index("ix_outbox_events_failed", "failed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(50))  # e.g. "1c.order", "sms"
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(1000), default="")
    # Delivery bookkeeping of the push worker (portal/services/messaging/delivery.py). A worker claims
    # an event for a lease; a crashed worker's claim simply runs out and another takes it.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # gave up after OUTBOX_MAX_ATTEMPTS
    delivery_ref: Mapped[str] = mapped_column(sa.String(200), default="")  # e.g. the SMS gateway's message id

    @property
    def state(self) -> str:
        """"delivered", "failed" or "pending" (waiting for its next try or for the receiver to collect it)."""
        if self.delivered_at is not None:
            return "delivered"
        if self.failed_at is not None:
            return "failed"
        return "pending"
