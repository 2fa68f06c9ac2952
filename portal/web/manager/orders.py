"""A manager's order: the form, the card, confirmation by the client, payments."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import local_date
from portal.errors import DomainError, ValidationError
from portal.extensions import limiter
from portal.ids import parse_id
from portal.ledger.errors import InsufficientBonus
from portal.models import OrderStatus, PaymentMethod, Role
from portal.money import MoneyError, parse_amount, to_minor
from portal.phones import display_phone
from portal.services import audit
from portal.services.clients import directory
from portal.services.messaging.codes import CodeRefused, Throttled
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import debt, delivery, orders
from portal.services.orders import payments as order_payments
from portal.services.sales import catalog
from portal.services.sales.stock import InsufficientStock
from portal.services.staff import locations
from portal.web.manager.blueprint import bp
from portal.web.manager.order_forms import OrderForm, form_of, lines_changed, percent_text, read_order_form
from portal.web.pdf import pdf_response

ACTIONS = ("recalculate", "add", "remove", "save", "send")


def _order_or_abort(order_id: int, lock: bool = False):
    return orders.order_for(current_user, order_id, lock=lock)


def _client_or_abort(client_id: int | None):
    """The client the order is for, if the signed-in person may see them (a rejected client too:
    the form says why no order can be made)."""
    return directory.visible_client(current_user, client_id or 0)


def _render_form(form: OrderForm, client, order=None, status: int = 200, message: str | None = None):
    """The order form, whole or (for htmx) just the editor, priced by the service."""
    q, problems = None, dict(form.errors)
    if form.draft is not None and form.draft.location_id:
        try:
            q = orders.quote(current_user, form.draft)
            problems = {**q.problems, **problems}
        except ValidationError as exc:
            problems.update(exc.fields)
    if not form.lines and status == 200:
        problems.pop("lines", None)  # a new form is not wrong yet
    stock_elsewhere = catalog.stock_by_location([line.product.id for line in q.lines]) if q else {}
    analogues = {}
    if q is not None:
        for line in q.lines:
            if line.stock_here < line.qty:
                analogues[line.product.id] = catalog.analogues_in_stock(line.product, form.draft.location_id)
    context = {"form": form, "client": client, "order": order, "quote": q, "problems": problems, "locations": locations.shipping_locations(),
                   "percent_text": percent_text, "due_if_today": local_date() + timedelta(days=client.deferral_days),
                   "stock_elsewhere": stock_elsewhere, "analogues": analogues, "message": message,
                   "debt": debt.debt_of(client.id), "action_url": request.path,
                   "addresses": delivery.delivery_addresses(client)}
    if request.htmx:
        # htmx swaps only successful answers: the refused form comes back as 200, as at the till.
        # The answer is the editor, but the page swaps in only its parts marked out-of-band: the
        # computed ones (prices, amounts, stock, totals, messages), and the lines table when lines
        # were added, removed or re-counted. Inputs stay as the manager left them.
        return render_template("manager/_order_editor.html", oob=True, redraw_lines=lines_changed(request.form),
                               **context), 200
    return render_template("manager/order_form.html", **context), status


@bp.get("/orders/new")
def order_new():
    client_id = request.args.get("client", type=parse_id)
    if client_id is None:
        return render_template("manager/order_pick_client.html", query=request.args.get("q", ""),
                               found=_find_clients(request.args.get("q", "")))
    client = _client_or_abort(client_id)
    places = locations.shipping_locations()
    form = OrderForm(values={"location_id": str(places[0].id) if places else "", "payment_terms": "prepaid",
                             "delivery_method": "pickup", "delivery_address": "",
                             "delivery_date": delivery.next_working_day().isoformat(), "bonus": "",
                             "comment": ""}, lines=[], draft=None)
    form.draft = read_order_form(form.values, client.id).draft if places else None
    return _render_form(form, client)


def _find_clients(query: str):
    query = (query or "").strip()
    if len(query) < 2:
        return []
    return [row.client for row in directory.search_clients(
        current_user, directory.ClientQuery(q=query, per_page=10)).rows]


@bp.post("/orders/new")
def order_create():
    client = _client_or_abort(request.form.get("client_id", type=parse_id))
    return _save_form(client)


def _save_form(client, order=None):
    """Re-price the posted form, or save it (a new draft, or the order's) and maybe send it on."""
    form = read_order_form(request.form, client.id)
    action = request.form.get("action", "recalculate")
    if action not in ("save", "send") or form.errors:
        return _render_form(form, client, order, status=422 if action in ("save", "send") else 200,
                            message=_("Correct the marked fields.") if action in ("save", "send") else None)
    try:
        if action == "send":
            q = orders.quote(current_user, form.draft)
            if q.problems:
                return _render_form(form, client, order, status=422, message=_(
                    "The order was not sent: correct the marked fields, or save it as a draft."))
        if order is None:
            order = orders.create_draft(current_user, form.draft)
        else:
            orders.update_draft(current_user, order.id, form.draft)
        sent = order_confirmation.send_for_confirmation(current_user, order.id) if action == "send" else None
    except ValidationError as exc:
        form.errors.update(exc.fields)
        return _render_form(form, client, order, status=422, message=_("Correct the marked fields."))
    except DomainError as exc:
        return _render_form(form, client, order, status=409, message=str(exc.message))
    flash(_("Order %(number)s saved.", number=order.number), "success")
    if sent is not None and sent.code is not None:
        flash(_("A code was sent to %(phone)s.", phone=display_phone(sent.code.phone)), "success")
    elif sent is not None and sent.code_refused:
        flash(sent.code_refused, "error")
    elif sent is not None:
        flash(_("The order was sent on."), "success")
    return _to_card(order.id)


def _to_card(order_id: int):
    target = url_for("manager.order_card", order_id=order_id)
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def order_edit(order_id: int):
    order = _order_or_abort(order_id)
    if order.status is not OrderStatus.DRAFT:
        flash(_("Only a draft can be edited. Return the order to draft first."), "error")
        return redirect(url_for("manager.order_card", order_id=order.id))
    client = order.client
    if request.method == "GET":
        return _render_form(form_of(order), client, order)
    return _save_form(client, order)


@bp.get("/products")
def product_search():
    """Products for the order form's search box: price, stock here and elsewhere, analogues; a
    product sold by its sizes or variants with them, to pick one."""
    location_id = request.args.get("location_id", type=parse_id)
    found = catalog.find_products(request.args.get("q", ""), location_id)
    stock = catalog.stock_by_location([pid for choice in found for pid in choice.product_ids])
    analogues = {c.product.id: catalog.analogues_in_stock(c.product, location_id) for c in found
                 if location_id and not c.sold_by_variants and c.stock == 0}
    return render_template("manager/_product_results.html", found=found, stock=stock, location_id=location_id,
                           analogues=analogues, query=request.args.get("q", ""))


# ------------------------------------------------------------------------------------------ the card

@bp.get("/orders/<int:order_id>")
def order_card(order_id: int):
    order = _order_or_abort(order_id)
    return _render_card(order)


def _render_card(order, status: int = 200, errors: dict | None = None, typed: dict | None = None):
    stock = catalog.stock_by_location([line.product_id for line in order.lines])
    code = order_confirmation.code_state(order.id) if order.status is OrderStatus.AWAITING_CONFIRMATION else None
    history = audit.history_of(order)
    return render_template(
        "manager/order.html", order=order, stock=stock, code=code, history=history, errors=errors or {},
        typed=typed or {}, methods=order_payments.MANAGER_METHODS,
        can_decide=current_user.role is Role.SUPERVISOR and order.status is OrderStatus.AWAITING_APPROVAL,
        debt=debt.debt_of(order.client_id) if order.client_id else None), status


def _act(order_id: int, run, success: str):
    """Run a state change from the card; errors are shown on the card."""
    order = _order_or_abort(order_id)
    try:
        run(order)
    except ValidationError as exc:
        return _render_card(order, 422, exc.fields, dict(request.form))
    except (DomainError, InsufficientBonus, InsufficientStock) as exc:
        flash(str(getattr(exc, "message", exc)), "error")
        return redirect(url_for("manager.order_card", order_id=order_id), code=303)
    flash(success, "success")
    return redirect(url_for("manager.order_card", order_id=order_id), code=303)


@bp.post("/orders/<int:order_id>/submit")
def order_submit(order_id: int):
    sent = []
    response = _act(order_id, lambda o: sent.append(order_confirmation.send_for_confirmation(current_user, o.id)),
                    _("The order was sent on."))
    if sent and sent[0].code is not None:
        flash(_("A code was sent to %(phone)s.", phone=display_phone(sent[0].code.phone)), "success")
    elif sent and sent[0].code_refused:
        flash(sent[0].code_refused, "error")
    return response


@bp.post("/orders/<int:order_id>/reopen")
def order_reopen(order_id: int):
    return _act(order_id, lambda o: orders.reopen(current_user, o.id), _("The order is a draft again."))


@bp.post("/orders/<int:order_id>/cancel")
def order_cancel(order_id: int):
    return _act(order_id, lambda o: orders.cancel(current_user, o.id), _("The order was cancelled."))


@bp.post("/orders/<int:order_id>/complete")
def order_complete(order_id: int):
    return _act(order_id, lambda o: orders.complete(current_user, o.id), _("The order is completed."))


def _supervisor_only() -> None:
    """Deciding on an order's discounts is a supervisor's: anyone else gets a 403, not a flash."""
    if current_user.role is not Role.SUPERVISOR:
        abort(403)


@bp.post("/orders/<int:order_id>/approve")
def order_approve(order_id: int):
    _supervisor_only()
    return _act(order_id, lambda o: orders.approve(current_user, o.id, request.form.get("comment", "")),
                _("The discounts were approved."))


@bp.post("/orders/<int:order_id>/reject")
def order_reject(order_id: int):
    _supervisor_only()
    return _act(order_id, lambda o: orders.reject(current_user, o.id, request.form.get("comment", "")),
                _("The discounts were rejected; the order is a draft again."))


@bp.post("/orders/<int:order_id>/code")
def order_send_code(order_id: int):
    order = _order_or_abort(order_id)
    try:
        state = order_confirmation.send_code(current_user, order.id)
    except Throttled as exc:
        flash(str(exc.message), "error")
    except ValidationError as exc:
        flash(" ".join(str(m) for m in exc.fields.values()), "error")
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("A code was sent to %(phone)s.", phone=display_phone(state.phone)), "success")
    return redirect(url_for("manager.order_card", order_id=order_id), code=303)


def _order_code_limit() -> str:
    return current_app.config["ORDER_CODE_RATE_LIMIT"]


def _order_key() -> str:
    return f"order:{(request.view_args or {}).get('order_id', '')}"


def _code_refused(response) -> bool:
    return response.status_code == 422


@bp.post("/orders/<int:order_id>/confirm")
# The manager types the code the client reads out: wrong codes limited per address and per order.
@limiter.shared_limit(_order_code_limit, scope="order-code-address", deduct_when=_code_refused)
@limiter.shared_limit(_order_code_limit, scope="order-code-order", key_func=_order_key, deduct_when=_code_refused)
def order_confirm(order_id: int):
    order = _order_or_abort(order_id)
    try:
        order_confirmation.confirm_with_code(current_user, order.id, request.form.get("code", ""))
    except CodeRefused as exc:
        return _render_card(_order_or_abort(order_id), 422, {"code": str(exc.message)}, dict(request.form))
    except ValidationError as exc:
        return _render_card(_order_or_abort(order_id), 422, exc.fields, dict(request.form))
    except (DomainError, InsufficientBonus, InsufficientStock) as exc:
        flash(str(getattr(exc, "message", exc)), "error")
        return redirect(url_for("manager.order_card", order_id=order_id), code=303)
    flash(_("The client confirmed the order. The invoice is ready."), "success")
    return redirect(url_for("manager.order_card", order_id=order_id), code=303)


@bp.post("/orders/<int:order_id>/payments")
def order_payment(order_id: int):
    order = _order_or_abort(order_id)
    if order.status is not OrderStatus.CONFIRMED:
        # The payment form is gone from the card (paid or cancelled meanwhile): field errors could not
        # be shown next to it, so the service's refusal is said instead.
        flash(_("Payments are recorded for confirmed orders only."), "error")
        return redirect(url_for("manager.order_card", order_id=order_id), code=303)
    errors = {}
    try:
        amount = to_minor(parse_amount(request.form.get("amount", "")))
    except MoneyError:
        errors["amount"] = _("Enter an amount like 1500 or 1500.50.")
    try:
        method = PaymentMethod(request.form.get("method", ""))
    except ValueError:
        errors["method"] = _("Choose how the money came in.")
    expected = request.form.get("expected", type=int)
    if errors or expected is None:
        return _render_card(order, 422, errors or {"amount": _("Reload the page and try again.")},
                            dict(request.form))
    return _act(order_id, lambda o: order_payments.record_payment(
        current_user, o.id, method, amount, expected_outstanding=expected), _("The payment was recorded."))


@bp.get("/orders/<int:order_id>/invoice.pdf")
def order_invoice(order_id: int):
    order = _order_or_abort(order_id)
    invoice = order_confirmation.invoice_for(order.id)
    return pdf_response(invoice.pdf, f"invoice-{invoice.number}.pdf", download=True)
