"""Clients: legal entities, sole proprietors and private persons."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.staff import User
from portal.models.types import UTCDateTime, enum_column, utcnow


class ClientKind(str, enum.Enum):
    LEGAL_ENTITY = "legal_entity"
    SOLE_PROPRIETOR = "sole_proprietor"
    PRIVATE_PERSON = "private_person"


class ClientStatus(str, enum.Enum):
    ACTIVE = "active"
    # Created by a manager and waiting for a supervisor: usable for prepaid orders only.
    PENDING = "pending"
    REJECTED = "rejected"


class Client(db.Model):
    __tablename__ = "clients"
    __table_args__ = (
        sa.CheckConstraint("discount_bp >= 0 AND discount_bp <= 10000", name="discount_range"),
        sa.CheckConstraint("credit_limit >= 0", name="credit_limit_non_negative"),
        sa.CheckConstraint("deferral_days >= 0", name="deferral_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ClientKind] = mapped_column(
        enum_column(ClientKind, "client_kind", 20))
    # Legal name for a company or a sole proprietor's business, full name for a person.
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    tax_id: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    # Printed on the loyalty card; a cashier can attach the client by it.
    card_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # Approved discount in basis points: 550 is 5.50 %.
    discount_bp: Mapped[int] = mapped_column(default=0)
    # Credit limit in minor units of the portal currency.
    credit_limit: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    deferral_days: Mapped[int] = mapped_column(default=0)
    # active_history: a change of manager moves the client's statistics sums (portal/daily_sums.py)
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True, active_history=True)
    status: Mapped[ClientStatus] = mapped_column(enum_column(ClientStatus, "client_status", 20),
                                                 default=ClientStatus.ACTIVE)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Dates the automation rules remind of (SPEC §8): a person's birthday, a contract's renewal.
    birthday: Mapped[date | None] = mapped_column(sa.Date)
    contract_renewal_on: Mapped[date | None] = mapped_column(sa.Date)

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    phones: Mapped[list[ClientPhone]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientPhone.id")
    emails: Mapped[list[ClientEmail]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientEmail.id")
    addresses: Mapped[list[ClientAddress]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientAddress.id")

    @property
    def primary_phone(self) -> str:
        return self.phones[0].number if self.phones else ""

    @property
    def primary_email(self) -> str:
        return self.emails[0].address if self.emails else ""


class ClientPhone(db.Model):
    __tablename__ = "client_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    # E.164, e.g. +79161234567; one phone belongs to one client.
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    client: Mapped[Client] = relationship(back_populates="phones")


class ClientEmail(db.Model):
    __tablename__ = "client_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(sa.String(254))
    client: Mapped[Client] = relationship(back_populates="emails")


class AddressKind(str, enum.Enum):
    LEGAL = "legal"
    DELIVERY = "delivery"


class ClientAddress(db.Model):
    __tablename__ = "client_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AddressKind] = mapped_column(
        enum_column(AddressKind, "address_kind", 20))
    text: Mapped[str] = mapped_column(sa.String(500))
    client: Mapped[Client] = relationship(back_populates="addresses")


class ChangeKind(str, enum.Enum):
    NEW_CLIENT = "new_client"
    CHANGE = "change"


class ChangeStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ChangeRequest(db.Model):
    """A manager's proposed change to a client's terms or requisites, waiting for a supervisor.

    `before` and `after` hold only the fields that change, as plain values (money in minor units,
    discount in basis points)."""

    __tablename__ = "change_requests"
    __table_args__ = (sa.Index("ix_change_requests_client_status", "client_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind, "change_kind", 20))
    status: Mapped[ChangeStatus] = mapped_column(enum_column(ChangeStatus, "change_status", 20),
                                                 default=ChangeStatus.PENDING, index=True)
    before: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    after: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")

    client: Mapped[Client] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
