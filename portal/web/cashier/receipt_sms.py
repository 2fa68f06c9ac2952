"""The cashier sends a receipt to the client by SMS as a signed link (portal/services/sales/receipt_link.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import ValidationError
from portal.services.sales import receipt_link
from portal.web.cashier.routes import _shop_order, bp, receipt_context


@bp.post("/receipt/<int:order_id>/sms")
def receipt_sms(order_id: int):
    order = _shop_order(order_id)
    phone = request.form.get("phone", "")[:40]
    try:
        number = receipt_link.send(order.id, phone, current_user)
    except ValidationError as exc:
        return render_template("cashier/receipt.html", sms_phone=phone, sms_error=next(iter(exc.fields.values())),
                               **receipt_context(order)), 422
    flash(_("The receipt link is sent by SMS to %(phone)s.", phone=number), "success")
    return redirect(url_for("cashier.receipt", order_id=order.id))
