"""The client's read-only bonus page: sign in by phone + SMS code or by a signed link."""
from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from portal import ledger
from portal.cursors import CursorError, decode_cursor, encode_cursor
from portal.documents.loyalty_card import barcode_svg, qr_svg
from portal.errors import DomainError, NotFound
from portal.extensions import db, limiter
from portal.models import Order
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.clients import access, directory, loyalty_card
from portal.services.clients import bonus as bonus_service
from portal.services.clients import clients as client_service
from portal.services.orders import confirmation as order_confirmation
from portal.web.common.notifications import notification_text
from portal.web.pdf import pdf_response

bp = Blueprint("client", __name__, url_prefix="/my")
SESSION_KEY = "client_id"
SESSION_TOKEN = "client_session"  # the random token of the client_sessions row


def client_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        # Checked before the view does anything, so the lookup's occasional commit is safe.
        if access.session_client(session.get(SESSION_KEY), session.get(SESSION_TOKEN)) is None:
            session.pop(SESSION_KEY, None)
            session.pop(SESSION_TOKEN, None)
            return redirect(url_for("client.login"))
        return view(*args, **kwargs)
    return wrapped


def _enter(client_id: int):
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[SESSION_KEY] = client_id
    session[SESSION_TOKEN] = access.start_session(client_id)
    loyalty_card.card_number_of(client_id)  # a client without a card gets its number on signing in
    session.permanent = False
    return redirect(url_for("client.bonus"))


def _code_limit() -> str:
    return current_app.config["CLIENT_CODE_RATE_LIMIT"]


def _phone_key() -> str:
    """The phone a code is asked for or typed for, normalised, so "8 916…" and "+7 916…" count as one."""
    typed = (request.form.get("phone") or "")[:40]
    try:
        return "phone:" + normalize_phone(typed, current_app.config["PORTAL_COUNTRY"])
    except PhoneError:
        digits = "".join(ch for ch in typed if ch.isdigit())
        return "phone:" + digits if digits else ""


# Asking for a code and typing one share one budget (CLIENT_CODE_RATE_LIMIT) per address and per
# phone, on top of the 5 tries per code and one code a minute (services/codes.py).
_code_limits = (limiter.shared_limit(_code_limit, scope="client-code-address", methods=["POST"]),
                limiter.shared_limit(_code_limit, scope="client-code-phone", key_func=_phone_key, methods=["POST"]))


def code_limited(view):
    for rule in _code_limits:
        view = rule(view)
    return view


@bp.route("/login", methods=["GET", "POST"])
@code_limited
def login():
    phone = request.form.get("phone", "")[:40]
    if request.method == "POST":
        if not phone.strip():
            return render_template("client/login.html", phone=phone, error=_("Enter your phone number.")), 422
        try:
            access.request_code(phone)
        except access.Throttled as exc:
            flash(str(exc.message), "info")
        return redirect(url_for("client.code", phone=phone))
    return render_template("client/login.html", phone=phone, error=None)


@bp.route("/code", methods=["GET", "POST"])
@code_limited
def code():
    phone = (request.values.get("phone") or "")[:40]
    if request.method == "POST":
        try:
            client_id = access.verify_code(phone, request.form.get("code", "")[:20])
        except DomainError as exc:
            return render_template("client/code.html", phone=phone, error=str(exc.message)), 422
        return _enter(client_id)
    return render_template("client/code.html", phone=phone, error=None)


@bp.get("/link/<token>")
def link(token: str):
    client_id = access.client_from_link(token[:500])
    if client_id is None:
        flash(_("This link has expired or is not valid. Sign in with your phone instead."), "error")
        return redirect(url_for("client.login"))
    return _enter(client_id)


@bp.post("/logout")
def logout():
    access.end_session(session.pop(SESSION_TOKEN, None))
    session.pop(SESSION_KEY, None)
    return redirect(url_for("client.login"))


@bp.get("/")
@client_required
def bonus():
    try:
        client = client_service.get_client(session[SESSION_KEY])
    except NotFound:
        session.pop(SESSION_KEY, None)
        return redirect(url_for("client.login"))
    bonus_service.settle(client.id)
    card_number = loyalty_card.card_number_of(client.id)
    try:
        start = decode_cursor(request.args["from"], parts=3) if request.args.get("from") else None
    except CursorError:
        start = None
    legs, following = ledger.legs_of(client.id, limit=40, start=start)
    # A release moves bonus from pending to available: the client reads it as one line.
    legs = [leg for leg in legs if not (leg.kind == "release" and leg.amount < 0)]
    numbers = directory.order_numbers({leg.order_id for leg in legs if leg.order_id})
    recent = directory.latest_orders_of(client.id, 10)
    return render_template("client/bonus.html", client=client, bonus=ledger.bonus_of(client.id), legs=legs,
                           numbers=numbers, next_page=encode_cursor(following), orders=recent, card_number=card_number,
                           notes=audit.client_notifications(client.id), note_text=notification_text)


def _card_picture(kind: str, draw):
    """The signed-in client's card number drawn as `kind` (SVG). Private to the session; the browser
    keeps it a day and asks again with its ETag (the card number's)."""
    number = loyalty_card.card_number_of(session[SESSION_KEY])
    response = Response(draw(number), mimetype="image/svg+xml")
    response.set_etag(f"{kind}-{number}")
    response.cache_control.private = True
    response.cache_control.max_age = 86400
    response.vary.add("Cookie")
    return response.make_conditional(request)


@bp.get("/card/barcode.svg")
@client_required
def card_barcode():
    return _card_picture("barcode", barcode_svg)


@bp.get("/card/qr.svg")
@client_required
def card_qr():
    return _card_picture("qr", qr_svg)


@bp.get("/orders/<int:order_id>/invoice.pdf")
@client_required
def invoice(order_id: int):
    order = db.session.get(Order, order_id)
    if order is None or order.client_id != session[SESSION_KEY]:
        abort(404)
    document = order_confirmation.invoice_for(order.id)
    return pdf_response(document.pdf, f"invoice-{document.number}.pdf", download=True)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_order(token: str):
    """The link from the confirmation SMS: the order is shown, and confirmed only by pressing Confirm."""
    token = token[:500]
    try:
        if request.method == "POST":
            order = order_confirmation.confirm_with_link(token)
            return render_template("client/confirmed.html", order=order)
        order = order_confirmation.order_from_link(token)
    except access.CodeRefused as exc:
        return render_template("client/confirm.html", order=None, error=str(exc.message)), 410
    except DomainError:
        # Stock, bonus or the credit limit changed since the code was sent: that is for the manager.
        return render_template("client/confirm.html", order=None, error=_(
            "The order cannot be confirmed right now. Your manager will contact you.")), 409
    return render_template("client/confirm.html", order=order, error=None, token=token)
