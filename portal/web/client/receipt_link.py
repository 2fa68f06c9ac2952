"""The receipt a client opens from the SMS link: read-only, no sign-in, the signed token is the key."""
from __future__ import annotations

from flask import Blueprint, make_response, render_template

from portal.documents.receipts import receipt_pdf
from portal.services.sales import receipt_link
from portal.web.cashier.routes import receipt_context
from portal.web.pdf import pdf_response

bp = Blueprint("receipt_link", __name__, url_prefix="/r")


def _private(body, status: int = 200):
    """The receipt names the client: no shared cache keeps it, no search engine lists it."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/<token>")
def receipt(token: str):
    order = receipt_link.order_from_token(token[:500])
    if order is None:
        return _private(render_template("client/receipt.html", order=None, token=token), 410)
    return _private(render_template("client/receipt.html", token=token[:500], **receipt_context(order)))


@bp.get("/<token>.pdf")
def receipt_pdf_view(token: str):
    order = receipt_link.order_from_token(token[:500])
    if order is None:
        return _private(render_template("client/receipt.html", order=None, token=token), 410)
    return _private(pdf_response(receipt_pdf(receipt_context(order)), f"receipt-{order.number}.pdf"))
