"""What the cashier's pages show of fiscal registration: template helpers for the receipts' fiscal
block (templates/cashier/_fiscal.html) and the notice of documents not registered
(templates/cashier/_fiscal_notice.html)."""
from __future__ import annotations

from flask_babel import gettext as _

from portal.documents import fiscal_qr
from portal.models import FiscalStatus
from portal.services.fiscal import documents as fiscal
from portal.services.fiscal import registration
from portal.web.cashier.routes import bp


@bp.app_template_global()
def fiscal_of_order(order_id: int):
    return fiscal.of_order(order_id)


@bp.app_template_global()
def fiscal_closing_of(shift_id: int):
    return fiscal.closing_of(shift_id)


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
