"""Audit trail and staff notifications: written inside the caller's transaction."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from portal import bulk
from portal.extensions import db
from portal.models import AuditEvent, Notification, User, utcnow
from portal.services.transactions import operation

# The system that acts when there is no person: "cli", "1c", "api", "opencart", "demo" ...
_source: ContextVar[str | None] = ContextVar("audit_source", default=None)


@contextmanager
def system_source(name: str) -> Iterator[None]:
    """Within this block an event without an actor names `name` as its source ("cli:…")."""
    token = _source.set(name)
    try:
        yield
    finally:
        _source.reset(token)


def current_source() -> str | None:
    return _source.get()


def record(actor: User | None, action: str, obj, before: dict | None = None, after: dict | None = None, *,
           source: str | None = None) -> AuditEvent:
    """Add an audit event for `obj` to the current transaction (the caller commits).

    Without an actor the action is prefixed with the system that acted (`source`, else the one
    set by `system_source`): "1c:order_cancelled", "cli:bonus_settings_changed"."""
    return record_id(actor, action, obj.__tablename__, obj.id, before, after, source=source)


def record_id(actor: User | None, action: str, object_type: str, object_id: int | None,
              before: dict | None = None, after: dict | None = None, *, source: str | None = None) -> AuditEvent:
    """`record` for an object known by its table and id (rows written with SQL, not the ORM)."""
    if actor is None:
        source = source or _source.get()
        if source and ":" not in action:
            action = f"{source}:{action}"
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def record_many(action: str, object_type: str, changes: list[tuple[int, dict | None, dict | None]], *,
                source: str) -> None:
    """Many system changes of one kind at once ((object id, before, after) each), written in one
    statement: a catalogue package changes thousands of products in a step."""
    if not changes:
        return
    action = action if ":" in action else f"{source}:{action}"
    now = utcnow()
    bulk.insert(AuditEvent.__table__, [
        {"at": now, "actor_id": None, "action": action, "object_type": object_type, "object_id": object_id,
         "before": before, "after": after} for object_id, before, after in changes])


def notify(user: User, kind: str, link: str = "", **params) -> Notification:
    """Add a notification for `user` to the current transaction (the caller commits)."""
    note = Notification(user_id=user.id, kind=kind, params=params, link=link)
    db.session.add(note)
    return note


def notify_client(client_id: int, kind: str, link: str = "", **params) -> Notification:
    """Add a notification shown on a client's bonus page to the current transaction."""
    note = Notification(client_id=client_id, kind=kind, params=params, link=link)
    db.session.add(note)
    return note


def client_notifications(client_id: int, limit: int = 5) -> list[Notification]:
    return list(db.session.scalars(
        db.select(Notification).where(Notification.client_id == client_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def history_of(obj) -> list[AuditEvent]:
    """Every audit event of an object, oldest first: who, when, what before and after."""
    return list(db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.at, AuditEvent.id)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent_notifications(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        db.select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


@operation
def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of the user as read."""
    query = db.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=utcnow()))
    return result.rowcount
