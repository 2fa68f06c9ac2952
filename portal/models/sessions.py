"""Server-side sign-in sessions: the cookie carries a random token, the database its SHA-256.

A session ends on sign-out (that one only), and is refused once `ended_at` is set, so a cookie
copied before sign-out opens nothing afterwards. Staff and clients have a table each: a staff
session belongs to a user, a client's bonus-page session to a client.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class _SessionColumns:
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the cookie's token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")


class StaffSession(_SessionColumns, db.Model):
    __tablename__ = "staff_sessions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)


class ClientSession(_SessionColumns, db.Model):
    __tablename__ = "client_sessions"

    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
