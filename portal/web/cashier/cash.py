"""Cashier: cash put into and taken out of the drawer during the shift (on the shift page)."""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import ValidationError
from portal.money import MoneyError, parse_amount, to_minor
from portal.services.sales import cash, shifts
from portal.web.cashier.routes import bp


def _typed_amount(text: str) -> int:
    try:
        return to_minor(parse_amount(text))
    except MoneyError:
        raise ValidationError({"amount": _("Enter an amount like 1500 or 1500,50.")}) from None


@bp.post("/shift/cash")
def cash_movement():
    typed = {name: request.form.get(name, "")[:300] for name in ("kind", "amount", "reason")}
    try:
        amount = _typed_amount(typed["amount"].strip())
        movement = cash.record_movement(current_user, typed["kind"], amount, typed["reason"],
                                        key=f"cash:{current_user.id}:{request.form.get('token', '')[:40]}")
    except ValidationError as exc:
        shift = shifts.current_shift(current_user.id)
        if shift is None:
            return redirect(url_for("cashier.home"))
        return render_template("cashier/shift.html", report=shifts.report(shift), closing=True, error=None, value="",
                               cash_errors={k: str(v) for k, v in exc.fields.items()}, cash_typed=typed), 422
    except shifts.NoOpenShift:
        flash(_("Your shift is closed. Open a new one to sell."), "info")
        return redirect(url_for("cashier.home"))
    flash(_("Cash in recorded.") if movement.kind.value == "in" else _("Cash out recorded."), "success")
    return redirect(url_for("cashier.shift_report"), code=303)


@bp.app_template_global()
def cash_token() -> str:
    """A fresh key for one cash in/out form: a double tap on its button records one movement."""
    return secrets.token_hex(8)
