"""Cashier's cabinet (tablet-first): shift, the till, receipts, the base of all sales, returns."""
from __future__ import annotations

import secrets
from datetime import date

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import ledger
from portal.documents.receipts import receipt_pdf, return_receipt_pdf
from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.ids import parse_id
from portal.models import Location, Order, Return, Role, User
from portal.money import MoneyError, parse_amount, to_minor
from portal.services.sales import catalog, order_search, parked, quick_keys, returns, sales, shifts, till, vat
from portal.web.access import roles_required
from portal.web.cashier import parking
from portal.web.pdf import pdf_response

bp = Blueprint("cashier", __name__, url_prefix="/cashier")


@bp.before_request
@roles_required(Role.CASHIER)
def only_cashiers():
    return None


def _amount(name: str, required: bool = True) -> int | None:
    text = request.form.get(name, "").strip()
    if not text and not required:
        return None
    try:
        return to_minor(parse_amount(text))
    except MoneyError:
        raise ValidationError({name: _("Enter an amount like 1500 or 1500,50.")}) from None


def _htmx() -> bool:
    return bool(request.htmx)


# --- home and shift ---------------------------------------------------------------------------

@bp.get("/")
def home():
    shop = current_user.shop
    if shop is None:
        return render_template("cashier/home.html", shop=None, overview=None, shift=None)
    shift = shifts.current_shift(current_user.id)
    if shift is not None:
        return redirect(url_for("cashier.sale"))
    overview = catalog.location_stock_overview(shop.id)
    return render_template("cashier/home.html", shop=shop, overview=overview, shift=None,
                           recent=shifts.recent_shifts(current_user.id, 5), error=None, value="")


@bp.post("/shift/open")
def open_shift():
    try:
        shifts.open_shift(current_user, _amount("opening_float"))
    except ValidationError as exc:
        shop = current_user.shop
        return render_template("cashier/home.html", shop=shop, overview=catalog.location_stock_overview(shop.id),
                               shift=None, recent=shifts.recent_shifts(current_user.id, 5),
                               error=next(iter(exc.fields.values())),
                               value=request.form.get("opening_float", "")), 422
    except DomainError as exc:
        flash(str(exc.message), "info")
    return redirect(url_for("cashier.sale"))


@bp.get("/shift")
def shift_report():
    shift = shifts.current_shift(current_user.id)
    if shift is None:
        flash(_("Your shift is closed. Open a new one to sell."), "info")
        return redirect(url_for("cashier.home"))
    return render_template("cashier/shift.html", report=shifts.report(shift), closing=True, error=None, value="")


@bp.post("/shift/close")
def close_shift():
    try:
        z = shifts.close_shift(current_user, _amount("counted_cash"))
    except ValidationError as exc:
        shift = shifts.current_shift(current_user.id)
        if shift is None:
            return redirect(url_for("cashier.home"))
        return render_template("cashier/shift.html", report=shifts.report(shift), closing=True,
                               error=next(iter(exc.fields.values())),
                               value=request.form.get("counted_cash", "")), 422
    except shifts.NoOpenShift:
        return redirect(url_for("cashier.home"))
    except shifts.FiscalPending as exc:  # the page lists the documents awaiting registration
        return render_template("cashier/shift.html", report=shifts.report(shifts.current_shift(current_user.id)),
                               closing=True, error=str(exc.message), value=request.form.get("counted_cash", "")), 409
    return redirect(url_for("cashier.past_shift", shift_id=z.shift.id))


@bp.get("/shifts/<int:shift_id>")
def past_shift(shift_id: int):
    shift = shifts.get_shift(shift_id)
    if shift is None or shift.cashier_id != current_user.id:
        abort(404)
    return render_template("cashier/shift.html", report=shifts.report(shift), closing=False, error=None, value="")


# --- the till ----------------------------------------------------------------------------------

def _screen() -> dict:
    """What the till's live panel shows besides a message: the cart and the shop's parked carts."""
    return {"cart": till.view(current_user), "parked": parked.of_shop(current_user.shop_id)}


def _till(message: str | None = None, category: str = "error", status: int = 200, choices=None, existing=None):
    """The till panel (htmx) or, for a plain form post, back to the sale screen. `choices` are
    products to pick a size or variant of, shown above the cart; `existing` a client the cashier
    may attach instead of registering the phone again."""
    if not _htmx():
        if message:
            flash(message, category)
        return redirect(url_for("cashier.sale"))
    return render_template("cashier/_till.html", message=message, category=category, choices=choices or [],
                           existing=existing, **_screen()), status


@bp.get("/sale")
def sale():
    shift = shifts.current_shift(current_user.id)
    if shift is None:
        flash(_("Open a shift first: a sale needs an open shift."), "info")
        return redirect(url_for("cashier.home"))
    return render_template("cashier/sale.html", shift=shift, message=None, choices=[], existing=None,
                           keys=quick_keys.for_till(current_user.shop_id), **_screen())


def _cart_action(action, success: str | None = None):
    try:
        action()
    except till.ClientExists as exc:
        return _till(str(exc.message), "info", existing=exc.client)
    except ValidationError as exc:
        return _till(" ".join(str(m) for m in exc.fields.values()), status=422 if not _htmx() else 200)
    except catalog.ChooseVariant as exc:
        return _till(str(exc.message), "info", choices=exc.choices)
    except DomainError as exc:
        return _till(str(exc.message))
    return _till(success, "success") if success else _till()


@bp.post("/cart/scan")
def scan():
    return _cart_action(lambda: till.scan(current_user, request.form.get("code", "")))


@bp.get("/products")
def products():
    found = till.search(current_user.shop_id, request.args.get("q", ""))
    return render_template("cashier/_search.html", found=found, query=request.args.get("q", ""))


@bp.post("/cart/add/<int:product_id>")
def add(product_id: int):
    return _cart_action(lambda: till.add(current_user, product_id, request.form.get("by", 1, type=int) or 1))


@bp.post("/cart/qty/<int:product_id>")
def set_qty(product_id: int):
    qty = request.form.get("qty", type=int)
    if qty is None:
        return _till(_("Enter a whole number."))
    return _cart_action(lambda: till.set_quantity(current_user, product_id, qty))


@bp.post("/cart/client")
def attach_client():
    return _cart_action(lambda: till.attach_client(current_user, request.form.get("query", "")))


@bp.post("/cart/client/remove")
def detach_client():
    return _cart_action(lambda: till.detach_client(current_user))


@bp.post("/cart/client/new")
def new_client():
    def register():
        client = till.register_client(current_user, request.form.get("name", ""), request.form.get("phone", ""))
        return client
    return _cart_action(register, success=_("The client is registered; an SMS with the bonus page link is sent."))


@bp.post("/cart/bonus")
def bonus():
    if request.form.get("max"):
        return _cart_action(lambda: till.set_bonus(current_user, None))
    if request.form.get("cancel"):
        return _cart_action(lambda: till.set_bonus(current_user, 0), success=_("The bonus is not spent on this cart."))
    return _cart_action(lambda: till.set_bonus(current_user, _amount("amount")))


@bp.post("/cart/clear")
def clear():
    return _cart_action(lambda: till.clear(current_user))


@bp.post("/checkout")
def checkout():
    mode = request.form.get("mode", "cash")
    try:
        planned_bonus = till.cart_of(current_user).bonus  # view() lowers it when another till spent it
        cart = till.view(current_user)
        total = cart.to_pay
        if mode == "card":
            card, tendered = total, None
        elif mode == "split":
            card, tendered = _amount("card"), _amount("cash_tendered", required=False)
            if tendered is None:
                tendered = total - card
        else:
            card, tendered = 0, _amount("cash_tendered", required=False)
            if tendered is None:
                tendered = total  # exact cash
        done = till.checkout(current_user, card=card, cash_tendered=tendered,
                             version=request.form.get("version", type=int) or 0, planned_bonus=planned_bonus)
    except ValidationError as exc:
        return _till(" ".join(str(m) for m in exc.fields.values()))
    except DomainError as exc:
        return _till(str(exc.message))
    target = url_for("cashier.receipt", order_id=done.order.id)
    if _htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


# --- receipts ----------------------------------------------------------------------------------

def _shop_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


def receipt_context(order: Order) -> dict:
    release_at = ledger.accrual_release_at(order.id) if order.accrual else None
    change = sales.change_given(order)
    warranties = {line.id: returns.warranty_end(line, order.paid_at) for line in order.lines}
    cashier = db.session.get(User, order.created_by_id) if order.created_by_id else None
    bonus_after = (ledger.balance_after_order(order.client_id, order.id, order.paid_at)
                   if order.client_id and order.paid_at else None)
    return {"order": order, "release_at": release_at, "change": change, "warranties": warranties,
            "return_days": _return_days(), "cashier": cashier, "vat": vat.by_rate(order.lines),
            "bonus_after": bonus_after}


def _return_days() -> int:
    return current_app.config["PORTAL_RETURN_DAYS"]


@bp.get("/receipt/<int:order_id>")
def receipt(order_id: int):
    order = _shop_order(order_id)
    return render_template("cashier/receipt.html", **receipt_context(order))


@bp.get("/receipt/<int:order_id>.pdf")
def receipt_pdf_view(order_id: int):
    order = _shop_order(order_id)
    return pdf_response(receipt_pdf(receipt_context(order)), f"receipt-{order.number}.pdf")


# --- the base of all sales, returns ------------------------------------------------------------

def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/orders")
def orders():
    f = order_search.OrderFilter(number=request.args.get("number", "")[:40], phone=request.args.get("phone", "")[:40],
                                 date_from=_date_arg("from"), date_to=_date_arg("to"),
                                 location_id=request.args.get("location", type=parse_id),
                                 state=order_search.state_of(request.args.get("state")))
    page = order_search.search_orders(f, page=max(request.args.get("page", 1, type=int) or 1, 1))
    shops = db.session.scalars(db.select(Location).order_by(Location.kind, Location.code)).all()
    return render_template("cashier/orders.html", page=page, f=f, shops=shops)


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    order = _shop_order(order_id)
    return render_template("cashier/order.html", **receipt_context(order))


def _return_requests() -> list[returns.ReturnRequest]:
    wanted = []
    for key, value in request.form.items():
        if key.startswith("qty-") and value.strip():
            try:
                qty = int(value)
                line_id = int(key[4:])
            except ValueError:
                raise ValidationError({key: _("Enter a whole number.")}) from None
            if qty:
                wanted.append(returns.ReturnRequest(qty=qty, order_line_id=line_id))
    return wanted


@bp.route("/orders/<int:order_id>/return", methods=["GET", "POST"])
def return_form(order_id: int):
    order = _shop_order(order_id)
    key = f"till:{current_user.id}:{request.form.get('token')}"
    if request.method == "POST" and request.form.get("confirm") == "1" and (done := returns.return_with_key(key)):
        return redirect(url_for("cashier.return_receipt", return_id=done.id))  # a second tap on Confirm
    if returns.fully_returned(order):
        flash(_("Every item of order %(number)s has been returned already: there is nothing left to return.",
                number=order.number), "info")
        target = url_for("cashier.order", order_id=order.id)
        if _htmx():
            response = make_response("", 200)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)
    preview, error = None, None
    typed = {name: value for name, value in request.form.items() if name.startswith("qty-")}
    if request.method == "POST":
        try:
            wanted = _return_requests()
            if request.form.get("confirm") == "1":
                shift = shifts.require_open_shift(current_user.id)
                ret = returns.return_goods(order.id, wanted, key=key,
                                           reason=request.form.get("reason", "")[:500], actor_id=current_user.id,
                                           location_id=current_user.shop_id, shift_id=shift.id)
                return redirect(url_for("cashier.return_receipt", return_id=ret.id))
            preview = returns.preview_return(order.id, wanted)
        except ValidationError as exc:
            error = " ".join(str(m) for m in exc.fields.values())
        except DomainError as exc:
            error = str(exc.message)
        order = _shop_order(order_id)
    template = "cashier/_return_preview.html" if _htmx() else "cashier/return.html"
    return render_template(template, order=order, preview=preview, error=error, typed=typed,
                           reason=request.form.get("reason", ""), token=request.form.get("token") or secrets.token_hex(8),
                           **{k: v for k, v in receipt_context(order).items() if k != "order"}), \
        (422 if error and not _htmx() else 200)


@bp.get("/returns/<int:return_id>/receipt")
def return_receipt(return_id: int):
    ret = db.session.get(Return, return_id)
    if ret is None:
        abort(404)
    return render_template("cashier/return_receipt.html", ret=ret, order=ret.order)


@bp.get("/returns/<int:return_id>/receipt.pdf")
def return_receipt_pdf_view(return_id: int):
    ret = db.session.get(Return, return_id)
    if ret is None:
        abort(404)
    return pdf_response(return_receipt_pdf(ret), f"return-{ret.id}.pdf")


parking.add_routes(bp, _till)  # parked carts: park, resume, drop
