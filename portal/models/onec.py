"""The state of the 1C exchange (CommerceML 2 "exchange with site"): who is connected, how far
each catalogue file has been imported, and which outbox events each orders query handed out."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class OnecSession(db.Model):
    """One exchange session: opened by `checkauth`, named by the cookie 1C sends back afterwards
    (only its SHA-256 is kept)."""

    __tablename__ = "onec_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # "catalog" or "sale"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnecImport(db.Model):
    """How far `import` has got with one file of a session; resumed by the next `import` call."""

    __tablename__ = "onec_imports"
    __table_args__ = (sa.UniqueConstraint("session_id", "filename", name="uq_onec_imports_session_filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("onec_sessions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="in_progress")  # in_progress, done, failed
    # Units (the classifier, each product, each offer) already applied and committed.
    position: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    message: Mapped[str] = mapped_column(sa.String(1000), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnecOrderQuery(db.Model):
    """The outbox events one `mode=query` handed to 1C; `mode=success` confirms them."""

    __tablename__ = "onec_order_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("onec_sessions.id", ondelete="CASCADE"), index=True)
    event_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    documents: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class OnecWarehouse(db.Model):
    """A warehouse 1C names in its offers (Склады), and the portal location its stock goes to.

    The administrator maps each one on the 1C page; stock at an unmapped warehouse is counted
    nowhere (and said so), never added to another location."""

    __tablename__ = "onec_warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    onec_id: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"))
    # The units the last offers package put at this warehouse while it was unmapped (text: 1C counts
    # kilograms and metres too), and when a package last named it.
    unmapped_quantity: Mapped[str] = mapped_column(sa.String(32), default="0")
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
