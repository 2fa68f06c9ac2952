"""SMS to clients through the outbox (SPEC §6): queued in the transaction of the business change,
so a message goes out only when that change committed, and again after a failed attempt.

    event = sms.queue(phone, text, key=f"sms:...:{row.id}", hide=[code], valid_for=CODE_TTL)  # in the transaction
    ...commit...
    sms.send_queued(event)  # after the commit: at once when OUTBOX_DELIVER_INLINE, else by the worker

`hide` lists the secrets in the text (a code, a sign-in link): the admin's outbox page shows the
text with them masked, and once the message is delivered they are wiped from the stored payload.
A message `valid_for` a while (a code) is not sent later than that: its event fails instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.extensions import db
from portal.integrations.sms import SmsError, send_sms
from portal.models import OutboxEvent, utcnow
from portal.services.messaging import delivery, outbox
from portal.services.messaging.delivery import DeliveryFailed, DeliveryRefused
from portal.services.transactions import after_commit

TOPIC = "sms"
MASK = "•••"


def queue(phone: str, text: str, key: str, hide: list[str] | tuple[str, ...] = (),
          valid_for: timedelta | None = None) -> OutboxEvent:
    """Add the message to the current transaction (the caller commits). The same key twice adds nothing.

    `valid_for`: how long after queueing the message is still worth sending (a code's lifetime)."""
    payload = {"phone": phone, "text": text, "hide": [h for h in hide if h]}
    if valid_for is not None:
        payload["expires_at"] = (utcnow() + valid_for).isoformat()
    return outbox.enqueue(TOPIC, key, payload)


def send_queued(*events: OutboxEvent) -> None:
    """Deliver these messages now if so configured (never raises), once the change that queued
    them has committed: right away when it has, else after its commit."""
    after_commit(lambda: delivery.deliver_now([event.id for event in events]))


def deliver(payload: dict, now: datetime) -> str | None:
    """The outbox handler of topic "sms": send the message, return the gateway's message id."""
    expires_at = payload.get("expires_at")
    if expires_at and datetime.fromisoformat(expires_at) <= now:
        raise DeliveryRefused("the message expired before it could be sent")
    try:
        return send_sms(payload["phone"], payload["text"])
    except SmsError as exc:
        raise DeliveryFailed(str(exc)) from exc


def masked_text(payload: dict) -> str:
    text = payload.get("text", "")
    for secret in sorted(payload.get("hide", []), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def settle(payload: dict) -> dict:
    """What is kept of a delivered message: the text without its secrets."""
    return {**payload, "text": masked_text(payload), "hide": []}


def register() -> None:
    """Make "sms" a topic the outbox pushes (called by create_app)."""
    delivery.register_handler(TOPIC, deliver, settle)


@dataclass(frozen=True)
class SmsStatus:
    """What staff see about one message: queued (with the next try), sent or failed."""
    state: str  # "queued", "sent", "failed"
    at: datetime | None  # when sent or failed; the next try when queued
    error: str
    attempts: int
    message_id: str

    @classmethod
    def of(cls, event: OutboxEvent) -> SmsStatus:
        state = {"delivered": "sent", "failed": "failed"}.get(event.state, "queued")
        at = event.delivered_at if state == "sent" else event.failed_at if state == "failed" else event.available_at
        return cls(state, at, event.last_error, event.attempts, event.delivery_ref)


def status(key: str) -> SmsStatus | None:
    event = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.key == key))
    return SmsStatus.of(event) if event is not None else None
