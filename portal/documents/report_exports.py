"""Exports of a statistics report (SPEC §7): CSV for spreadsheets, PDF for reading and printing.

Both are made from a `Report` alone, whatever report it is. The CSV is for machines and
spreadsheets: plain numbers (money with a dot and two decimals, percentages as "12.34", ISO
dates), `;`-separated, UTF-8 with a BOM so that Excel reads Cyrillic. The PDF is for people:
the figures in the reader's format (`money()`, `percent_bp()`), the report's chart drawn from the
same layout as on the page, the table's header on every page. Money is integers of minor units
throughout, never float. Both need a Flask application context (translations, the locale).
"""
from __future__ import annotations

import csv
import io
import re
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portal.documents import BOLD, REGULAR, numbered_canvas, register_fonts
from portal.documents.charts import render_drawing
from portal.documents.spreadsheet import safe_cell
from portal.i18n import money, percent_bp
from portal.money import format_plain
from portal.services.statistics.report import Period, Report, ValueKind

NUMERIC = (ValueKind.MONEY, ValueKind.PERCENT, ValueKind.INT, ValueKind.DAYS)


# -- CSV ------------------------------------------------------------------------------------------

def report_csv(report: Report) -> bytes:
    """The report as CSV bytes: a line with the title and the period(s), the header, the rows,
    the totals and the previous period's totals."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    heading = [safe_cell(report.title), _period_line(report.period, iso=True)]
    if report.previous is not None:
        heading.append(_compared_line(report.previous, iso=True))
    writer.writerow(heading)
    writer.writerow([safe_cell(column.label) for column in report.columns])
    for row in report.rows:
        writer.writerow([_csv_value(row.get(column.key), column.kind) for column in report.columns])
    if report.totals:
        writer.writerow(_csv_totals(report, report.totals, _("Total"), keep_text=True))
    if report.previous_totals:
        writer.writerow(_csv_totals(report, report.previous_totals, _("Previous period"), keep_text=False))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_totals(report: Report, totals: dict, label: str, keep_text: bool) -> list[str]:
    cells = [_csv_value(totals.get(column.key), column.kind) for column in report.columns]
    if report.columns and _labelled(report, totals, keep_text):
        cells[0] = safe_cell(label)
    return cells


def _labelled(report: Report, totals: dict, keep_text: bool) -> bool:
    """Whether a totals row is named in its first cell: when the report leaves that cell empty, and
    for the previous period's row also over a text of its own (a report's "Team total" would read
    the same on both rows)."""
    first = report.columns[0]
    value = totals.get(first.key)
    return value is None or value == "" or (not keep_text and ValueKind(first.kind) == ValueKind.TEXT)


def _csv_value(value, kind: ValueKind) -> str:
    if value is None:
        return ""
    kind = ValueKind(kind)
    if kind == ValueKind.MONEY:
        return format_plain(int(value))
    if kind == ValueKind.PERCENT:
        return plain_percent(int(value))
    if kind in (ValueKind.INT, ValueKind.DAYS):
        return str(int(value))
    if kind == ValueKind.DATE:
        return value.isoformat() if hasattr(value, "isoformat") else safe_cell(value)
    return safe_cell(value)


def plain_percent(basis_points: int) -> str:
    """Basis points as a plain percentage with two decimals, exactly: 1234 -> "12.34", -5 -> "-0.05"."""
    whole, part = divmod(abs(int(basis_points)), 100)
    return f"{'-' if basis_points < 0 else ''}{whole}.{part:02d}"


def _period_line(period: Period, iso: bool = False) -> str:
    start, end = _dates(period, iso)
    return _("Period: %(start)s – %(end)s", start=start, end=end)


def _compared_line(period: Period, iso: bool = False) -> str:
    start, end = _dates(period, iso)
    return _("Compared with: %(start)s – %(end)s", start=start, end=end)


def _dates(period: Period, iso: bool) -> tuple[str, str]:
    if iso:
        return period.start.isoformat(), period.end.isoformat()
    return format_date(period.start, "long"), format_date(period.end, "long")


# -- PDF ------------------------------------------------------------------------------------------

MARGIN = 15 * mm
FOOTER = 8 * mm
FRAME_PADDING = 6                     # SimpleDocTemplate's frame keeps 6 pt inside the margins
CELL_SIZE, CELL_LEADING = 8, 10
PAD = 3
MAX_TEXT_WIDTH = 80 * mm              # a text column is never made wider than this for its content
MIN_TEXT_WIDTH = 25 * mm              # nor squeezed below this (its cells wrap)
LINES = colors.HexColor("#9a9a9a")
HEADER_FILL = colors.HexColor("#ececec")
STRIPE = colors.HexColor("#f6f7f9")
TOTAL_FILL = colors.HexColor("#eef2f7")
MUTED = colors.HexColor("#555555")


def report_pdf(report: Report) -> bytes:
    """The report as PDF bytes: A4, landscape from seven columns on."""
    register_fonts()
    pagesize = landscape(A4) if len(report.columns) > 6 else A4
    text_width = pagesize[0] - 2 * (MARGIN + FRAME_PADDING)
    frame_height = pagesize[1] - 2 * MARGIN - FOOTER - 2 * FRAME_PADDING
    styles = _Styles()
    period = _period_line(report.period)
    story = [Paragraph(escape(report.title), styles.title), Spacer(1, 1 * mm),
             Paragraph(escape(period), styles.body)]
    if report.previous is not None:
        story.append(Paragraph(escape(_compared_line(report.previous)), styles.body))
    if report.chart is not None:
        story += [Spacer(1, 4 * mm), render_drawing(report.chart, width=text_width, max_height=frame_height * 0.65)]
    story.append(Spacer(1, 5 * mm))
    if report.columns:
        story.append(_table(report, styles, text_width))
    if not report.rows:
        story += [Spacer(1, 2 * mm), Paragraph(escape(_("No data for this period")), styles.body)]
    if report.note:
        story += [Spacer(1, 3 * mm), Paragraph(escape(report.note), styles.note)]

    company = current_app.config.get("PORTAL_COMPANY_NAME", "Portal")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + FOOTER, title=report.title, subject=period, author=company,
                            creator=company)
    doc.build(story, canvasmaker=numbered_canvas(report.title, pagesize, MARGIN, MARGIN + FRAME_PADDING))
    return buffer.getvalue()


class _Styles:
    def __init__(self):
        self.title = ParagraphStyle("report-title", fontName=BOLD, fontSize=14, leading=18)
        self.body = ParagraphStyle("report-body", fontName=REGULAR, fontSize=9, leading=12)
        self.note = ParagraphStyle("report-note", parent=self.body, fontSize=8, leading=10.5, textColor=MUTED)
        self.text = ParagraphStyle("report-cell", fontName=REGULAR, fontSize=CELL_SIZE, leading=CELL_LEADING)
        self.number = ParagraphStyle("report-number", parent=self.text, alignment=TA_RIGHT)
        self.bold_text = ParagraphStyle("report-bold", parent=self.text, fontName=BOLD)
        self.bold_number = ParagraphStyle("report-bold-number", parent=self.number, fontName=BOLD)

    def cell(self, kind: ValueKind, bold: bool = False) -> ParagraphStyle:
        numeric = ValueKind(kind) in NUMERIC
        if bold:
            return self.bold_number if numeric else self.bold_text
        return self.number if numeric else self.text


def _shown(value, kind: ValueKind) -> str:
    """A value in the reader's format."""
    if value is None:
        return ""
    kind = ValueKind(kind)
    if kind == ValueKind.MONEY:
        return money(int(value))
    if kind == ValueKind.PERCENT:
        return percent_bp(int(value))
    if kind in (ValueKind.INT, ValueKind.DAYS):
        return format_decimal(int(value), format="#,##0")
    if kind == ValueKind.DATE:
        return format_date(value, "medium") if hasattr(value, "isoformat") else str(value)
    return str(value)


def _signed(amount: int, text: str) -> str:
    if amount > 0:
        return "+" + text
    if amount < 0:
        return "\u2212" + text
    return text


def _change(current, previous, kind: ValueKind) -> str:
    """The change from the previous period as the report page writes it: the difference, for money
    and counts also the relative change (half-up to a basis point, on a line of its own), for a
    percentage the difference in percentage points."""
    if current is None or previous is None:
        return ""
    kind = ValueKind(kind)
    if kind not in NUMERIC:
        return ""
    difference = int(current) - int(previous)
    if kind == ValueKind.PERCENT:
        points = percent_bp(abs(difference)).replace("\u00a0%", "")
        return _signed(difference, _("%(points)s pp", points=points))
    text = _signed(difference, _shown(abs(difference), kind))
    if kind in (ValueKind.MONEY, ValueKind.INT) and int(previous) != 0:
        base = abs(int(previous))
        relative, rest = divmod(abs(difference) * 10000, base)
        if 2 * rest >= base:
            relative += 1
        text += "\n(" + _signed(difference if relative else 0, percent_bp(relative)) + ")"
    return text


def _summary_rows(report: Report) -> list[tuple[list[str], bool, bool]]:
    """(cells, bold, labelled) for the totals, the previous period's totals and the change; the
    row's name goes into the first cell when `labelled` (see `_labelled`)."""
    rows = []
    columns = report.columns
    if report.totals:
        rows.append((_("Total"), [_shown(report.totals.get(c.key), c.kind) for c in columns], True,
                     _labelled(report, report.totals, keep_text=True)))
    if report.previous_totals:
        rows.append((_("Previous period"), [_shown(report.previous_totals.get(c.key), c.kind) for c in columns],
                     False, _labelled(report, report.previous_totals, keep_text=False)))
        if report.totals:
            cells = [_change(report.totals.get(c.key), report.previous_totals.get(c.key), c.kind) for c in columns]
            rows.append((_("Change vs previous period"), cells, False, not cells[0]))
    labelled_rows = []
    for label, cells, bold, labelled in rows:
        if labelled:
            cells[0] = label
        labelled_rows.append((cells, bold, labelled))
    return labelled_rows


def _table(report: Report, styles: _Styles, text_width: float) -> Table:
    columns = report.columns
    body = [[_shown(row.get(c.key), c.kind) for c in columns] for row in report.rows]
    summary = _summary_rows(report)
    widths = _column_widths(report, body, summary, text_width)

    def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph("<br/>".join(escape(line) for line in text.split("\n")), style)

    data = [[paragraph(column.label, styles.cell(column.kind, bold=True)) for column in columns]]
    data += [[paragraph(text, styles.cell(c.kind)) for text, c in zip(cells, columns)] for cells in body]
    for cells, bold, labelled in summary:
        row = [paragraph(text, styles.cell(c.kind, bold)) for text, c in zip(cells, columns)]
        if labelled:  # the row's name, left-aligned whatever the first column holds
            row[0] = paragraph(cells[0], styles.bold_text if bold else styles.text)
        data.append(row)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, LINES),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if len(body) > 1:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, len(body)), [colors.white, STRIPE]))
    if summary:
        first = len(body) + 1
        commands += [("BACKGROUND", (0, first), (-1, -1), TOTAL_FILL),
                     ("LINEABOVE", (0, first), (-1, first), 1, colors.black),
                     # the totals stay together, after at least the last row they sum up
                     ("NOSPLIT", (0, first - 1), (-1, -1))]
    table.setStyle(TableStyle(commands))
    return table


def _text_width(text: str, font: str = REGULAR) -> float:
    return stringWidth(text, font, CELL_SIZE)


def _column_widths(report: Report, body: list[list[str]], summary: list, available: float) -> list[float]:
    """Column widths filling `available`, by degrees: each column as wide as its content and its
    heading on one line, the spare width to the text columns; if that is too wide, headings wrap
    between words; then text columns wrap down to a minimum; then everything is squeezed alike.
    Figures and dates never wrap (a change's relative figure has a line of its own)."""
    wide, narrow, minimum = [], [], []
    extra = 2 * PAD + 1
    for i, column in enumerate(report.columns):
        kind = ValueKind(column.kind)
        cells = [(row[i], REGULAR) for row in body] + [(cells[i], BOLD if bold else REGULAR)
                                                       for cells, bold, _labelled in summary]
        head = _text_width(column.label, BOLD)
        head_word = max(_text_width(word, BOLD) for word in column.label.split() or [""])
        content = max((_text_width(line, font) for text, font in cells for line in text.split("\n")), default=0)
        if kind == ValueKind.TEXT:
            content = min(content, MAX_TEXT_WIDTH)
            smallest = min(max(head_word, MIN_TEXT_WIDTH), max(content, head_word))
        elif kind == ValueKind.DATE:
            smallest = max(content, head_word)
        else:  # a summary row's label may sit in a figure column: it wraps at its spaces
            smallest = max([head_word] + [_text_width(piece, font) for text, font in cells
                                          for piece in re.split("[ \n]", text)])
        wide.append(max(head, content) + extra)
        narrow.append(max(head_word, content) + extra)
        minimum.append(smallest + extra)
    if sum(wide) <= available:
        spare = available - sum(wide)
        texts = [i for i, c in enumerate(report.columns) if ValueKind(c.kind) == ValueKind.TEXT]
        receivers = texts or list(range(len(wide)))
        weight = sum(wide[i] for i in receivers)
        return [w + (spare * w / weight if i in receivers else 0) for i, w in enumerate(wide)]
    if sum(narrow) <= available:
        share = (available - sum(narrow)) / (sum(wide) - sum(narrow))
        return [n + (w - n) * share for n, w in zip(narrow, wide)]
    slack = [n - m for n, m in zip(narrow, minimum)]
    need = sum(narrow) - available
    if sum(slack) >= need:
        share = need / sum(slack)
        return [n - s * share for n, s in zip(narrow, slack)]
    factor = available / sum(minimum)
    return [m * factor for m in minimum]
