"""The client confirms a manager's order (SPEC §3): a 6-digit code the client reads out to the
manager, or the link sent with it. Confirming takes the goods from stock, spends the bonus, sets
the due date, makes and keeps the invoice, and queues the order for 1C, all in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from portal import ledger
from portal.clock import local_date
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.i18n import money
from portal.models import Invoice, Order, OrderConfirmationCode, OrderStatus, PaymentTerms, User, utcnow
from portal.services import audit
from portal.services.messaging import codes, sms
from portal.services.messaging.codes import MAX_ATTEMPTS, CodeRefused
from portal.services.messaging.outbox import enqueue
from portal.services.orders import history, invoices, orders
from portal.services.orders.debt import debt_of
from portal.services.orders.payments import finish_payment
from portal.services.sales import stock
from portal.services.sales.sales import onec_key
from portal.services.transactions import one_transaction

PURPOSE = "order-confirmation"
LINK_SALT = "order-confirmation-link"


def _latest(order_id: int, lock: bool = False) -> OrderConfirmationCode | None:
    return codes.latest(OrderConfirmationCode, OrderConfirmationCode.order_id == order_id, lock=lock)


@dataclass(frozen=True)
class CodeState:
    sent_at: datetime | None
    expires_at: datetime | None
    tries_left: int
    usable: bool
    phone: str
    sms: sms.SmsStatus | None = None  # queued, sent or failed, from the outbox


def code_state(order_id: int, now: datetime | None = None) -> CodeState:
    """What the manager's screen says about the last code sent for the order."""
    now = now or utcnow()
    row = _latest(order_id)
    if row is None:
        return CodeState(None, None, 0, False, "")
    return CodeState(row.created_at, row.expires_at, max(MAX_ATTEMPTS - row.attempts, 0),
                     codes.usable(row, now), row.phone, sms.status(sms_key(row.id)))


def send_code(actor: User, order_id: int, now: datetime | None = None) -> CodeState:
    """Send the client a code (with a link) to confirm the order. Throttled: one per minute."""
    now = now or utcnow()

    def run():
        order = orders.order_for(actor, order_id, lock=True)
        if order.status is not OrderStatus.AWAITING_CONFIRMATION:
            raise DomainError(_l("A code can be sent only for an order awaiting confirmation."))
        phone = order.client.primary_phone if order.client else ""
        if not phone:
            raise ValidationError({"phone": _l("The client has no phone number: add one on the client's card.")})
        row, code = codes.issue(OrderConfirmationCode, PURPOSE, order.id, now,
                                OrderConfirmationCode.order_id == order.id, order_id=order.id, phone=phone)
        db.session.flush()
        audit.record(actor, "order_code_sent", order, None, {"phone": phone})
        link = confirmation_link(order.id, row.id)
        return sms.queue(phone, _sms_text(order, code, link), sms_key(row.id), hide=[code, link],
                         valid_for=row.expires_at - row.created_at)
    sms.send_queued(one_transaction(run))
    return code_state(order_id, now)


@dataclass
class SentOn:
    """What "Send for confirmation" did: the order's new step, the code sent, or why none was."""

    order: Order
    code: CodeState | None = None
    code_refused: str | None = None


def send_for_confirmation(actor: User, order_id: int, now: datetime | None = None) -> SentOn:
    """The editor's one action "Send for confirmation": send the draft on and, when nothing needs the
    supervisor's approval, send the client the code at once. Refused (ValidationError) while anything
    stands in the way, as `orders.submit`. The order's step and the code are two transactions: a code
    that cannot be sent (no phone, throttled) leaves the order awaiting confirmation with the reason
    in `code_refused`, and the card's "Send code by SMS" to try again."""
    order = orders.submit(actor, order_id)
    if order.status is not OrderStatus.AWAITING_CONFIRMATION:
        return SentOn(order)
    try:
        return SentOn(order, send_code(actor, order_id, now))
    except ValidationError as exc:
        return SentOn(order, code_refused=" ".join(str(m) for m in exc.fields.values()))
    except DomainError as exc:  # codes.Throttled is one
        return SentOn(order, code_refused=str(exc.message))


def sms_key(code_id: int) -> str:
    """The outbox key of the SMS that carried this confirmation code."""
    return f"sms:order-code:{code_id}"


def _sms_text(order: Order, code: str, link: str) -> str:
    return gettext("Code %(code)s confirms order %(number)s for %(amount)s. Or confirm here: %(link)s",
                   code=code, number=order.number, amount=money(order.paid), link=link)


def confirm_with_code(actor: User, order_id: int, code: str, now: datetime | None = None) -> Order:
    """The manager types the code the client reads out. A wrong code uses up one of five tries."""
    now = now or utcnow()

    def run() -> Order:
        order = orders.order_for(actor, order_id, lock=True)
        if order.status is not OrderStatus.AWAITING_CONFIRMATION:
            raise DomainError(_l("This order is not awaiting confirmation."))
        row = _latest(order.id, lock=True)
        if row is None:
            raise CodeRefused(_l("No code has been sent for this order yet."))
        if not codes.check(row, PURPOSE, order.id, code, now):
            left = max(MAX_ATTEMPTS - row.attempts, 0)
            audit.record(actor, "order_code_failed", order, None, {"tries_left": left})
            # The refusal is returned, not raised, so the used-up try and its audit event commit.
            if left and codes.usable(row, now):
                return CodeRefused(_l("The code is wrong. Tries left: %(n)d.", n=left))
            return CodeRefused(_l("The code has expired or was tried too many times. Send a new one."))
        _confirm(order, actor, now)
        return order

    result = one_transaction(run)
    if isinstance(result, CodeRefused):
        raise result
    return result


# ------------------------------------------------------------------------------------------ the link

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def confirmation_link(order_id: int, code_id: int) -> str:
    """A link that confirms the order while the code sent with it is still valid (10 minutes)."""
    token = _serializer().dumps({"order": order_id, "code": code_id})
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + "/my/confirm/" + token


def _from_link(token: str, now: datetime) -> tuple[Order, OrderConfirmationCode]:
    refused = CodeRefused(_l("This link has expired or is not valid. Ask the manager for a new code."))
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise refused from None
    if not isinstance(data, dict) or not isinstance(data.get("order"), int) or not isinstance(data.get("code"), int):
        raise refused
    order = db.session.get(Order, data["order"])
    row = _latest(data["order"])
    if order is None or row is None or row.id != data["code"] or not codes.usable(row, now):
        raise refused
    return order, row


def order_from_link(token: str, now: datetime | None = None) -> Order:
    """The order a valid link confirms, to show it before the client presses Confirm."""
    order, _row = _from_link(token, now or utcnow())
    if order.status is not OrderStatus.AWAITING_CONFIRMATION:
        raise CodeRefused(_l("This order is not awaiting confirmation."))
    return order


def confirm_with_link(token: str, now: datetime | None = None) -> Order:
    """The client pressed Confirm on the page the link opened."""
    now = now or utcnow()

    def run() -> Order:
        order, row = _from_link(token, now)
        order = db.session.scalar(db.select(Order).where(Order.id == order.id).with_for_update())
        row = _latest(order.id, lock=True)
        if order.status is not OrderStatus.AWAITING_CONFIRMATION or not codes.usable(row, now):
            raise CodeRefused(_l("This order is not awaiting confirmation."))
        row.used_at = now
        _confirm(order, None, now)
        return order
    return one_transaction(run)


# ------------------------------------------------------------------------------------------ confirming

def _confirm(order: Order, actor: User | None, now: datetime) -> None:
    """Everything confirmation does, in the caller's transaction. Rules are checked again: the
    stock, the bonus and the client's debt may have changed since the order was sent."""
    before = history.snapshot(order)
    client = order.client
    if order.payment_terms is PaymentTerms.DEFERRED:
        problems: dict = {}
        orders.check_credit(client, order.paid, debt_of(client.id).open, problems)
        if problems:
            raise ValidationError(problems)
    for line in order.lines:
        stock.take(line.product_id, line.sku, order.location_id, line.qty)
    if order.bonus_redeemed:
        ledger.settle(client.id, now)
        ledger.redeem(client.id, order.bonus_redeemed, f"redemption:order:{order.id}", order_id=order.id, now=now)
    order.status = OrderStatus.CONFIRMED
    order.confirmed_at = now
    if order.payment_terms is PaymentTerms.DEFERRED:
        order.due_date = local_date(now) + timedelta(days=client.deferral_days)
    invoices.issue_invoice(order, now)
    enqueue("1c.order", onec_key(order.id, "confirmed"), order_payload(order))
    history.record_change(actor, "order_confirmed", order, before)
    orders.run_rules(order, actor, status_changed=True)
    author = order.created_by
    if author is not None and (actor is None or author.id != actor.id):
        audit.notify(author, "order_confirmed", orders.order_link(order), client=client.name, number=order.number)
    if order.paid == 0:  # paid wholly with bonus: nothing to wait for
        finish_payment(order, actor, now)


def order_payload(order: Order) -> dict:
    """The order as 1C receives it (the CommerceML document is built from this on delivery)."""
    client = order.client
    return {
        "number": order.number, "date": order.created_at.isoformat(),
        "confirmed_at": order.confirmed_at.isoformat() if order.confirmed_at else None,
        "client": {"id": client.id, "name": client.name, "tax_id": client.tax_id or "",
                   "kind": client.kind.value, "phone": client.primary_phone},
        "lines": [{"sku": line.sku, "name": line.name, "qty": line.qty, "price": line.price,
                   "discount": line.discount, "bonus": line.bonus, "amount": line.paid} for line in order.lines],
        "subtotal": order.subtotal, "discount": order.discount, "bonus": order.bonus_redeemed, "total": order.paid,
        "payment_terms": order.payment_terms.value if order.payment_terms else None,
        "due_date": order.due_date.isoformat() if order.due_date else None,
        "delivery": {"method": order.delivery_method.value if order.delivery_method else None,
                     "address": order.delivery_address,
                     "date": order.delivery_date.isoformat() if order.delivery_date else None},
        "location": order.location.code if order.location else None,
    }


def invoice_for(order_id: int):
    """The stored invoice of an order, or NotFound."""
    invoice = db.session.scalar(db.select(Invoice).where(Invoice.order_id == order_id))
    if invoice is None:
        raise NotFound(_l("The invoice is made when the client confirms the order."))
    return invoice
