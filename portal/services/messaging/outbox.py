"""The outbox (SPEC §2, §6): facts for external systems written in the transaction of the change.

A worker delivers them at least once; the `key` makes writing the same fact twice harmless and
lets the receiving end recognise a repeat.
"""
from __future__ import annotations

from portal.extensions import db
from portal.models import OutboxEvent, utcnow


def enqueue(topic: str, key: str, payload: dict) -> OutboxEvent:
    """Add the fact to the current transaction (the caller commits). The same key twice adds nothing."""
    found = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.key == key))
    if found is not None:
        return found
    event = OutboxEvent(topic=topic, key=key, payload=payload, created_at=utcnow(), available_at=utcnow())
    db.session.add(event)
    return event


def pending(topic: str, limit: int = 100) -> list[OutboxEvent]:
    return list(db.session.scalars(
        db.select(OutboxEvent).where(OutboxEvent.topic == topic, OutboxEvent.delivered_at.is_(None))
        .order_by(OutboxEvent.id).limit(limit)))
