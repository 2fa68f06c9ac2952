"""Managers' orders for the demo company, in every state of SPEC §3, made through the order services.

The client's confirmation is the one step a demo cannot perform (the code goes to a phone), so the
demo confirms as if the client had followed the link: through the same confirmation code path.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Client,
    ClientKind,
    DeliveryMethod,
    Location,
    Order,
    OrderConfirmationCode,
    PaymentMethod,
    PaymentTerms,
    Product,
    Role,
    Stock,
    User,
    utcnow,
)
from portal.services.messaging import codes
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import orders, payments
from portal.services.transactions import one_transaction

SEED = 20261123
# What happens to each demo order after it is drafted, and how many days ago it was made.
STORY = [
    ("draft", 1), ("approval", 2), ("awaiting", 0), ("confirmed", 3), ("overdue", 40), ("partly_paid", 25),
    ("paid", 12), ("completed", 60), ("cancelled", 8),
]


def make_manager_orders(now: datetime | None = None) -> int:
    """Give every manager a handful of orders for their legal-entity clients; returns how many."""
    now = now or utcnow()
    rng = random.Random(SEED)
    main = db.session.scalar(db.select(Location).where(Location.is_main.is_(True)))
    in_stock = [pid for pid, in db.session.execute(db.select(Stock.product_id).where(
        Stock.location_id == main.id, Stock.quantity >= 10))]
    skus = dict(db.session.execute(db.select(Product.id, Product.sku).where(
        Product.id.in_(in_stock), Product.price <= 60_000_00)).all())
    made = 0
    managers = list(db.session.scalars(db.select(User).where(User.role == Role.MANAGER, User.active.is_(True))
                                       .order_by(User.id)))
    for manager in managers:
        clients = list(db.session.scalars(db.select(Client).where(
            Client.manager_id == manager.id, Client.kind != ClientKind.PRIVATE_PERSON,
            Client.credit_limit > 0, Client.deferral_days > 0).order_by(Client.id)))
        if not clients or not skus:
            continue
        for n, (story, days_ago) in enumerate(STORY):
            client = clients[n % len(clients)]
            moment = now - timedelta(days=days_ago, hours=rng.randint(1, 8))
            try:
                _one_order(manager, client, main, rng, skus, story, moment)
                made += 1
            except DomainError:
                pass  # stock or credit ran short for this one: the demo goes on
    return made


def _one_order(manager: User, client: Client, main: Location, rng: random.Random,
               skus: dict, story: str, moment: datetime) -> None:
    lines = [orders.DraftLine(sku, rng.randint(1, 4)) for sku in rng.sample(sorted(skus.values()), rng.randint(1, 3))]
    if story == "approval":
        lines[0].discount_bp = client.discount_bp + 500
    deferred = story in ("overdue", "partly_paid", "confirmed")
    draft = orders.OrderDraft(
        client_id=client.id, location_id=main.id, lines=lines,
        payment_terms=PaymentTerms.DEFERRED if deferred else PaymentTerms.PREPAID,
        delivery_method=rng.choice([DeliveryMethod.PICKUP, DeliveryMethod.COURIER]),
        delivery_address=client.addresses[-1].text if client.addresses else "",
        delivery_date=(moment + timedelta(days=2)).date())
    if draft.delivery_method is DeliveryMethod.COURIER and not draft.delivery_address:
        draft.delivery_method = DeliveryMethod.PICKUP
    order = orders.create_draft(manager, draft, now=moment)
    if story == "draft":
        return
    order = orders.submit(manager, order.id)
    if story == "approval":
        return
    if story == "cancelled":
        orders.cancel(manager, order.id, now=moment + timedelta(hours=2))
        return
    if story == "awaiting":
        return
    _confirm_as_client(order.id, moment + timedelta(minutes=5))
    order = orders.order_for(manager, order.id)
    if story in ("confirmed", "overdue"):
        return
    paid_at = moment + timedelta(days=2)
    if story == "partly_paid":
        payments.record_payment(manager, order.id, PaymentMethod.BANK_TRANSFER, order.outstanding // 2,
                                      expected_outstanding=order.outstanding, now=paid_at)
        return
    payments.record_payment(manager, order.id, PaymentMethod.BANK_TRANSFER, order.outstanding,
                                  expected_outstanding=order.outstanding, now=paid_at)
    if story == "completed":
        orders.complete(manager, order.id)


def _confirm_as_client(order_id: int, moment: datetime) -> None:
    """Issue a code and confirm with the link that would have been sent with it (no SMS is sent)."""
    row, _code = one_transaction(lambda: codes.issue(
        OrderConfirmationCode, order_confirmation.PURPOSE, order_id, moment, OrderConfirmationCode.order_id == order_id,
        order_id=order_id, phone=db.session.get(Order, order_id).client.primary_phone or "-"))
    token = order_confirmation.confirmation_link(order_id, row.id).rsplit("/", 1)[1]
    order_confirmation.confirm_with_link(token, now=moment + timedelta(minutes=1))
