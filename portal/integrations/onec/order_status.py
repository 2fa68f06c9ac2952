"""What 1C reports about an order (the orders file it uploads with `type=sale&mode=file`),
applied through the order services, each report in its own transaction.

1C's standard requisites (ЗначенияРеквизитов of a Документ), as 1C's "exchange with site" writes them:

* «Дата оплаты по 1С» with a date: the money came in. A confirmed order gets a bank-transfer
  payment of what it still owes (the last payment makes it `paid`, with the bonus accrual, as
  when a manager records it). Already paid: nothing more. 1C writes «T» for "no date"; ignored.
* «Дата отгрузки по 1С» with a date: the goods were handed over. A paid order becomes
  `completed`; an order not paid yet stays as it is (its goods already left stock at
  confirmation) and the note says so.
* «ПометкаУдаления» = true, or «Отменен» = true, or «Статус заказа» «Отменен»: cancel. The
  orders service allows it only before money came in; otherwise the note gives its reason.

The result of each report is a short English note for the exchange's answer and log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Order, OrderStatus, PaymentMethod, utcnow
from portal.services import audit
from portal.services.orders import orders, payments


@dataclass
class StatusReport:
    number: str
    paid: bool = False
    shipped: bool = False
    cancelled: bool = False


def _find(number: str) -> Order | None:
    return db.session.scalar(db.select(Order).where(Order.number == number))


def apply_report(report: StatusReport, now: datetime | None = None) -> str:
    """Apply one document of 1C's orders file; return what happened, in a sentence. The audit
    events of what it changes have no actor and name 1C ("1c:order_paid")."""
    with audit.system_source("1c"):
        return _apply_report(report, now)


def _apply_report(report: StatusReport, now: datetime | None) -> str:
    now = now or utcnow()
    order = _find(report.number)
    if order is None:
        return f"{report.number}: no such order in the portal, ignored"
    notes: list[str] = []
    try:
        if report.cancelled:
            if order.status is OrderStatus.CANCELLED:
                notes.append("already cancelled")
            else:
                orders.cancel(None, order.id, now=now)
                notes.append("cancelled")
            return f"{report.number}: " + "; ".join(notes)
        if report.paid:
            if order.status is OrderStatus.CONFIRMED:
                payments.record_payment(None, order.id, PaymentMethod.BANK_TRANSFER, order.outstanding,
                                              expected_outstanding=order.outstanding, now=now)
                notes.append("paid")
            elif order.status in (OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED,
                                  OrderStatus.RETURNED):
                notes.append("already paid")
            else:
                notes.append(f"payment not recorded: the order is {order.status.value}")
        if report.shipped:
            order = db.session.get(Order, order.id)
            if order.status is OrderStatus.PAID:
                orders.complete(None, order.id)
                notes.append("completed")
            elif order.status is OrderStatus.COMPLETED:
                notes.append("already completed")
            else:
                notes.append(f"shipment noted, the order stays {order.status.value} until it is paid")
    except DomainError as exc:
        notes.append(f"refused: {exc.message}")
    return f"{report.number}: " + ("; ".join(notes) if notes else "nothing to change")
