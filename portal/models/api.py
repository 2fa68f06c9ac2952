"""Web-shop API keys and remembered responses for idempotent POSTs."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import OneTimeCode, UTCDateTime, utcnow


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(12))  # shown in lists to tell keys apart
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the whole key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotentResponse(db.Model):
    """The response first given to a POST with this key, replayed for the same body."""

    __tablename__ = "api_idempotent_responses"
    __table_args__ = (sa.UniqueConstraint("api_key_id", "key", name="uq_api_idempotent_responses_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(sa.ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClientLoginCode(OneTimeCode, db.Model):
    """A one-time SMS code for a client's sign-in to the bonus page."""

    __tablename__ = "client_login_codes"

    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
