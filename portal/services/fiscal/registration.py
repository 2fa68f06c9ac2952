"""Registering fiscal documents: the outbox's push handler of topic "fiscal".

One attempt, with no database transaction open while the register is asked:
1. read the document and build its task from the sale, return, shift or cash movement (plain values
   to portal/integrations/atol/tasks);
2. hand the task to the register under the document's uuid — `atol`: POST it to the shop's driver
   web server (`Location.fiscal_register_url`) and read the result by uuid for up to
   FISCAL_WAIT_SECONDS; `file`: write it to FISCAL_FILE_DIR/<uuid>.json for an agent on the shop's
   computer, and read the agent's answer from <uuid>.result.json (the same result an ATOL web server
   gives) on this or a later attempt;
3. record what came back on the document, in its own transaction.

Outcomes:
- done: the document is registered with the register's attributes (ФН, ФД, ФП, shift, time, QR);
- not finished yet (the register queued it, is printing, the agent has not answered): the event is
  tried again with back-off under the same uuid. Posting a uuid the register has already is answered
  409 and registers nothing, so a retry only reads the result: never a second receipt;
- refused by the register (busy, shift over 24 hours, no paper...): nothing was registered, so the
  document takes a new uuid and the event is tried again with back-off; the reason is kept on the
  document (the till and the shift page show it) and on the outbox event (the admin's outbox page);
- the register not reachable, or the shop without a register address: tried again likewise;
- opening the register's shift when it is open already (83), closing it when it is closed (73): done;
- a task that cannot be built (a VAT rate the register has not): the document is *failed* and its
  event fails at once; fixing the cause and "Retry now" on the admin's outbox page registers it.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.integrations.atol import client, tasks
from portal.models import (
    CashMovement,
    CashMovementKind,
    FiscalDocument,
    FiscalKind,
    FiscalStatus,
    Location,
    Order,
    PaymentMethod,
    Return,
    Shift,
    User,
)
from portal.services.fiscal import documents
from portal.services.messaging import delivery
from portal.services.messaging.delivery import DeliveryFailed, DeliveryRefused
from portal.services.transactions import one_transaction, read_only

NO_ADDRESS = "[no-address]"
QR_KINDS = {FiscalKind.SALE: 1, FiscalKind.RETURN: 2}  # n= in the QR: 1 приход, 2 возврат прихода


@dataclass(frozen=True)
class Job:
    document_id: int
    uuid: str
    kind: FiscalKind
    registered: bool
    document_number: int | None
    register_url: str
    task: dict


def _operator(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user is not None else ""


def _payment_type(method: PaymentMethod) -> str:
    return tasks.CASH if method is PaymentMethod.CASH else tasks.ELECTRONICALLY


def _contact(order: Order) -> str:
    client = order.client
    return (client.primary_phone or client.primary_email) if client is not None else ""


def build_task(document: FiscalDocument) -> dict:
    """The register's task for the document, from the facts it records."""
    taxation = current_app.config.get("FISCAL_TAXATION_TYPE", "")
    if document.kind is FiscalKind.SALE:
        order = db.session.get(Order, document.order_id)
        lines = [tasks.Line(line.name, line.price, line.qty, line.price * line.qty - line.discount, line.vat_rate,
                            line.vat) for line in order.lines]
        payments = [(_payment_type(p.method), p.amount) for p in order.payments]
        if order.bonus_redeemed:
            payments.append((tasks.OTHER, order.bonus_redeemed))
        return tasks.receipt_task(tasks.Receipt(tasks.SELL, _operator(order.created_by_id), lines, payments,
                                                _contact(order), taxation))
    if document.kind is FiscalKind.RETURN:
        ret = db.session.get(Return, document.return_id)
        # A line's goods are worth the money paid for them and the bonus spent on them; what comes
        # back as bonus, and money kept back for bonus already spent, are "other" payments.
        lines = [tasks.Line(part.order_line.name, part.order_line.price, part.qty,
                            part.refund + part.bonus_restored, part.order_line.vat_rate, part.vat)
                 for part in ret.lines]
        payments = [(_payment_type(r.method), r.amount) for r in ret.refunds]
        if ret.bonus_restored + ret.withheld:
            payments.append((tasks.OTHER, ret.bonus_restored + ret.withheld))
        return tasks.receipt_task(tasks.Receipt(tasks.SELL_RETURN, _operator(ret.created_by_id), lines, payments,
                                                _contact(ret.order), taxation))
    if document.kind in (FiscalKind.OPEN_SHIFT, FiscalKind.CLOSE_SHIFT):
        shift = db.session.get(Shift, document.shift_id)
        kind = tasks.OPEN_SHIFT if document.kind is FiscalKind.OPEN_SHIFT else tasks.CLOSE_SHIFT
        return tasks.shift_task(kind, _operator(shift.cashier_id))
    movement = db.session.get(CashMovement, document.cash_movement_id)
    kind = tasks.CASH_IN if movement.kind is CashMovementKind.IN else tasks.CASH_OUT
    return tasks.cash_task(kind, _operator(movement.created_by_id), movement.amount)


def _job(document_id: int) -> Job | None:
    document = db.session.get(FiscalDocument, document_id)
    if document is None:
        return None
    registered = document.status is FiscalStatus.REGISTERED
    location = db.session.get(Location, document.location_id)
    return Job(document.id, document.uuid, document.kind, registered, document.document_number,
               location.fiscal_register_url if location else "", {} if registered else build_task(document))


# ------------------------------------------------------------------------------------------ the handler

def deliver(payload: dict, now: datetime) -> str | None:
    """The outbox handler of topic "fiscal": register the document; the register's document number."""
    try:
        job = read_only(lambda: _job(int(payload["document"])))
    except tasks.TaskError as exc:  # e.g. a VAT rate the register has not: no retry changes it
        _note(int(payload["document"]), str(exc), failed=True)
        raise DeliveryRefused(str(exc)) from exc
    if job is None:
        raise DeliveryRefused("no such fiscal document")
    if job.registered:
        return _reference(job.document_number)
    kind = documents.backend()
    if kind == "atol":
        result = _through_atol(job)
    elif kind == "file":
        result = _through_file(job)
    else:
        message = "FISCAL_BACKEND is none: nothing registers fiscal documents"
        _note(job.document_id, message)
        raise DeliveryFailed(message)
    return _settle(job, result, now)


def _through_atol(job: Job) -> client.TaskResult:
    if not job.register_url:
        message = f"{NO_ADDRESS} the shop has no fiscal register address (set it on the shop's page)"
        _note(job.document_id, message)
        raise DeliveryFailed(message)
    config = current_app.config
    try:
        return client.run_task(job.register_url, job.uuid, job.task, timeout=float(config.get("FISCAL_TIMEOUT", 10)),
                               wait=float(config.get("FISCAL_WAIT_SECONDS", 10)))
    except client.RegisterUnavailable as exc:
        _note(job.document_id, str(exc))
        raise DeliveryFailed(str(exc)) from exc


def _through_file(job: Job) -> client.TaskResult:
    folder = Path(current_app.config["FISCAL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    request = folder / f"{job.uuid}.json"
    if not request.exists():  # written whole or not at all: the agent never reads half a task
        partial = folder / f".{job.uuid}.json.tmp"
        partial.write_bytes(tasks.request_body(job.uuid, job.task))
        os.replace(partial, request)
    answer = folder / f"{job.uuid}.result.json"
    if not answer.exists():
        message = f"waiting for the register agent's answer ({answer.name})"
        _note(job.document_id, message)
        raise DeliveryFailed(message)
    try:
        entry = json.loads(answer.read_text("utf-8"), parse_float=Decimal)["results"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        message = f"the register agent's answer {answer.name} is not a task result"
        _note(job.document_id, message)
        raise DeliveryFailed(message) from None
    return client.parse_result(entry)


# The register is in the state the task would bring it to already (its shift was opened or closed on
# the register itself, or by another till's document): the document has nothing left to do.
ALREADY_DONE = {FiscalKind.OPEN_SHIFT: client.SHIFT_OPEN, FiscalKind.CLOSE_SHIFT: client.SHIFT_CLOSED}


def _settle(job: Job, result: client.TaskResult, now: datetime) -> str | None:
    if result.done or (result.refused and ALREADY_DONE.get(job.kind) == result.error_code):
        return one_transaction(lambda: _registered(job, result, now))
    if result.refused:
        message = f"[{result.error_code}] {result.error_description or result.status}"
        one_transaction(lambda: _refused(job, message))
        raise DeliveryFailed(message)
    message = f"the register has not finished the task yet ({result.status})"
    _note(job.document_id, message)
    raise DeliveryFailed(message)


def _registered(job: Job, result: client.TaskResult, now: datetime) -> str | None:
    document = db.session.scalar(db.select(FiscalDocument).where(FiscalDocument.id == job.document_id)
                                 .with_for_update())
    if document.status is FiscalStatus.REGISTERED:
        return _reference(document.document_number)
    params = result.fiscal
    document.status = FiscalStatus.REGISTERED
    document.last_error = ""
    if params is not None:
        document.fn_number = params.fn_number[:20]
        document.document_number = params.document_number
        document.fiscal_sign = params.fiscal_sign[:20]
        document.receipt_number = params.receipt_number
        document.register_shift_number = params.shift_number
        stamped = _parse_time(params.date_time)
        document.registered_at = stamped.astimezone(UTC) if stamped else now
        if document.kind in QR_KINDS:
            total = params.total if params.total is not None else job.task.get("total")
            document.qr = qr_text(stamped or now, total, params.fn_number, params.document_number,
                                  params.fiscal_sign, QR_KINDS[document.kind])
    else:
        document.registered_at = now
    return _reference(document.document_number)


def _refused(job: Job, message: str) -> None:
    """The register did not register the task: the next attempt is a new task (a new uuid)."""
    document = db.session.scalar(db.select(FiscalDocument).where(FiscalDocument.id == job.document_id)
                                 .with_for_update())
    if document.status is FiscalStatus.REGISTERED or document.uuid != job.uuid:
        return
    document.uuid = documents.new_uuid()
    document.last_error = message[:1000]


def _note(document_id: int, message: str, failed: bool = False) -> None:
    """Keep why the document is not registered yet; `failed`: no retry can register it as it is (the
    document stays unregistered, so its shift still cannot close, until someone fixes the cause and
    the administrator retries its event)."""
    def run():
        document = db.session.get(FiscalDocument, document_id)
        if document is not None and document.status is not FiscalStatus.REGISTERED:
            document.last_error = message[:1000]
            if failed:
                document.status = FiscalStatus.FAILED
    one_transaction(run)


def _reference(number: int | None) -> str | None:
    return f"ФД {number}" if number is not None else None


def _parse_time(text: str) -> datetime | None:
    try:
        stamped = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return stamped if stamped.tzinfo is not None else stamped.replace(tzinfo=UTC)


def qr_text(stamped: datetime, total, fn: str, document_number: int | None, sign: str, n: int) -> str:
    """The text of a receipt's QR code (ФНС's format): t=YYYYMMDDTHHMM (the register's local time),
    s=total with two decimals, fn=ФН, i=ФД, fp=ФП, n=1 for a sale (приход), 2 for a return."""
    amount = Decimal(str(total)).quantize(tasks.CENT) if total is not None else Decimal("0.00")
    return f"t={stamped.strftime('%Y%m%dT%H%M')}&s={amount}&fn={fn}&i={document_number}&fp={sign}&n={n}"


def advice(document: FiscalDocument) -> str:
    """What the cashier can do about the document's last error (translated), or ""."""
    error = document.last_error or ""
    hints = {
        f"[{client.BUSY}]": _l("The register is busy: it is tried again in a moment."),
        f"[{client.SHIFT_EXPIRED}]": _l("The register's shift has run over 24 hours: close it on the register "
                                        "(Z report); the documents are then registered by themselves."),
        f"[{client.NO_PAPER}]": _l("The register is out of paper: put in a new roll; the documents are then "
                                   "registered by themselves."),
        f"[{client.COVER_OPENED}]": _l("The register's cover is open: close it."),
        f"[{client.SHIFT_CLOSED}]": _l("The register's shift is closed: open it on the register."),
        NO_ADDRESS: _l("The shop has no fiscal register address: the administrator sets it on the shop's page."),
    }
    for prefix, hint in hints.items():
        if error.startswith(prefix):
            return str(hint)
    if "not reachable" in error:
        return str(_l("The register does not answer: check that it and its driver are switched on."))
    return ""


def register() -> None:
    """Make "fiscal" a topic the outbox pushes (called by create_app)."""
    delivery.register_handler(documents.TOPIC, deliver)
