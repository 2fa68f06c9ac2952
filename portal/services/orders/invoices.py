"""The invoice of a confirmed order: made once, from the order's own figures, and kept with it."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from portal.clock import local_date
from portal.documents.invoices import InvoiceData, InvoiceLine, Party, render_invoice
from portal.extensions import db
from portal.labels import delivery_method, payment_terms
from portal.models import AddressKind, Invoice, Order, PaymentTerms
from portal.services.sales import vat


def invoice_data(order: Order, issued_at: datetime) -> InvoiceData:
    config = current_app.config
    client = order.client
    legal = next((a.text for a in client.addresses if a.kind is AddressKind.LEGAL), "")
    seller = Party(name=config["PORTAL_COMPANY_NAME"], tax_id=config["PORTAL_COMPANY_TAX_ID"],
                   address=config["PORTAL_COMPANY_ADDRESS"], phone=config["PORTAL_COMPANY_PHONE"],
                   bank_lines=tuple(p.strip() for p in config["PORTAL_COMPANY_BANK"].split("|") if p.strip()))
    buyer = Party(name=client.name, tax_id=client.tax_id or "", address=legal, phone=client.primary_phone)
    terms = payment_terms(order.payment_terms)
    if order.payment_terms is PaymentTerms.DEFERRED:
        terms = _("Deferred payment, %(n)d days", n=client.deferral_days)
    delivery = delivery_method(order.delivery_method)
    if order.delivery_address:
        delivery += f": {order.delivery_address}"
    if order.delivery_date:
        delivery += f", {format_date(order.delivery_date)}"
    return InvoiceData(
        number=order.number, issued_on=local_date(issued_at), seller=seller, buyer=buyer,
        lines=tuple(InvoiceLine(line.line_no, line.sku, line.name, line.qty, line.price, line.discount, line.bonus,
                                line.paid, line.product.unit or "") for line in order.lines),
        subtotal=order.subtotal, discount=order.discount, bonus=order.bonus_redeemed, total=order.paid,
        currency=config["PORTAL_CURRENCY"], locale=str(get_locale() or "ru"), due_date=order.due_date,
        payment_terms=terms, delivery=delivery, comment=order.comment,
        vat=tuple(vat.by_rate(order.lines).items()))


def issue_invoice(order: Order, issued_at: datetime) -> Invoice:
    """Make the PDF and keep it with the order (in the caller's transaction)."""
    pdf = render_invoice(invoice_data(order, issued_at))
    invoice = Invoice(order_id=order.id, number=order.number, issued_at=issued_at, total=order.paid, pdf=pdf)
    db.session.add(invoice)
    return invoice
