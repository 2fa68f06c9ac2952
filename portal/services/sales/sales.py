"""Placing a paid order: the one path for a till sale, a web-shop order and a manager's paid order.

Every order placed here is paid at once, so it goes to 1C (SPEC §6) as one "1c.order" outbox event
(`1c:order:{id}:paid`) written in the sale's transaction; the orders document is built from the
order's state when 1C asks (portal/integrations/onec/orders_document). A manager's order that
becomes paid later (`mark_paid`) gets its event from services/orders/payments."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal import daily_sums, events, ledger
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import (
    Channel,
    Client,
    Location,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    Product,
    User,
    utcnow,
)
from portal.money import format_plain
from portal.services import audit
from portal.services.fiscal import documents as fiscal
from portal.services.messaging.outbox import enqueue
from portal.services.orders.history import snapshot
from portal.services.sales import catalog, stock, vat
from portal.services.sales.pricing import Pricing, accruals_for, price_with_bonus
from portal.services.transactions import one_transaction

NUMBER_PREFIX = {Channel.WEB: "W", Channel.SHOP: "S", Channel.MANAGER: "M"}
MAX_QTY = 100_000


@dataclass
class SaleLine:
    qty: int
    sku: str | None = None
    product_id: int | None = None


@dataclass
class Sale:
    channel: Channel
    lines: list[SaleLine]
    location_id: int
    client_id: int | None = None
    bonus_to_redeem: int = 0
    # Money by method; None means everything by `default_method`.
    payments: dict[PaymentMethod, int] | None = None
    default_method: PaymentMethod = PaymentMethod.ONLINE
    cash_tendered: int | None = None
    external_id: str | None = None
    # Placing again with the same key returns the first order and changes nothing.
    key: str | None = None
    created_by_id: int | None = None
    shift_id: int | None = None
    now: datetime | None = field(default=None)


def quantity_problem(qty) -> str | None:
    """What is wrong with a quantity of a line, or None: a whole number from 1 to MAX_QTY."""
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= MAX_QTY:
        return _l("The quantity must be a whole number from 1 to %(n)d.", n=MAX_QTY)
    return None


def change_given(order: Order) -> int:
    """The change handed back for the cash of a paid order (0 without cash)."""
    cash = next((p for p in order.payments if p.method is PaymentMethod.CASH), None)
    return (cash.tendered or cash.amount) - cash.amount if cash else 0


class ExternalIdTaken(DomainError):
    code = "conflict"


def _products(lines: list[SaleLine]) -> list[Product]:
    errors, products = {}, []
    if not lines:
        raise ValidationError({"lines": _l("An order needs at least one line.")})
    for i, line in enumerate(lines):
        if problem := quantity_problem(line.qty):
            errors[f"lines[{i}].qty"] = problem
        if line.product_id is not None:
            product = db.session.get(Product, line.product_id)
        else:
            product = db.session.scalar(db.select(Product).where(Product.sku == (line.sku or "")))
        if product is None or not product.active:
            errors[f"lines[{i}].sku"] = _l("Unknown product %(sku)s.", sku=line.sku or line.product_id)
        elif problem := catalog.variant_problem(product):  # a size or colour of it is sold, not itself
            errors[f"lines[{i}].sku"] = problem
        products.append(product)
    if errors:
        raise ValidationError(errors)
    return products


def place_paid_order(sale: Sale) -> Order:
    """Record a paid order in one transaction: lines, discount, bonus spent, payments, stock, accrual.

    Raises ValidationError, NotFound, InsufficientBonus, InsufficientStock or ExternalIdTaken;
    on any error nothing is written. Placing again with the same key returns the first order.
    """
    return one_transaction(lambda: _place(sale, sale.now or utcnow()),
                           replay=(lambda: order_with_key(sale.key)) if sale.key is not None else None)


def order_with_key(key: str) -> Order | None:
    """The order placed under this idempotency key, if any."""
    return db.session.scalar(db.select(Order).where(Order.key == key))


def _place(sale: Sale, now: datetime) -> Order:
    products = _products(sale.lines)
    client = None
    if sale.client_id is not None:
        client = db.session.get(Client, sale.client_id)
        if client is None:
            raise NotFound(_l("No such client."))
    location = db.session.get(Location, sale.location_id)
    if location is None or not location.active:
        raise NotFound(_l("No such location."))
    if sale.external_id is not None and db.session.scalar(db.select(Order.id).where(
            Order.channel == sale.channel, Order.external_id == sale.external_id)):
        raise ExternalIdTaken(_l("An order with this external id exists already."))
    programme = ledger.settings.current()

    def bonus_within_the_cap(without: Pricing) -> int:
        bonus = sale.bonus_to_redeem
        if bonus < 0:
            raise ValidationError({"bonus_to_redeem": _l("The bonus cannot be negative.")})
        if bonus and client is None:
            raise ValidationError({"bonus_to_redeem": _l("Bonus can be spent only by a known client.")})
        if bonus > without.redeem_cap:
            raise ValidationError({"bonus_to_redeem": _l(
                "At most %(cap)s of this order can be paid with bonus.", cap=format_plain(without.redeem_cap))})
        return bonus

    pricing = price_with_bonus([(p.price, line.qty, p.discountable) for p, line in zip(products, sale.lines)],
                               discount_bp=client.discount_bp if client else 0, bonus=bonus_within_the_cap,
                               max_redeem_share_bp=programme.max_redeem_share_bp,
                               accrual_rate_bp=programme.accrual_rate_bp, accrues=client is not None)
    payments = sale.payments if sale.payments is not None else (
        {sale.default_method: pricing.paid} if pricing.paid else {})
    if any(amount < 0 for amount in payments.values()) or sum(payments.values()) != pricing.paid:
        raise ValidationError({"payments": _l("The payments must add up to %(total)s.",
                                              total=format_plain(pricing.paid))})
    order = Order(channel=sale.channel, external_id=sale.external_id, key=sale.key, client_id=sale.client_id,
                  location_id=location.id, created_by_id=sale.created_by_id, shift_id=sale.shift_id,
                  created_at=now, paid_at=now,
                  status=OrderStatus.COMPLETED if sale.channel is Channel.SHOP else OrderStatus.PAID,
                  subtotal=pricing.subtotal, discount=pricing.discount, bonus_redeemed=pricing.bonus,
                  paid=pricing.paid, received=pricing.paid, accrual=pricing.accrual)
    company_rate = vat.company_rate()
    for n, (product, priced) in enumerate(zip(products, pricing.lines), start=1):
        rate = vat.rate_of(product.vat_rate, company_rate)
        order.lines.append(OrderLine(
            line_no=n, product_id=product.id, sku=product.sku, name=product.name, qty=priced.qty,
            price=priced.price, discount=priced.discount, discount_bp=priced.discount_bp, bonus=priced.bonus, paid=priced.paid,
            accrual=priced.accrual, returned_qty=0, returnable=product.returnable,
            warranty_months=product.warranty_months, vat_rate=rate,
            vat=vat.of_line(priced.price, priced.qty, priced.discount, rate)))
    for method, amount in payments.items():
        if amount:
            order.payments.append(Payment(method=method, amount=amount,
                                          tendered=sale.cash_tendered if method is PaymentMethod.CASH else amount))
    db.session.add(order)
    db.session.flush()
    order.number = order_number(order)
    # Stock rows are locked in one order (by product) by every sale, so two tills selling the same
    # goods scanned in a different order wait for each other instead of deadlocking.
    for line in sorted(order.lines, key=lambda line: (line.product_id, line.line_no)):
        stock.take(line.product_id, line.sku, location.id, line.qty)
    daily_sums.record_order(order.id, order.client_id)
    if client is not None:
        ledger.settle(client.id, now)  # the account is touched: release and expire what is due
        if pricing.bonus:
            ledger.redeem(client.id, pricing.bonus, f"redemption:order:{order.id}", order_id=order.id, now=now)
        accrue_for(order, now)
    _audit_placed(order, sale)
    fiscal.record_sale(order)  # a till sale's receipt, registered on the shop's register through the outbox
    enqueue("1c.order", onec_key(order.id, "paid"), {"number": order.number, "event": "paid",
                                                     "channel": order.channel.value, "received": order.received})
    events.order_changed.send(order, actor=db.session.get(User, sale.created_by_id) if sale.created_by_id else None,
                              created=True, status_changed=True, now=now)
    return order


def _audit_placed(order: Order, sale: Sale) -> None:
    """The sale in the order's history: the cashier who made it, or the web shop (through the API)."""
    actor = db.session.get(User, sale.created_by_id) if sale.created_by_id else None
    source = None
    if actor is None:
        source = audit.current_source() or ("api" if sale.channel is Channel.WEB else "system")
    db.session.refresh(order, ["client", "location"])
    audit.record(actor, "order_placed", order, None, snapshot(order), source=source)


def accrue_for(order: Order, now: datetime) -> None:
    """Accrue the bonus each line's money earned (SPEC §5). One key per line: repeating is harmless."""
    for line in order.lines:
        if line.accrual:
            ledger.accrue(order.client_id, line.accrual, accrual_key(order.id, line.line_no), order_id=order.id,
                          now=now)


def mark_paid(order: Order, now: datetime) -> None:
    """An order made earlier (a manager's) has received all its money: it becomes `paid` and
    accrues bonus at the programme's rate of this moment, like every other sale (no commit)."""
    if order.received != order.paid:
        raise DomainError(_l("The order is not paid in full yet."))
    rate = ledger.settings.current().accrual_rate_bp
    accruals = accruals_for([line.paid for line in order.lines], rate) if order.client_id else [0] * len(order.lines)
    for line, accrual in zip(order.lines, accruals):
        line.accrual = accrual
    order.accrual = sum(accruals)
    order.status = OrderStatus.PAID
    order.paid_at = now
    db.session.flush()
    daily_sums.record_order(order.id, order.client_id)
    if order.client_id is not None:
        ledger.settle(order.client_id, now)
        accrue_for(order, now)


def order_number(order: Order) -> str:
    """The number people read: the channel's letter and the id, e.g. M-000123 (after a flush)."""
    return f"{NUMBER_PREFIX[order.channel]}-{order.id:06d}"


def onec_key(order_id: int, state: str) -> str:
    """The outbox key of the order's "1c.order" event for a state (confirmed, paid, cancelled): one
    event per order and state, however often the state is reached or the request repeated."""
    return f"1c:order:{order_id}:{state}"


def accrual_key(order_id: int, line_no: int) -> str:
    return f"accrual:order:{order_id}:line:{line_no}"
