"""Invoices ("Счёт на оплату" / "Рахунок на оплату" / "Invoice") as A4 portrait PDF.

The document is built from plain values (`InvoiceData`), so any service can describe an invoice
without this module knowing the models. Amounts are integers of minor units, shown with the
portal's `money()` format in the reader's language; labels are translated with gettext, so
rendering needs a Flask application (and normally a request) context, like the receipts.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portal.documents import BOLD, REGULAR, numbered_canvas, register_fonts
from portal.i18n import money
from portal.labels import quantity, vat_amount, vat_rate
from portal.money_words import amount_in_words


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank_lines: tuple[str, ...] = ()   # e.g. ("Bank X", "BIC 044525225", "Account 40702...")


@dataclass(frozen=True)
class InvoiceLine:
    line_no: int
    sku: str
    name: str
    qty: int
    price: int        # unit price, minor units
    discount: int     # discount on the whole line, minor units
    bonus: int        # bonus spent on this line, minor units
    amount: int       # money to pay for this line = price*qty - discount - bonus, minor units
    unit: str = ""    # the unit it is sold by ("пар", "кг"); "" for pieces


@dataclass(frozen=True)
class InvoiceData:
    number: str              # e.g. "M-000012"
    issued_on: date
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    subtotal: int            # sum price*qty
    discount: int            # sum of line discounts
    bonus: int               # bonus spent
    total: int               # money to pay = subtotal - discount - bonus
    currency: str            # "RUB", "UAH", ...
    locale: str              # "ru", "uk", "en": the language of the words line
    due_date: date | None    # None for prepaid
    payment_terms: str       # already translated text, e.g. "Prepaid" / "Deferred, 14 days"
    delivery: str = ""       # already translated one-line description of delivery
    comment: str = ""
    vat: tuple[tuple[str, int], ...] = ()  # (rate code, VAT the total includes) per rate, as vat.by_rate


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
FOOTER = 8 * mm                     # room under the frame for the page footer
FRAME_PADDING = 6                   # SimpleDocTemplate's frame keeps 6 pt inside the margins
TEXT_LEFT = MARGIN + FRAME_PADDING
TEXT_WIDTH = PAGE_WIDTH - 2 * TEXT_LEFT
CELL_SIZE, CELL_LEADING = 8, 10
TOTAL_SIZE = 10                     # the "to pay" row; the other totals are 9 pt
PAD = 3                             # left and right padding of a table cell, points
MIN_NAME_WIDTH = 50 * mm            # the product name column never gets narrower than this
GRID = colors.HexColor("#9a9a9a")
HEADER_FILL = colors.HexColor("#ececec")


def render_invoice(data: InvoiceData) -> bytes:
    """The invoice as PDF bytes.

    Raises ValueError when the figures do not add up (a line's amount, the subtotal, discount,
    bonus or total) or when the invoice's currency is not the portal's (amounts are shown in the
    portal currency's format, so they would contradict the amount in words).
    """
    _check(data)
    register_fonts()
    styles = _Styles()
    title = _("Invoice %(number)s of %(date)s", number=data.number, date=format_date(data.issued_on, "long"))

    story = [Paragraph(escape(title), styles.title), Spacer(1, 4 * mm),
             _parties(data, styles), Spacer(1, 5 * mm),
             _lines_table(data, styles), Spacer(1, 3 * mm)]
    # "… roubles 00 kopecks": the kopecks and their noun stay on one line.
    words = amount_in_words(data.total, data.currency, data.locale)
    words = re.sub(r" (\d{2}) (\S+)$", "\u00a0\\1\u00a0\\2", words)
    summary = [_totals(data), Spacer(1, 4 * mm),
               Paragraph(escape(_("Total to pay: %(words)s", words=words)), styles.strong), Spacer(1, 3 * mm)]
    if data.payment_terms:
        summary.append(Paragraph(escape(_("Payment terms: %(terms)s", terms=data.payment_terms)), styles.body))
    if data.due_date is not None:
        summary.append(Paragraph(escape(_("Pay by %(date)s", date=format_date(data.due_date, "long"))),
                                 styles.strong))
    if data.delivery:
        summary.append(Paragraph(escape(_("Delivery: %(delivery)s", delivery=data.delivery)), styles.body))
    if data.comment:
        summary.append(Paragraph(escape(_("Comment: %(comment)s", comment=data.comment)), styles.body))
    story.append(KeepTogether(summary))  # the totals, the words and the terms are never split

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER, title=title, author=data.seller.name,
        creator=current_app.config.get("PORTAL_COMPANY_NAME", "Portal"))
    doc.build(story, canvasmaker=numbered_canvas(title, A4, MARGIN, TEXT_LEFT))
    return buffer.getvalue()


# -- checks --------------------------------------------------------------------------------------

def _check(data: InvoiceData) -> None:
    portal_currency = current_app.config["PORTAL_CURRENCY"]
    if data.currency.upper() != portal_currency:
        raise ValueError(f"invoice currency {data.currency} is not the portal currency {portal_currency}")
    for line in data.lines:
        if line.qty <= 0 or min(line.price, line.discount, line.bonus, line.amount) < 0:
            raise ValueError(f"invoice line {line.line_no} has a negative amount or no quantity")
        if line.amount != line.price * line.qty - line.discount - line.bonus:
            raise ValueError(f"invoice line {line.line_no}: amount is not price*qty - discount - bonus")
    if data.subtotal != sum(line.price * line.qty for line in data.lines):
        raise ValueError("invoice subtotal is not the sum of price*qty over the lines")
    if data.discount != sum(line.discount for line in data.lines):
        raise ValueError("invoice discount is not the sum of the line discounts")
    if data.bonus != sum(line.bonus for line in data.lines):
        raise ValueError("invoice bonus is not the sum of the bonus spent on the lines")
    if data.total != data.subtotal - data.discount - data.bonus:
        raise ValueError("invoice total is not subtotal - discount - bonus")


# -- layout --------------------------------------------------------------------------------------

class _Styles:
    def __init__(self):
        self.title = ParagraphStyle("invoice-title", fontName=BOLD, fontSize=14, leading=18)
        self.body = ParagraphStyle("invoice-body", fontName=REGULAR, fontSize=9, leading=12)
        self.strong = ParagraphStyle("invoice-strong", parent=self.body, fontName=BOLD)
        self.cell = ParagraphStyle("invoice-cell", fontName=REGULAR, fontSize=CELL_SIZE, leading=CELL_LEADING)
        self.money = ParagraphStyle("invoice-money", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("invoice-head", parent=self.cell, fontName=BOLD, alignment=TA_CENTER)


def _party_lines(party: Party, with_bank: bool) -> list[str]:
    lines = [f"<b>{escape(party.name)}</b>"]
    if party.tax_id:
        lines.append(escape(f"{_('Tax ID')}: {party.tax_id}"))
    if party.address:
        lines.append(escape(f"{_('Address')}: {party.address}"))
    if party.phone:
        lines.append(escape(f"{_('Phone')}: {party.phone}"))
    if with_bank:
        lines += [escape(line) for line in party.bank_lines if line]
    return lines


def _parties(data: InvoiceData, styles: _Styles) -> Table:
    labels = [_("Seller"), _("Buyer")]
    label_width = max(stringWidth(label, BOLD, 9) for label in labels) + PAD + 6
    rows = [
        [Paragraph(escape(labels[0]), styles.strong),
         Paragraph("<br/>".join(_party_lines(data.seller, with_bank=True)), styles.body)],
        [Paragraph(escape(labels[1]), styles.strong),
         Paragraph("<br/>".join(_party_lines(data.buyer, with_bank=False)), styles.body)],
    ]
    table = Table(rows, colWidths=[label_width, TEXT_WIDTH - label_width], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),  # the labels line up with the title
        ("LEFTPADDING", (1, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, GRID),
    ]))
    return table


def _width(texts, font: str = REGULAR, size: float = CELL_SIZE) -> float:
    """The widest of `texts` plus the cell's padding."""
    return max((stringWidth(t, font, size) for t in texts), default=0) + 2 * PAD + 1


def _or_dash(minor: int) -> str:
    return money(minor) if minor else "—"


def _lines_table(data: InvoiceData, styles: _Styles) -> Table:
    heads = [_("No."), _("SKU"), _("Name"), _("Qty"), _("Price"), _("Discount"), _("Bonus"), _("Amount")]
    cells = [(str(line.line_no), line.sku, line.name, quantity(format_decimal(line.qty), line.unit),
              money(line.price),
              _or_dash(line.discount), _or_dash(line.bonus), money(line.amount)) for line in data.lines]

    def column(i: int) -> list[str]:
        return [row[i] for row in cells]

    def head_width(i: int) -> float:  # a heading may wrap between words, never inside one
        return _width(heads[i].split(), BOLD)

    widths = [max(head_width(i), _width(column(i))) for i in range(len(heads))]
    widths[1] = min(widths[1], 30 * mm)  # a long SKU wraps
    widths[2] = 0
    others = sum(widths)
    if TEXT_WIDTH - others < MIN_NAME_WIDTH:
        # Huge amounts: the SKU and money columns give way and their cells wrap.
        squeezable = [1, 4, 5, 6, 7]
        excess = others - (TEXT_WIDTH - MIN_NAME_WIDTH)
        pool = sum(widths[i] for i in squeezable)
        for i in squeezable:
            widths[i] -= excess * widths[i] / pool
    widths[2] = TEXT_WIDTH - sum(widths)

    rows = [[Paragraph(escape(head), styles.head) for head in heads]]
    for row in cells:
        rows.append([
            Paragraph(escape(row[0]), styles.money),
            Paragraph(escape(row[1]), styles.cell),
            Paragraph(escape(row[2]), styles.cell),
            *[Paragraph(escape(value), styles.money) for value in row[3:]],
        ])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _totals(data: InvoiceData) -> Table:
    rows = [
        (_("Subtotal"), money(data.subtotal)),
        (_("Discount"), ("−" + money(data.discount)) if data.discount else money(0)),
        (_("Paid with bonus"), ("−" + money(data.bonus)) if data.bonus else money(0)),
        (_("To pay"), money(data.total)),
    ]
    total = len(rows) - 1
    # "в т.ч. НДС 20 %" per rate (or "Без НДС"), under the total they are part of.
    rows += [(vat_rate(rate), vat_amount(rate, amount)) for rate, amount in data.vat]
    label_width = _width([label for label, _value in rows], BOLD, TOTAL_SIZE)
    value_width = _width([value for _label, value in rows], BOLD, TOTAL_SIZE)
    table = Table([list(row) for row in rows], colWidths=[label_width, value_width], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), REGULAR, 9),
        ("FONT", (0, total), (-1, total), BOLD, TOTAL_SIZE),
        ("ALIGN", (0, 0), (0, -1), "LEFT"),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("LINEABOVE", (0, total), (-1, total), 0.8, colors.black),
        ("TOPPADDING", (0, total), (-1, total), 4),
    ]))
    return table
