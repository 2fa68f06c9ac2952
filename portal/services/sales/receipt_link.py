"""A receipt sent to the client by SMS as a link: signed, read-only, valid RECEIPT_LINK_DAYS.

The link (PORTAL_BASE_URL/r/<token>) carries the order's id signed with the app's SECRET_KEY
(itsdangerous, its own salt), so nobody can make one for another order; it opens the receipt page
and its PDF without a sign-in until it is RECEIPT_LINK_DAYS old (90 by default: the return period
and well beyond it), then it says it has expired.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import Order, OrderStatus, User
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.messaging import sms
from portal.services.transactions import one_transaction

SALT = "receipt-link"
RECEIPT_STATES = {OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(order_id: int) -> str:
    return _serializer().dumps({"order": order_id})


def link_for(order_id: int) -> str:
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + "/r/" + token_for(order_id)


def order_from_token(token: str) -> Order | None:
    """The paid order a link was made for, or None when it is forged, expired or the order is gone."""
    try:
        data = _serializer().loads(token, max_age=int(current_app.config["RECEIPT_LINK_DAYS"]) * 86400)
    except (BadSignature, SignatureExpired):
        return None
    order_id = data.get("order") if isinstance(data, dict) else None
    order = db.session.get(Order, order_id) if isinstance(order_id, int) else None
    return order if order is not None and order.status in RECEIPT_STATES else None


def send(order_id: int, phone: str, actor: User) -> str:
    """Queue an SMS with the receipt's link to `phone` (the client's phone when left empty) and
    return the number it goes to. One message per order and phone: pressing again sends nothing new."""
    order = db.session.get(Order, order_id)
    if order is None or order.status not in RECEIPT_STATES:
        raise NotFound(_l("No such receipt."))
    typed = (phone or "").strip()[:40]
    if not typed and order.client is not None and order.client.primary_phone:
        typed = order.client.primary_phone
    if not typed:
        raise ValidationError({"phone": _l("Enter the phone number to send the receipt to.")})
    try:
        number = normalize_phone(typed, current_app.config["PORTAL_COUNTRY"])
    except PhoneError as exc:
        raise ValidationError({"phone": str(exc)}) from None
    link = link_for(order.id)
    text = gettext("Your receipt %(number)s from %(company)s: %(link)s", number=order.number,
                   company=current_app.config["PORTAL_COMPANY_NAME"], link=link)

    def queue():
        event = sms.queue(number, text, f"sms:receipt:order:{order.id}:{number}", hide=[link])
        audit.record(actor, "receipt_sent", order, None, {"phone": number})
        return event

    sms.send_queued(one_transaction(queue))
    return number
