"""`type=sale`: the orders 1C pulls (query → success) and the status file it pushes (file).

* `query` takes every undelivered outbox event of the topics 1C pulls ("1c.order", "1c.return",
  "1c.client"), oldest first (at most MAX_EVENTS), builds one document from the *current* state
  of the orders, returns and clients they name (an order confirmed and then paid before 1C asked
  is one Документ, already paid), and remembers which events it handed out (onec_order_queries).
* `confirm` (mode=success) marks delivered exactly the events of the session's last query, so
  an event written after the query waits for the next one. A query repeated before success hands
  out the same events again, plus the new ones. Nothing is marked delivered otherwise.
* `apply_status_file` reads 1C's orders document and applies each Документ through
  integrations/onec/order_status (one transaction each); unknown orders are ignored with a note.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from flask import current_app

from portal.extensions import db
from portal.integrations.onec import orders_document
from portal.integrations.onec.catalog_reader import ROOT, local, text_of
from portal.integrations.onec.order_status import StatusReport, apply_report
from portal.integrations.onec.protocol import ExchangeError, encoding
from portal.models import Client, OnecOrderQuery, Order, OutboxEvent, Return, utcnow
from portal.services.transactions import operation

TOPICS = ("1c.order", "1c.return", "1c.client")
MAX_EVENTS = 1000


def _pending() -> list[OutboxEvent]:
    return list(db.session.scalars(db.select(OutboxEvent).where(
        OutboxEvent.topic.in_(TOPICS), OutboxEvent.delivered_at.is_(None)).order_by(OutboxEvent.id).limit(MAX_EVENTS)))


def _order_id(event: OutboxEvent) -> int | None:
    parts = event.key.split(":")  # 1c:order:{id}:confirmed|paid|cancelled
    return int(parts[2]) if len(parts) >= 3 and parts[2].isdigit() else None


@operation
def query(session_id: int, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    events = _pending()
    order_ids: list[int] = []
    return_ids: list[int] = []
    client_payloads: dict[int, dict] = {}
    for event in events:
        if event.topic == "1c.order":
            order_id = _order_id(event)
            if order_id is not None and order_id not in order_ids:
                order_ids.append(order_id)
        elif event.topic == "1c.return":
            return_id = event.payload.get("return")
            if isinstance(return_id, int) and return_id not in return_ids:
                return_ids.append(return_id)
        elif isinstance(event.payload.get("id"), int):
            client_payloads[event.payload["id"]] = event.payload  # the latest approved card wins
    orders = [o for o in (db.session.get(Order, i) for i in order_ids) if o is not None]
    returns = [r for r in (db.session.get(Return, i) for i in return_ids) if r is not None]
    clients = [(c, client_payloads[c.id]) for c in (db.session.get(Client, i) for i in client_payloads)
               if c is not None]
    document = orders_document.build(orders, returns, clients, currency=current_app.config["PORTAL_CURRENCY"],
                                     encoding=encoding(), now=now)
    db.session.add(OnecOrderQuery(session_id=session_id, event_ids=[e.id for e in events],
                                  documents=len(orders) + len(returns), created_at=now))
    return document


@operation
def confirm(session_id: int, now: datetime | None = None) -> int:
    """Mark delivered the events of the session's last unconfirmed query; how many were."""
    now = now or utcnow()
    last = db.session.scalar(db.select(OnecOrderQuery).where(
        OnecOrderQuery.session_id == session_id, OnecOrderQuery.confirmed_at.is_(None))
        .order_by(OnecOrderQuery.id.desc()).limit(1))
    if last is None:
        return 0
    marked = 0
    if last.event_ids:
        marked = db.session.execute(db.update(OutboxEvent).where(
            OutboxEvent.id.in_(last.event_ids), OutboxEvent.delivered_at.is_(None))
            .values(delivered_at=now, attempts=OutboxEvent.attempts + 1)).rowcount
    last.confirmed_at = now
    return marked


def last_confirmed() -> OnecOrderQuery | None:
    return db.session.scalar(db.select(OnecOrderQuery).where(OnecOrderQuery.confirmed_at.is_not(None))
                             .order_by(OnecOrderQuery.confirmed_at.desc()).limit(1))


# ------------------------------------------------------------------------------------ 1C's status file

def _requisites(doc: ET.Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for box in doc:
        if local(box.tag) != "ЗначенияРеквизитов":
            continue
        for item in box:
            if local(item.tag) == "ЗначениеРеквизита":
                found[text_of(item, "Наименование")] = text_of(item, "Значение")
    return found


def _has_date(text: str) -> bool:
    return bool(text) and text.strip().upper() not in ("T", "Т")  # 1C writes "T" for an empty date


def status_reports(data: bytes) -> list[StatusReport]:
    """The Документ elements of 1C's orders file, or ExchangeError for a file that is not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ExchangeError(f"the orders file is not well-formed XML (line {line}, column {column})") from None
    if local(root.tag) != ROOT:
        raise ExchangeError(f"the root element is {local(root.tag)}, not {ROOT}")
    reports = []
    for doc in root.iter():
        if local(doc.tag) != "Документ":
            continue
        req = _requisites(doc)
        number = text_of(doc, "Номер") or text_of(doc, "Ид")
        ident = text_of(doc, "Ид")
        status = req.get("Статус заказа", "").strip().lower()
        reports.append(StatusReport(
            number=ident if ident and db.session.scalar(db.select(Order.id).where(Order.number == ident)) else number,
            paid=_has_date(req.get("Дата оплаты по 1С", "")) or req.get("Заказ оплачен", "").lower() == "true",
            shipped=_has_date(req.get("Дата отгрузки по 1С", "")),
            cancelled=(req.get("ПометкаУдаления", "").lower() == "true" or req.get("Отменен", "").lower() == "true"
                       or status in ("отменен", "отменён"))))
    return reports


def apply_status_file(data: bytes, now: datetime | None = None) -> list[str]:
    return [apply_report(report, now) for report in status_reports(data)]
