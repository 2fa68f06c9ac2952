"""flask commands of the outbox: `flask worker` delivers it, `flask outbox status|retry` inspect it."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from portal.errors import DomainError
from portal.extensions import db
from portal.models import OutboxEvent
from portal.services.messaging import delivery
from portal.services.messaging.worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--idle", type=float, default=None, help="Seconds to sleep when nothing is due (OUTBOX_IDLE_SECONDS).")
@with_appcontext
def worker_command(once, idle):
    """Deliver outbox events (SMS, and every topic with a push handler), retrying failures; once a
    company-local day, run the automation date rules (birthdays, contract renewals, payments due).

    Safe to run as several processes at once on PostgreSQL; SIGTERM/SIGINT stop it after the
    event in hand."""

    # Its lines (logger portal.outbox) go to stderr as create_app's logging set-up says (portal/logs.py).
    worker = Worker(idle_seconds=idle)
    result = worker.run_once() if once else worker.run_forever()
    click.echo(f"worker {worker.worker_id}: {result.delivered} delivered, {result.failed_tries} failed attempts, "
               f"{result.gave_up} given up")


outbox_cli = AppGroup("outbox", help="The outbox of facts for external systems.")


@outbox_cli.command("status")
def outbox_status():
    """Events per topic and state; the failed ones with their errors."""

    pushed = delivery.handlers()
    for topic in delivery.topics():
        counts = delivery.state_counts(topic)
        how = "pushed by the worker" if topic in pushed else "collected by the receiver"
        click.echo(f"{topic:<12} pending {counts['pending']:>6}  delivered {counts['delivered']:>8}  "
                   f"failed {counts['failed']:>5}  ({how})")
    failed = db.session.scalars(delivery.events_query("failed").limit(20))
    for event in failed:
        click.echo(f"failed #{event.id} {event.topic} {event.key} after {event.attempts} attempts: {event.last_error}")
    due = db.session.scalar(db.select(db.func.min(OutboxEvent.available_at)).where(
        OutboxEvent.topic.in_(list(pushed)), OutboxEvent.delivered_at.is_(None), OutboxEvent.failed_at.is_(None)))
    if due is not None:
        click.echo(f"next try due at {due.isoformat()}")


@outbox_cli.command("retry")
@click.argument("event_id", type=int)
def outbox_retry(event_id):
    """Give a failed event a fresh set of attempts, due at once (the worker delivers it)."""

    try:
        event = delivery.retry_now(None, event_id)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"event #{event.id} ({event.topic} {event.key}) is due again")
