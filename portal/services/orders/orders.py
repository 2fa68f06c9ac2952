"""Orders a manager makes for a client (SPEC §3): the draft, discount approval, reopening,
cancellation and completion. Confirmation is in `order_confirmation`, payment in `order_payments`.

`draft → (awaiting_approval) → awaiting_confirmation → confirmed → paid → completed`, and
`cancelled` from any state before `paid`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from portal import events, ledger
from portal.errors import DomainError, Forbidden, NotFound, ValidationError
from portal.extensions import db
from portal.i18n import money
from portal.labels import order_status
from portal.models import (
    OPEN_STATES,
    Channel,
    Client,
    ClientStatus,
    DeliveryMethod,
    Location,
    Order,
    OrderConfirmationCode,
    OrderLine,
    OrderStatus,
    PaymentTerms,
    Product,
    Role,
    User,
    utcnow,
)
from portal.services import audit
from portal.services.clients.directory import visible_client
from portal.services.messaging.outbox import enqueue
from portal.services.orders import debt
from portal.services.orders.history import record_change, snapshot
from portal.services.orders.order_list import visible_staff_ids
from portal.services.sales import catalog, stock, vat
from portal.services.sales.pricing import Pricing, price_with_bonus
from portal.services.sales.sales import onec_key, order_number, quantity_problem
from portal.services.transactions import one_transaction
from portal.text import squash

MAX_LINES = 200
MAX_DISCOUNT_BP = 10_000


@dataclass
class DraftLine:
    sku: str
    qty: int
    discount_bp: int | None = None  # None: the client's approved rate


@dataclass
class OrderDraft:
    client_id: int
    location_id: int  # where the goods are taken from (the shop, for a pickup)
    lines: list[DraftLine]
    payment_terms: PaymentTerms = PaymentTerms.PREPAID
    delivery_method: DeliveryMethod = DeliveryMethod.PICKUP
    delivery_address: str = ""
    delivery_date: date | None = None
    bonus: int = 0
    comment: str = ""


@dataclass
class QuoteLine:
    product: Product
    qty: int
    discount_bp: int
    stock_here: int
    over_approved: bool  # the line's discount is above the client's approved rate


@dataclass
class Quote:
    """What a draft comes to, and what stands in the way of sending it for confirmation."""

    client: Client
    lines: list[QuoteLine]
    pricing: Pricing
    bonus_available: int
    credit_left: int
    due_days: int
    problems: dict = field(default_factory=dict)  # field -> message; empty when it may be sent

    @property
    def needs_approval(self) -> bool:
        return any(line.over_approved for line in self.lines)


# ------------------------------------------------------------------------------------------ access

def can_open(user: User, order: Order) -> bool:
    """A manager opens the orders of their clients and the ones they made; a supervisor their team's
    (the same rule as the order list's, which applies it in SQL)."""
    ids = visible_staff_ids(user)
    return order.created_by_id in ids or (order.client is not None and order.client.manager_id in ids)


def order_for(user: User | None, order_id: int, *, lock: bool = False) -> Order:
    """The order, if `user` may open it. `None` is the portal itself acting on a report from an
    external system (1C's status updates, integrations/onec/order_status.py): it sees every order."""
    stmt = db.select(Order).where(Order.id == order_id)
    order = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise NotFound(_l("No such order."))
    if user is not None and not can_open(user, order):
        raise Forbidden(_l("This order belongs to another team."))
    return order


def _client_for(user: User, client_id: int) -> Client:
    """The client an order is made for: one the person may see (the client list's rule), not rejected."""
    if user.role not in (Role.MANAGER, Role.SUPERVISOR):
        raise Forbidden(_l("Only managers and supervisors make orders for clients."))
    try:
        client = visible_client(user, client_id if isinstance(client_id, int) else 0)
    except NotFound:
        raise ValidationError({"client_id": _l("Choose the client.")}) from None
    if client.status is ClientStatus.REJECTED:
        raise ValidationError({"client_id": _l("This client was rejected by the supervisor.")})
    return client


# ------------------------------------------------------------------------------------------ pricing

def quote(user: User, draft: OrderDraft) -> Quote:
    """Price a draft and find what stands in the way of sending it. Reads only."""
    client = _client_for(user, draft.client_id)
    problems: dict = {}
    location = db.session.get(Location, draft.location_id) if isinstance(draft.location_id, int) else None
    if location is None or not location.active:
        problems["location_id"] = _l("Choose where the goods come from.")
    if not draft.lines:
        problems["lines"] = _l("Add at least one product.")
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = _l("An order can have at most %(n)d lines.", n=MAX_LINES)
    products, lines = _products(draft.lines, problems), []
    stock_here = stock.at_location([p.id for p in products if p is not None], location.id if location else None)
    wanted: dict[int, int] = {}  # units per product over all lines, for the stock check
    for i, (line, product) in enumerate(zip(draft.lines, products)):
        if product is None:
            continue
        if line.discount_bp is None:  # the client's approved rate, where the product allows a discount
            rate = client.discount_bp if product.discountable else 0
        else:
            rate = line.discount_bp
        if not isinstance(rate, int) or not 0 <= rate <= MAX_DISCOUNT_BP:
            problems[f"lines-{i}-discount"] = _l("The discount must be from 0 to 100 %.")
            rate = 0
        if rate and not product.discountable:
            problems[f"lines-{i}-discount"] = _l("%(sku)s is sold without discounts.", sku=product.sku)
            rate = 0
        have = stock_here.get(product.id, 0)
        wanted[product.id] = wanted.get(product.id, 0) + line.qty
        if location is not None and have < wanted[product.id]:
            problems[f"lines-{i}-qty"] = _l("Only %(n)d of %(sku)s in stock at %(place)s.",
                                             n=have, sku=product.sku, place=location.name)
        lines.append(QuoteLine(product, line.qty, rate, have, rate > client.discount_bp))
    programme = ledger.settings.current()
    available = ledger.bonus_of(client.id).available

    def bonus_asked(without: Pricing) -> int:  # a problem is said, and the order priced without bonus
        bonus = draft.bonus
        if not isinstance(bonus, int) or bonus < 0:
            problems["bonus"] = _l("The bonus cannot be negative.")
        elif bonus > min(without.redeem_cap, available):
            problems["bonus"] = _l("At most %(cap)s of bonus can be spent on this order (the client has %(has)s).",
                                   cap=_plain(min(without.redeem_cap, available)), has=_plain(available))
        elif lines:
            return bonus
        return 0

    pricing = price_with_bonus([(ql.product.price, ql.qty, ql.product.discountable) for ql in lines],
                               discount_bp=[ql.discount_bp for ql in lines], bonus=bonus_asked,
                               max_redeem_share_bp=programme.max_redeem_share_bp,
                               accrual_rate_bp=programme.accrual_rate_bp)
    open_debt = debt.debt_of(client.id).open
    credit_left = max(client.credit_limit - open_debt, 0)
    if draft.payment_terms is PaymentTerms.DEFERRED:
        check_credit(client, pricing.paid, open_debt, problems)
    if draft.delivery_method in (DeliveryMethod.COURIER, DeliveryMethod.CARRIER) and not draft.delivery_address.strip():
        problems["delivery_address"] = _l("Enter the delivery address.")
    return Quote(client, lines, pricing, available, credit_left, client.deferral_days, problems)


def check_credit(client: Client, amount: int, open_debt: int, problems: dict) -> None:
    """Deferred payment only while the open debt plus this order stays within the credit limit."""
    if client.status is not ClientStatus.ACTIVE:
        problems["payment_terms"] = _l("Deferred payment needs a client approved by the supervisor.")
    elif client.credit_limit == 0:
        problems["payment_terms"] = _l("This client has no credit limit: only prepaid orders are possible.")
    elif open_debt + amount > client.credit_limit:
        problems["payment_terms"] = _l(
            "Deferred payment refused: %(amount)s is over the credit left of %(left)s "
            "(limit %(limit)s, open debt %(debt)s).",
            amount=_plain(amount), left=_plain(max(client.credit_limit - open_debt, 0)),
            limit=_plain(client.credit_limit), debt=_plain(open_debt))


def _plain(minor: int) -> str:
    return money(minor)


def _products(lines: list[DraftLine], problems: dict) -> list[Product | None]:
    products = []
    for i, line in enumerate(lines):
        if problem := quantity_problem(line.qty):
            problems[f"lines-{i}-qty"] = problem
            products.append(None)
            continue
        sku = (line.sku or "").strip()
        product = db.session.scalar(db.select(Product).where(db.func.lower(Product.sku) == sku.lower())) if sku else None
        if product is None or not product.active:
            problems[f"lines-{i}-sku"] = _l("Unknown product %(sku)s.", sku=sku or "—")
            product = None
        elif problem := catalog.variant_problem(product):  # a size or colour of it is sold, not itself
            problems[f"lines-{i}-sku"] = problem
            product = None
        products.append(product)
    return products


# ------------------------------------------------------------------------------------------ drafts

def _fill(order: Order, q: Quote, draft: OrderDraft) -> None:
    order.client_id = q.client.id
    order.location_id = draft.location_id
    order.payment_terms = draft.payment_terms
    order.delivery_method = draft.delivery_method
    order.delivery_address = squash(draft.delivery_address, 500)
    order.delivery_date = draft.delivery_date
    order.comment = draft.comment.strip()[:1000]
    order.lines.clear()
    db.session.flush()
    company_rate = vat.company_rate()
    for n, (ql, priced) in enumerate(zip(q.lines, q.pricing.lines), start=1):
        rate = vat.rate_of(ql.product.vat_rate, company_rate)
        order.lines.append(OrderLine(
            line_no=n, product_id=ql.product.id, sku=ql.product.sku, name=ql.product.name, qty=priced.qty,
            price=priced.price, discount=priced.discount, discount_bp=ql.discount_bp, bonus=priced.bonus,
            paid=priced.paid, accrual=0, returned_qty=0, returnable=ql.product.returnable,
            warranty_months=ql.product.warranty_months, vat_rate=rate,
            vat=vat.of_line(priced.price, priced.qty, priced.discount, rate)))
    p = q.pricing
    order.subtotal, order.discount, order.bonus_redeemed, order.paid, order.accrual = (
        p.subtotal, p.discount, p.bonus, p.paid, 0)
    db.session.add(order)
    db.session.flush()
    # Order.client and Order.location are read by the snapshot: refresh them after the ids changed.
    db.session.refresh(order, ["client", "location"])


def _draft_errors(q: Quote) -> dict:
    """Problems that keep even a draft from being saved (stock and credit may wait; bonus beyond
    what may be spent is refused at once rather than silently dropped)."""
    keep = ("location_id", "lines", "delivery_address", "bonus")
    return {k: v for k, v in q.problems.items()
            if k in keep or k.endswith(("-sku", "-discount")) or (k.endswith("-qty") and "stock" not in str(v))}


def create_draft(actor: User, draft: OrderDraft, now: datetime | None = None) -> Order:
    """Save a new draft. Stock, credit and bonus problems are reported when it is sent."""
    def run() -> Order:
        q = quote(actor, draft)
        errors = _draft_errors(q)
        if errors:
            raise ValidationError(errors)
        order = Order(channel=Channel.MANAGER, status=OrderStatus.DRAFT, created_by_id=actor.id,
                      created_at=now or utcnow())
        _fill(order, q, draft)
        order.number = order_number(order)
        record_change(actor, "order_created", order, {})
        run_rules(order, actor, created=True)
        return order
    return one_transaction(run)


def update_draft(actor: User, order_id: int, draft: OrderDraft) -> Order:
    """Change a draft: everything is replaced by what the form holds now."""
    def run() -> Order:
        order = order_for(actor, order_id, lock=True)
        if order.status is not OrderStatus.DRAFT:
            raise DomainError(_l("Only a draft can be edited. Return the order to draft first."))
        if draft.client_id != order.client_id:
            raise ValidationError({"client_id": _l("The client of an order cannot be changed.")})
        _reprice(actor, order, draft, "order_updated")
        run_rules(order, actor)
        return order
    return one_transaction(run)


def _reprice(actor: User, order: Order, draft: OrderDraft, action: str) -> Order:
    q = quote(actor, draft)
    errors = _draft_errors(q)
    if errors:
        raise ValidationError(errors)
    before = snapshot(order)
    _fill(order, q, draft)
    record_change(actor, action, order, before)
    return order


def reprice_in_transaction(actor: User, order: Order, draft: OrderDraft, action: str = "order_updated") -> Order:
    """Price an order still being prepared again from `draft` (e.g. other line discounts), in the
    caller's transaction (no commit), with its history entry. The automation rules' extra discount."""
    if order.status not in (OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL):
        raise DomainError(_l("This cannot be done to an order that is %(status)s.", status=_status_text(order.status)))
    return _reprice(actor, order, draft, action)


def run_rules(order: Order, actor: User | None, *, created: bool = False, status_changed: bool = False) -> None:
    """The automation rules of this change, in its transaction (they never break it)."""
    events.order_changed.send(order, actor=actor, created=created, status_changed=status_changed, now=None)


def draft_of(order: Order) -> OrderDraft:
    """The draft an order was saved from, to price or re-check it."""
    return OrderDraft(
        client_id=order.client_id, location_id=order.location_id,
        lines=[DraftLine(line.sku, line.qty, line.discount_bp) for line in order.lines],
        payment_terms=order.payment_terms or PaymentTerms.PREPAID,
        delivery_method=order.delivery_method or DeliveryMethod.PICKUP,
        delivery_address=order.delivery_address, delivery_date=order.delivery_date,
        bonus=order.bonus_redeemed, comment=order.comment)


# ------------------------------------------------------------------------------------------ transitions

def _transition(actor: User, order_id: int, allowed: tuple[OrderStatus, ...], change) -> Order:
    """Run one state change as one transaction, with its history entry."""
    def run() -> Order:
        order = order_for(actor, order_id, lock=True)
        if order.status not in allowed:
            raise DomainError(_l("This cannot be done to an order that is %(status)s.",
                                 status=_status_text(order.status)))
        before = snapshot(order)
        action = change(order)
        record_change(actor, action, order, before)
        run_rules(order, actor, status_changed=order.status.value != before["status"])
        return order
    return one_transaction(run)


def _status_text(status: OrderStatus) -> str:
    return order_status(status).lower()


def submit(actor: User, order_id: int) -> Order:
    """Send a draft on: to the supervisor when a discount is above the client's approved rate,
    otherwise straight to the client's confirmation. Refused while anything stands in the way."""
    def change(order: Order) -> str:
        q = quote(actor, draft_of(order))
        if q.problems:
            raise ValidationError(q.problems, _l("The order cannot be sent yet: %(what)s",
                                                  what=" ".join(str(v) for v in q.problems.values())))
        order.decision_comment = ""
        if q.needs_approval:
            order.status = OrderStatus.AWAITING_APPROVAL
            supervisor = _supervisor_of(actor, order)
            if supervisor is not None and supervisor.id != actor.id:
                audit.notify(supervisor, "order_approval_requested", order_link(order), by=actor.name,
                             number=order.number)
            return "order_approval_requested"
        order.status = OrderStatus.AWAITING_CONFIRMATION
        return "order_submitted"
    return _transition(actor, order_id, (OrderStatus.DRAFT,), change)


def _supervisor_of(actor: User, order: Order) -> User | None:
    if actor.role is Role.SUPERVISOR:
        return actor
    manager = order.client.manager if order.client and order.client.manager else actor
    return manager.supervisor if manager.supervisor and manager.supervisor.active else None


def order_link(order: Order) -> str:
    return f"/manager/orders/{order.id}"


def _decide(supervisor: User, order_id: int, approved: bool, comment: str) -> Order:
    comment = squash(comment, 1000)
    if supervisor.role is not Role.SUPERVISOR:
        raise Forbidden(_l("Only a supervisor approves discounts."))

    def change(order: Order) -> str:
        # Checked once the order is known to be the supervisor's: another team's is refused first.
        if not approved and not comment:
            raise ValidationError({"comment": _l("Say why the discounts are rejected.")})
        order.decision_comment = comment
        order.status = OrderStatus.AWAITING_CONFIRMATION if approved else OrderStatus.DRAFT
        author = order.created_by
        if author is not None and author.id != supervisor.id:
            audit.notify(author, "order_approved" if approved else "order_rejected", order_link(order),
                         by=supervisor.name, number=order.number, comment=comment)
        return "order_approved" if approved else "order_rejected"
    return _transition(supervisor, order_id, (OrderStatus.AWAITING_APPROVAL,), change)


def approve(supervisor: User, order_id: int, comment: str = "") -> Order:
    return _decide(supervisor, order_id, True, comment)


def reject(supervisor: User, order_id: int, comment: str) -> Order:
    """Back to draft, with the supervisor's reason shown on the order."""
    return _decide(supervisor, order_id, False, comment)


def reopen(actor: User, order_id: int) -> Order:
    """Take an order waiting for approval or confirmation back to draft, to change it."""
    def change(order: Order) -> str:
        order.status = OrderStatus.DRAFT
        expire_codes(order.id)  # a code sent for the order as it was must not confirm it as it will be
        return "order_reopened"
    return _transition(actor, order_id, (OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_CONFIRMATION), change)


def expire_codes(order_id: int, now: datetime | None = None) -> None:
    """Make every confirmation code (and link) still valid for the order unusable."""
    now = now or utcnow()
    db.session.execute(db.update(OrderConfirmationCode).where(
        OrderConfirmationCode.order_id == order_id, OrderConfirmationCode.used_at.is_(None),
        OrderConfirmationCode.expires_at > now).values(expires_at=now))


def cancel(actor: User, order_id: int, now: datetime | None = None) -> Order:
    """Cancel before payment. A confirmed order gives its goods back to stock and its bonus back
    to the client. An order with money received cannot be cancelled."""
    now = now or utcnow()

    def change(order: Order) -> str:
        if order.received:
            raise DomainError(_l("Money has been received for this order: it cannot be cancelled."))
        if order.status is OrderStatus.CONFIRMED:
            for line in order.lines:
                stock.put_back(line.product_id, order.location_id, line.qty)
            if order.bonus_redeemed:
                ledger.restore_redemption(order.client_id, order.bonus_redeemed, f"cancellation:order:{order.id}",
                                          order_id=order.id, now=now)
            enqueue("1c.order", onec_key(order.id, "cancelled"), {"order": order.number, "event": "cancelled"})
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        expire_codes(order.id, now)
        return "order_cancelled"
    return _transition(actor, order_id, OPEN_STATES, change)


def complete(actor: User, order_id: int) -> Order:
    """The goods of a paid order have been handed over."""
    def change(order: Order) -> str:
        order.status = OrderStatus.COMPLETED
        return "order_completed"
    return _transition(actor, order_id, (OrderStatus.PAID,), change)
