"""Pushing outbox events to their receivers: at least once, with back-off, by many workers at once.

Only topics with a registered push handler are delivered here ("sms", "fiscal"); the others ("1c.order",
"1c.client") wait until their receiver collects them (1C pulls them through /exchange).

A delivery is three short steps, never a transaction held open across the network:
1. claim: mark a due event as taken by this worker until a lease runs out (claimed_by,
   claimed_until). On PostgreSQL the candidates are read `FOR UPDATE SKIP LOCKED`, so workers never
   wait for each other; the claim itself is a compare-and-set, so even two SQLite processes never
   take the same event. A crashed worker's claim simply runs out and another worker takes it;
2. deliver: call the handler with the payload (no database transaction open);
3. record: in its own transaction, delivered_at and the receiver's reference, or the error, one
   more attempt and the next try after an exponential back-off, or failed_at after
   OUTBOX_MAX_ATTEMPTS attempts.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import OutboxEvent, User, utcnow
from portal.services import audit
from portal.services.transactions import one_transaction, read_only

log = logging.getLogger("portal.outbox")

STATES = ("pending", "delivered", "failed")


class DeliveryRefused(Exception):
    """A delivery that can never succeed (e.g. an SMS code that expired before it could be sent):
    the event fails at once, without further tries."""


class DeliveryFailed(Exception):
    """The receiver did not take it this time (a gateway's error, a timeout): the text says why, is
    shown to the administrator, and the event is tried again later."""


@dataclass(frozen=True)
class Handler:
    deliver: Callable[[dict, datetime], str | None]  # (payload, now) -> the receiver's reference or None
    settle: Callable[[dict], dict] | None = None  # the payload to keep once it is delivered


_HANDLERS: dict[str, Handler] = {}


def register_handler(topic: str, deliver: Callable[[dict, datetime], str | None],
                     settle: Callable[[dict], dict] | None = None) -> None:
    _HANDLERS[topic] = Handler(deliver, settle)


def handlers() -> dict[str, Handler]:
    """Every topic the worker pushes, with its handler (registered by create_app)."""
    return dict(_HANDLERS)


# ------------------------------------------------------------------------------------------ settings

@dataclass(frozen=True)
class Backoff:
    """The wait after the n-th failed attempt: base × 2^(n−1), at most cap, less up to `jitter`
    of it at random (so workers that failed together do not all retry in the same second)."""
    base: float
    cap: float
    jitter: float = 0.0

    def delay(self, failures: int, rng: Callable[[], float] = random.random) -> timedelta:
        raw = min(self.cap, self.base * 2 ** max(failures - 1, 0))
        if self.jitter:
            raw *= 1 - self.jitter * rng()
        return timedelta(seconds=raw)


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int
    backoff: Backoff
    lease: timedelta
    inline: bool

    @classmethod
    def from_config(cls, config) -> DeliverySettings:
        jitter = float(config.get("OUTBOX_BACKOFF_JITTER", 0.1))
        if not 0 <= jitter <= 1:
            raise ValueError("OUTBOX_BACKOFF_JITTER must be between 0 and 1")
        return cls(max_attempts=max(int(config.get("OUTBOX_MAX_ATTEMPTS", 8)), 1),
                   backoff=Backoff(float(config.get("OUTBOX_BACKOFF_BASE", 10)),
                                   float(config.get("OUTBOX_BACKOFF_CAP", 3600)), jitter),
                   lease=timedelta(seconds=float(config.get("OUTBOX_CLAIM_SECONDS", 120))),
                   inline=bool(config.get("OUTBOX_DELIVER_INLINE", True)))


def settings() -> DeliverySettings:
    return DeliverySettings.from_config(current_app.config)


def new_worker_id(kind: str = "worker") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:100]


# ------------------------------------------------------------------------------------------ claiming

def _claimable(now: datetime):
    return (OutboxEvent.delivered_at.is_(None), OutboxEvent.failed_at.is_(None),
            sa.or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now))


def claim(worker_id: str, now: datetime | None = None, *, limit: int = 1, ids: Iterable[int] | None = None,
          topics: Iterable[str] | None = None) -> list[int]:
    """Take up to `limit` due events (or just these `ids`, due or not) for this worker; their ids."""
    now = now or utcnow()
    topics = list(topics) if topics is not None else list(handlers())
    lease_until = now + settings().lease

    def run() -> list[int]:
        stmt = sa.select(OutboxEvent.id).where(OutboxEvent.topic.in_(topics), *_claimable(now))
        if ids is None:
            stmt = stmt.where(OutboxEvent.available_at <= now).order_by(OutboxEvent.available_at, OutboxEvent.id)
        else:
            stmt = stmt.where(OutboxEvent.id.in_(list(ids))).order_by(OutboxEvent.id)
        candidates = list(db.session.scalars(stmt.limit(limit).with_for_update(skip_locked=True)))
        taken = []
        for event_id in candidates:
            done = db.session.execute(
                sa.update(OutboxEvent).where(OutboxEvent.id == event_id, *_claimable(now))
                .values(claimed_by=worker_id, claimed_until=lease_until)
                .execution_options(synchronize_session=False))
            if done.rowcount == 1:
                taken.append(event_id)
        return taken

    if not topics:
        return []
    return one_transaction(run)


# ------------------------------------------------------------------------------------------ delivering

@dataclass
class Outcome:
    event_id: int
    delivered: bool
    error: str = ""
    gave_up: bool = False


def deliver_claimed(event_id: int, worker_id: str, now: Callable[[], datetime] = utcnow) -> Outcome:
    """Deliver one event this worker claimed and record the result in its own transaction."""
    def read() -> tuple[str, dict]:
        event = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.id == event_id)
                                  .execution_options(populate_existing=True))
        return event.topic, dict(event.payload)

    topic, payload = read_only(read)  # no transaction stays open while the receiver is called
    handler = handlers().get(topic)
    reference, error, permanent = None, "", False
    if handler is None:
        error, permanent = f"no push handler for topic {topic!r}", True
    else:
        try:
            reference = handler.deliver(payload, now())
        except DeliveryRefused as exc:
            error, permanent = str(exc) or "refused", True
        except DeliveryFailed as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong is recorded and tried again
            log.exception("outbox event %s (%s): the handler failed", event_id, topic)
            error = f"{type(exc).__name__}: {exc}"
    return record(event_id, worker_id, now(), reference=reference, error=error, permanent=permanent,
                  handler=handler)


def record(event_id: int, worker_id: str, at: datetime, *, reference: str | None = None, error: str = "",
           permanent: bool = False, handler: Handler | None = None) -> Outcome:
    """The result of one delivery attempt, written in its own transaction."""
    config = settings()

    def run() -> Outcome:
        event = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update()
                                  .execution_options(populate_existing=True))
        if event.claimed_by == worker_id:
            event.claimed_by = event.claimed_until = None
        else:  # the lease ran out and another worker took the event: it is delivered twice at worst
            log.warning("outbox event %s: the claim of %s had run out (now %s)", event_id, worker_id,
                        event.claimed_by)
        if event.delivered_at is not None:  # another worker's attempt got through first
            return Outcome(event_id, True)
        event.attempts += 1
        event.last_attempt_at = at
        outcome = Outcome(event_id, not error, error)
        if not error:
            event.delivered_at = at
            event.delivery_ref = (reference or "")[:200]
            event.last_error = ""
        else:
            event.last_error = error[:1000]
            if permanent or event.attempts >= config.max_attempts:
                event.failed_at = at
                outcome.gave_up = True
            else:
                event.available_at = at + config.backoff.delay(event.attempts)
        if handler is not None and handler.settle is not None and (not error or permanent):
            event.payload = handler.settle(dict(event.payload))
        return outcome

    outcome = one_transaction(run)
    if outcome.error:
        log.warning("outbox event %s: %s%s", event_id, outcome.error, " (gave up)" if outcome.gave_up else "")
    return outcome


@dataclass
class DrainResult:
    delivered: int = 0
    failed_tries: int = 0
    gave_up: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if outcome.delivered:
            self.delivered += 1
        else:
            self.failed_tries += 1
            self.gave_up += outcome.gave_up

    @property
    def attempts(self) -> int:
        return len(self.outcomes)


def deliver_due(worker_id: str | None = None, *, limit: int | None = None,
                now: Callable[[], datetime] = utcnow, should_stop: Callable[[], bool] = lambda: False,
                topics: Iterable[str] | None = None) -> DrainResult:
    """Deliver due events one by one until none is due (or `limit` attempts, or `should_stop()`)."""
    worker_id = worker_id or new_worker_id()
    result = DrainResult()
    while (limit is None or result.attempts < limit) and not should_stop():
        taken = claim(worker_id, now(), topics=topics)
        if not taken:
            break
        result.add(deliver_claimed(taken[0], worker_id, now))
    return result


def deliver_now(event_ids: Iterable[int]) -> DrainResult:
    """Best effort, right after the commit that wrote them: deliver these events from this process
    when OUTBOX_DELIVER_INLINE is on (a client waiting for a code gets it at once). Whatever does
    not get through stays for the worker, which retries it; this never raises."""
    result = DrainResult()
    ids = [i for i in event_ids if i is not None]
    if not ids or not settings().inline:
        return result
    worker_id = new_worker_id("inline")
    try:
        for event_id in claim(worker_id, ids=ids, limit=len(ids)):
            result.add(deliver_claimed(event_id, worker_id))
    except Exception:  # noqa: BLE001 - the business change is committed; the worker delivers later
        db.session.rollback()
        log.exception("inline delivery of outbox events %s failed; the worker will deliver them", ids)
    return result


# ------------------------------------------------------------------------------------------ the admin's view

def retry_now(actor: User | None, event_id: int, now: datetime | None = None) -> OutboxEvent:
    """Give a failed event a fresh set of attempts, due at once. Audited."""
    now = now or utcnow()

    def run() -> OutboxEvent:
        event = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update())
        if event is None:
            raise NotFound(_l("No such outbox event."))
        if event.failed_at is None:
            raise DomainError(_l("Only an event that failed can be retried."))
        before = {"attempts": event.attempts, "failed_at": event.failed_at.isoformat(), "error": event.last_error}
        event.failed_at = None
        event.attempts = 0
        event.available_at = now
        event.claimed_by = event.claimed_until = None
        audit.record(actor, "outbox_retried", event, before, {"attempts": 0, "failed_at": None, "topic": event.topic,
                                                              "key": event.key})
        return event

    return one_transaction(run)


def _state_filter(state: str):
    return {"pending": sa.and_(OutboxEvent.delivered_at.is_(None), OutboxEvent.failed_at.is_(None)),
            "delivered": OutboxEvent.delivered_at.is_not(None),
            "failed": sa.and_(OutboxEvent.failed_at.is_not(None), OutboxEvent.delivered_at.is_(None))}[state]


def events_query(state: str | None = None, topic: str | None = None) -> sa.Select:
    """Outbox events, newest first, in one state and/or of one topic."""
    stmt = sa.select(OutboxEvent).order_by(OutboxEvent.id.desc())
    if state in STATES:
        stmt = stmt.where(_state_filter(state))
    if topic:
        stmt = stmt.where(OutboxEvent.topic == topic)
    return stmt


def state_counts(topic: str | None = None) -> dict[str, int]:
    counts = {}
    for state in STATES:
        stmt = sa.select(sa.func.count(OutboxEvent.id)).where(_state_filter(state))
        if topic:
            stmt = stmt.where(OutboxEvent.topic == topic)
        counts[state] = db.session.scalar(stmt) or 0
    return counts


def topics() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxEvent.topic).distinct().order_by(OutboxEvent.topic)))


def is_pushed(topic: str) -> bool:
    """Whether the worker delivers this topic (otherwise the receiver collects it)."""
    return topic in handlers()
