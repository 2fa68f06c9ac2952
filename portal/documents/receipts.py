"""Sale and return receipts as PDF for an 80 mm receipt printer (72 mm printable)."""
from __future__ import annotations

import io

from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from reportlab.graphics import renderPDF
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from portal.documents import BOLD, REGULAR, fiscal_qr, register_fonts
from portal.i18n import money
from portal.labels import payment_method, quantity, vat_amount, vat_rate
from portal.services.fiscal import documents as fiscal
from portal.text import squash

WIDTH = 80 * mm
MARGIN = 4 * mm
TEXT = WIDTH - 2 * MARGIN
SIZE = 8
LEADING = 10.5
QR_SIZE = 34 * mm


class _Tape:
    """Rows of a receipt, laid out first so the page is exactly as long as the receipt."""

    def __init__(self):
        register_fonts()  # widths are measured while the rows are laid out
        self.rows: list[tuple] = []

    def text(self, left: str, right: str = "", bold: bool = False, center: bool = False):
        font = BOLD if bold else REGULAR
        right_width = stringWidth(right, font, SIZE) + 4 if right else 0
        for i, piece in enumerate(_wrap(left, font, TEXT - right_width)):
            self.rows.append(("text", piece, right if i == 0 else "", font, center))

    def rule(self):
        self.rows.append(("rule",))

    def gap(self):
        self.rows.append(("gap",))

    def qr(self, text: str):
        """The receipt's QR code, centred, QR_SIZE tall."""
        self.rows.append(("qr", text))

    def render(self) -> bytes:
        height = 2 * MARGIN + sum(QR_SIZE if row[0] == "qr" else LEADING for row in self.rows) + 6
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=(WIDTH, height))
        pdf.setTitle(_("Receipt"))
        y = height - MARGIN - SIZE
        for row in self.rows:
            if row[0] == "text":
                _kind, left, right, font, center = row
                pdf.setFont(font, SIZE)
                if center:
                    pdf.drawCentredString(WIDTH / 2, y, left)
                else:
                    pdf.drawString(MARGIN, y, left)
                if right:
                    pdf.drawRightString(WIDTH - MARGIN, y, right)
            elif row[0] == "rule":
                pdf.setDash(1, 2)
                pdf.line(MARGIN, y + 3, WIDTH - MARGIN, y + 3)
                pdf.setDash()
            elif row[0] == "qr":
                renderPDF.draw(fiscal_qr.drawing(row[1], QR_SIZE), pdf, (WIDTH - QR_SIZE) / 2, y + SIZE - QR_SIZE)
                y -= QR_SIZE
                continue
            y -= LEADING
        pdf.showPage()
        pdf.save()
        return buffer.getvalue()


def _wrap(text: str, font: str, width: float) -> list[str]:
    """`text` in lines no wider than `width`, broken between words by reportlab's simpleSplit.

    Line breaks in the text are spaces on the tape. A word wider than a whole line (a long name
    without spaces) is cut between characters, which simpleSplit does not do, so it stays on the paper.
    Empty text is one empty line, so a row with only a right-hand figure is still printed."""
    lines = []
    for line in simpleSplit(squash(text), font, SIZE, width):
        lines += [line] if stringWidth(line, font, SIZE) <= width else _cut(line, font, width)
    return lines or [""]


def _cut(word: str, font: str, width: float) -> list[str]:
    """A word in pieces no wider than `width` (at least one character each). Not reportlab's
    textsplit.wordSplit: it hangs closing punctuation past the width, off the printable 72 mm."""
    pieces, piece = [], ""
    for char in word:
        if piece and stringWidth(piece + char, font, SIZE) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return pieces + [piece]


def _header(tape: _Tape, order, title: str, when, shop=None) -> None:
    tape.text(current_app.config["PORTAL_COMPANY_NAME"], bold=True, center=True)
    shop = shop or order.location
    if shop is not None:
        tape.text(shop.name, center=True)
        if shop.address:
            tape.text(shop.address, center=True)
    tape.rule()
    tape.text(title, bold=True)
    tape.text(format_datetime(when, "short"))


def receipt_pdf(ctx: dict) -> bytes:
    order = ctx["order"]
    tape = _Tape()
    _header(tape, order, _("Sale receipt %(number)s", number=order.number), order.created_at)
    cashier = ctx["cashier"]
    if cashier is not None:
        tape.text(_("Cashier: %(name)s", name=cashier.name))
    if order.client is not None:
        tape.text(_("Client: %(name)s", name=order.client.name))
    tape.rule()
    for line in order.lines:
        tape.text(line.name)
        tape.text(f"  {quantity(line.qty, line.product.unit)} × {money(line.price)}", money(line.price * line.qty))
        if line.discount:
            tape.text("  " + _("Discount"), "−" + money(line.discount))
        end = ctx["warranties"].get(line.id)
        if end:
            tape.text("  " + _("Warranty until %(date)s", date=format_date(end)))
        if not line.returnable:
            tape.text("  " + _("Not returnable"))
    tape.rule()
    tape.text(_("Subtotal"), money(order.subtotal))
    if order.discount:
        tape.text(_("Discount"), "−" + money(order.discount))
    if order.bonus_redeemed:
        tape.text(_("Paid with bonus"), "−" + money(order.bonus_redeemed))
    tape.text(_("To pay"), money(order.paid), bold=True)
    for rate, amount in ctx.get("vat", {}).items():
        tape.text(vat_rate(rate), vat_amount(rate, amount))
    for payment in order.payments:
        tape.text(_method(payment.method.value), money(payment.amount))
        if payment.method.value == "cash" and payment.tendered and payment.tendered != payment.amount:
            tape.text("  " + _("Cash received"), money(payment.tendered))
    if ctx["change"]:
        tape.text(_("Change"), money(ctx["change"]), bold=True)
    if order.accrual:
        tape.rule()
        release = ctx["release_at"]
        tape.text(_("Bonus accrued"), money(order.accrual))
        if release:
            tape.text("  " + _("pending until %(date)s", date=format_date(release)))
    after = ctx.get("bonus_after")
    if after is not None:
        if not order.accrual:
            tape.rule()
        tape.text(_("Bonus available after this sale"), money(after.available))
        if after.pending:
            tape.text(_("Bonus pending after this sale"), money(after.pending))
    _fiscal(tape, fiscal.of_order(order.id))
    tape.rule()
    tape.text(_("Goods can be returned within %(n)d days with this receipt; goods under warranty are "
                "accepted for warranty service until the date shown.", n=ctx["return_days"]))
    tape.gap()
    tape.text(_("Thank you for your purchase!"), center=True)
    return tape.render()


def return_receipt_pdf(ret) -> bytes:
    order = ret.order
    tape = _Tape()
    _header(tape, order, _("Return receipt for %(number)s", number=order.number), ret.created_at, ret.location)
    tape.text(_("Return No. %(number)s", number=ret.number))
    if ret.created_by is not None:
        tape.text(_("Cashier: %(name)s", name=ret.created_by.name))
    if order.client is not None:
        tape.text(_("Client: %(name)s", name=order.client.name))
    if ret.reason:
        tape.text(_("Reason: %(reason)s", reason=ret.reason))
    tape.rule()
    for part in ret.lines:
        tape.text(part.order_line.name)
        tape.text(f"  {quantity(part.qty, part.order_line.product.unit)} × {money(part.order_line.price)}",
                  money(part.refund))
    tape.rule()
    for refund in ret.refunds:
        tape.text(_("Refund: %(method)s", method=_method(refund.method.value)), money(refund.amount))
    if ret.withheld:
        tape.text(_("Withheld for bonus already spent"), money(ret.withheld))
    tape.text(_("Refund total"), money(ret.refund_total), bold=True)
    if ret.bonus_restored:
        tape.text(_("Bonus returned to the client"), money(ret.bonus_restored))
    if ret.accrual_reversed:
        tape.text(_("Bonus accrual cancelled"), money(ret.accrual_reversed))
    _fiscal(tape, fiscal.of_return(ret.id))
    for who in (_("Cashier signature"), _("Client signature")):  # a line to sign on, its label under it
        tape.gap()
        tape.gap()
        tape.rule()
        tape.text(who)
    return tape.render()


def _fiscal(tape: _Tape, document) -> None:
    """The register's attributes and the QR code, or "awaiting registration" (nothing without a register)."""
    if document is None:
        return
    tape.rule()
    if document.status.value != "registered":
        tape.text(_("Not registered on the fiscal register") if document.status.value == "failed"
                  else _("Awaiting registration on the fiscal register"), bold=True, center=True)
        return
    tape.text(_("Fiscal storage (FN)"), document.fn_number)
    tape.text(_("Fiscal document (FD)"), str(document.document_number))
    tape.text(_("Fiscal sign (FP)"), document.fiscal_sign)
    tape.text(_("Register shift"), str(document.register_shift_number or ""))
    if document.receipt_number:
        tape.text(_("Receipt in the shift"), str(document.receipt_number))
    if document.registered_at:
        tape.text(_("Registered"), format_datetime(document.registered_at, "short"))
    if document.qr:
        tape.qr(document.qr)


def _method(value: str) -> str:
    return payment_method(value)
