"""Staff users: managers, supervisors, cashiers, admins."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.locations import Location
from portal.models.types import UTCDateTime, enum_column, utcnow


class Role(str, enum.Enum):
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    CASHIER = "cashier"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    role: Mapped[Role] = mapped_column(
        enum_column(Role, "staff_role", 20))
    supervisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"), index=True)
    hired_on: Mapped[date | None] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Bumped on password reset and deactivation: every session cookie carrying the old
    # value stops working at once.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supervisor: Mapped[User | None] = relationship(remote_side=[id], back_populates="team")
    team: Mapped[list[User]] = relationship(back_populates="supervisor", order_by="User.name")
    shop: Mapped[Location | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
