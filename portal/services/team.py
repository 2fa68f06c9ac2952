"""A supervisor's team of managers."""
from __future__ import annotations

from ..extensions import db
from ..models import Role, User


def team_members(supervisor: User, include_inactive: bool = False) -> list[User]:
    stmt = db.select(User).where(User.supervisor_id == supervisor.id, User.role == Role.MANAGER).order_by(User.name)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))
