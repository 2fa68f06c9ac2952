"""Money coming in for a manager's order (SPEC §3): partial or full. The last payment makes the
order `paid` through the sales service, which accrues the bonus; the manager and the client
are told in their cabinets."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.i18n import money
from portal.models import Order, OrderStatus, Payment, PaymentMethod, User, utcnow
from portal.services import audit
from portal.services.messaging.outbox import enqueue
from portal.services.orders import history, orders
from portal.services.sales import sales
from portal.services.transactions import one_transaction

MANAGER_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.CASH)


def record_payment(actor: User, order_id: int, method: PaymentMethod, amount: int, *, expected_outstanding: int,
                   now: datetime | None = None) -> Order:
    """Record money received. `expected_outstanding` is what the manager saw: if another payment
    came in meanwhile (or the form was sent twice), nothing is recorded and they are told."""
    now = now or utcnow()

    def run() -> Order:
        order = orders.order_for(actor, order_id, lock=True)
        if order.status is not OrderStatus.CONFIRMED:
            raise DomainError(_l("Payments are recorded for confirmed orders only."))
        if method not in MANAGER_METHODS:
            raise ValidationError({"method": _l("Choose how the money came in.")})
        if order.outstanding != expected_outstanding:
            raise DomainError(_l("Another payment was recorded meanwhile. Check the order and try again."))
        if not isinstance(amount, int) or amount <= 0:
            raise ValidationError({"amount": _l("Enter an amount greater than zero.")})
        if amount > order.outstanding:
            raise ValidationError({"amount": _l("At most %(left)s is still to be paid.",
                                                left=money(order.outstanding))})
        before = history.snapshot(order)
        order.payments.append(Payment(method=method, amount=amount, tendered=amount))
        order.received += amount
        db.session.flush()
        history.record_change(actor, "order_payment_recorded", order, before)
        if order.received == order.paid:
            finish_payment(order, actor, now)
        return order
    return one_transaction(run)


def finish_payment(order: Order, actor: User | None, now: datetime) -> None:
    """The order has all its money: paid, bonus accrued, 1C told, manager and client notified."""
    before = history.snapshot(order)
    sales.mark_paid(order, now)
    history.record_change(actor, "order_paid", order, before)
    orders.run_rules(order, actor, status_changed=True)
    enqueue("1c.order", sales.onec_key(order.id, "paid"), {"number": order.number, "event": "paid",
                                                         "received": order.received, "accrual": order.accrual})
    link = orders.order_link(order)
    told = set()
    for person in (order.created_by, order.client.manager if order.client else None):
        if person is not None and person.active and person.id not in told:
            told.add(person.id)
            audit.notify(person, "order_paid", link, number=order.number, client=order.client.name,
                         amount=order.paid)
    if order.client_id is not None:
        audit.notify_client(order.client_id, "client_order_paid", "", number=order.number, amount=order.paid)
