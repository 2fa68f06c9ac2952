"""Cashier: cash put into and taken out of the drawer during the shift (on the shift page), and what
the cashier's pages show of fiscal registration (template helpers for the receipts and the notice
of documents awaiting registration)."""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.documents import fiscal_qr
from portal.errors import ValidationError
from portal.models import FiscalStatus
from portal.money import MoneyError, parse_amount, to_minor
from portal.services.fiscal import documents as fiscal
from portal.services.fiscal import registration
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


# --- what the templates ask ---------------------------------------------------------------------

@bp.app_template_global()
def cash_token() -> str:
    """A fresh key for one cash in/out form: a double tap on its button records one movement."""
    return secrets.token_hex(8)


@bp.app_template_global()
def fiscal_of_order(order_id: int):
    return fiscal.of_order(order_id)


@bp.app_template_global()
def fiscal_of_return(return_id: int):
    return fiscal.of_return(return_id)


@bp.app_template_global()
def fiscal_unregistered(shift_id: int | None = None, location_id: int | None = None):
    """Documents not registered (awaiting or failed): a shift's, or a shop's."""
    if shift_id is None and location_id is None:
        return []
    return fiscal.unregistered(shift_id=shift_id, location_id=location_id)


@bp.app_template_global()
def fiscal_failed(document) -> bool:
    return document is not None and document.status is FiscalStatus.FAILED


@bp.app_template_global()
def fiscal_describe(document) -> str:
    return fiscal.describe(document)


@bp.app_template_global()
def fiscal_advice(document) -> str:
    return registration.advice(document)


@bp.app_template_global()
def fiscal_registered(document) -> bool:
    return document is not None and document.status is FiscalStatus.REGISTERED


@bp.app_template_global()
def fiscal_qr_svg(text: str):
    return fiscal_qr.svg(text, _("The receipt's QR code"))
