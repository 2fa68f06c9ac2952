"""Tasks of managers (SPEC §8): a call, a meeting, a reminder — set by a person or by a rule."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.clients import Client
from portal.models.orders import Order
from portal.models.staff import User
from portal.models.types import UTCDateTime, enum_column, utcnow


class TaskStatus(str, enum.Enum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskOutcome(str, enum.Enum):
    DONE = "done"
    # A call nobody answered: fires the automation event "task_no_answer" (call back later).
    NO_ANSWER = "no_answer"


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (sa.Index("ix_tasks_assignee_open", "assignee_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, "task_status", 20), default=TaskStatus.OPEN)
    outcome: Mapped[TaskOutcome | None] = mapped_column(enum_column(TaskOutcome, "task_outcome", 20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Who set the task; None when an automation rule set it (rule_id says which).
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The automation rule that set it (no foreign key: rules live in their own module).
    rule_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])
    set_by: Mapped[User | None] = relationship(foreign_keys=[set_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    client: Mapped[Client | None] = relationship(foreign_keys=[client_id])
    order: Mapped[Order | None] = relationship(foreign_keys=[order_id])

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < (now or utcnow())
