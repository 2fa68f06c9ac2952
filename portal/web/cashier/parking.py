"""Parked carts at the till: put the cart aside for the next customer, bring a parked one back."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import DomainError, ValidationError
from portal.services.sales import parked
from portal.web.cashier.routes import _till, bp


@bp.post("/cart/park")
def park():
    try:
        done = parked.park(current_user, request.form.get("label", ""))
    except ValidationError as exc:
        return _till(" ".join(str(m) for m in exc.fields.values()))
    return _till(_("The cart is parked as %(label)s. The till is ready for the next customer.", label=done.label),
                 "success")


@bp.post("/parked/<int:parked_id>/resume")
def resume(parked_id: int):
    try:
        done = parked.resume(current_user, parked_id)
    except DomainError as exc:
        return _till(str(exc.message), "info")
    if done.set_aside is not None:
        return _till(_("%(label)s is back on the till; the cart you had is parked as %(aside)s.",
                       label=done.cart.label, aside=done.set_aside.label), "success")
    return _till(_("%(label)s is back on the till.", label=done.cart.label), "success")


@bp.post("/parked/<int:parked_id>/drop")
def discard_parked(parked_id: int):
    try:
        parked.discard(current_user, parked_id)
    except DomainError as exc:
        return _till(str(exc.message), "info")
    return _till()
