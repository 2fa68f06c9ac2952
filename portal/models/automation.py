"""Automation rules (SPEC §8): a supervisor's rule (one event, conditions, actions) and the log of
its runs. A rule runs once per event and object: the unique key of `rule_runs` makes sure."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.staff import User
from portal.models.types import UTCDateTime, utcnow


class Rule(db.Model):
    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The team the rule works for: the objects of this supervisor's team fire it.
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The ready template it was enabled from, if any.
    template: Mapped[str | None] = mapped_column(sa.String(40))
    event: Mapped[str] = mapped_column(sa.String(40))
    event_params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    conditions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    actions: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class RuleRun(db.Model):
    """One run of a rule for one object and occurrence: what it did and what failed."""

    __tablename__ = "rule_runs"
    __table_args__ = (
        sa.UniqueConstraint("rule_id", "object_type", "object_id", "occurrence", name="uq_rule_runs_once"),
        sa.Index("ix_rule_runs_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("rules.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column()
    # The date (ISO) for date rules, the status for status events, "" otherwise.
    occurrence: Mapped[str] = mapped_column(sa.String(40), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20))  # done | failed | partly | skipped
    actions_done: Mapped[list] = mapped_column(sa.JSON, default=list)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)

    rule: Mapped[Rule] = relationship()
