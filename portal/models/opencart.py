"""What the OpenCart import keeps in the portal: which shop customer is which client, and how far
each shop's reward rows have been imported."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.clients import Client
from portal.models.types import UTCDateTime, utcnow


class OpencartCustomer(db.Model):
    """One OpenCart customer (of one source shop) and the portal client it was created as or linked to.
    Several customers may share a client (the same e-mail registered twice)."""

    __tablename__ = "opencart_customers"
    __table_args__ = (sa.UniqueConstraint("source", "customer_id", name="uq_opencart_customers_source_customer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(100))
    customer_id: Mapped[int] = mapped_column(sa.BigInteger)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    # How the link was made: "email", "phone" (an existing client) or "created" (a new one).
    matched_by: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()


class OpencartImport(db.Model):
    """The import state of one source shop: the last customer and reward row brought in, and the
    point value it was imported with (a re-run must use the same one)."""

    __tablename__ = "opencart_imports"

    source: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    point_value: Mapped[str] = mapped_column(sa.String(40))
    last_customer_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_reward_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
