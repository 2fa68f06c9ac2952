"""Parked carts at the till: put the cart aside for the next customer, bring a parked one back.

The routes are added to the cashier's blueprint by `add_routes`, called from routes.py with the
till panel's renderer, so this module does not import routes.py back (no import cycle)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import DomainError, ValidationError
from portal.services.sales import parked


def add_routes(bp: Blueprint, till_panel: Callable) -> None:
    """Park, resume and drop on `bp`, each answering with `till_panel(message, category)`."""

    @bp.post("/cart/park")
    def park():
        try:
            done = parked.park(current_user, request.form.get("label", ""))
        except ValidationError as exc:
            return till_panel(" ".join(str(m) for m in exc.fields.values()))
        return till_panel(_("The cart is parked as %(label)s. The till is ready for the next customer.",
                            label=done.label), "success")

    @bp.post("/parked/<int:parked_id>/resume")
    def resume(parked_id: int):
        try:
            done = parked.resume(current_user, parked_id)
        except DomainError as exc:
            return till_panel(str(exc.message), "info")
        if done.set_aside is not None:
            return till_panel(_("%(label)s is back on the till; the cart you had is parked as %(aside)s.",
                                label=done.cart.label, aside=done.set_aside.label), "success")
        return till_panel(_("%(label)s is back on the till.", label=done.cart.label), "success")

    @bp.post("/parked/<int:parked_id>/drop")
    def discard_parked(parked_id: int):
        try:
            parked.discard(current_user, parked_id)
        except DomainError as exc:
            return till_panel(str(exc.message), "info")
        return till_panel()
