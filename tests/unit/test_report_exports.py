"""CSV and PDF exports of a statistics report, from hand-made `Report` values.

The CSV is compared byte for byte; the PDF's text is read with pypdf (tests/pdf_text.py), its
whitespace compared loosely (wrapped cells, the no-break spaces of money), the figures exactly.
"""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from portal import create_app
from portal.documents.report_exports import plain_percent, report_csv, report_pdf
from portal.services.statistics.report import Chart, ChartKind, Column, Period, Report, Series, ValueKind

from ..conftest import TEST_CONFIG
from ..pdf_text import pdf_pages

COLUMNS = (
    Column("client", "Client"),
    Column("orders", "Orders", ValueKind.INT),
    Column("sales", "Sales", ValueKind.MONEY),
    Column("share", "Share of sales", ValueKind.PERCENT),
    Column("last", "Last order", ValueKind.DATE),
    Column("overdue", "Days overdue", ValueKind.DAYS),
)
ROWS = (
    {"client": '=HYPERLINK("http://evil")', "orders": 3, "sales": 1_234_567, "share": 5_000,
     "last": date(2026, 3, 5), "overdue": 0, "drill": {"client": 1}},
    {"client": "+7 999 123-45-67", "orders": 1_204, "sales": 50, "share": 1, "last": date(2026, 3, 31), "overdue": 45},
    {"client": "-minus; and a semicolon", "orders": 0, "sales": -1_999, "share": -25, "last": None, "overdue": None},
    {"client": "@everyone", "orders": 7, "sales": 100_000_000, "share": 4_998, "last": date(2026, 3, 1), "overdue": 3},
    {"client": "ООО «Ромашка»", "orders": 2, "sales": 99, "share": 26, "last": date(2026, 3, 10), "overdue": 1},
)
TOTALS = {"orders": 1_216, "sales": 101_232_717, "share": 10_000, "overdue": 45}
PREVIOUS_TOTALS = {"orders": 1_000, "sales": 98_765_432, "share": 9_750, "overdue": 60}
REPORT = Report(
    key="sales_by_client", title="Sales per client", period=Period(date(2026, 3, 1), date(2026, 3, 31)),
    columns=COLUMNS, rows=ROWS, totals=TOTALS, previous=Period(date(2026, 2, 1), date(2026, 2, 28)),
    previous_totals=PREVIOUS_TOTALS,
    chart=Chart(ChartKind.HBARS, ("Ромашка chart label", "Second client"), (Series("Sales", (1_234_567, 50)),)),
    note="Returns are subtracted on the day they were made.")

EXPECTED_CSV = (
    "\ufeff"
    "Sales per client;Period: 2026-03-01 – 2026-03-31;Compared with: 2026-02-01 – 2026-02-28\r\n"
    "Client;Orders;Sales;Share of sales;Last order;Days overdue\r\n"
    "\"'=HYPERLINK(\"\"http://evil\"\")\";3;12345.67;50.00;2026-03-05;0\r\n"
    "'+7 999 123-45-67;1204;0.50;0.01;2026-03-31;45\r\n"
    "\"'-minus; and a semicolon\";0;-19.99;-0.25;;\r\n"
    "'@everyone;7;1000000.00;49.98;2026-03-01;3\r\n"
    "ООО «Ромашка»;2;0.99;0.26;2026-03-10;1\r\n"
    "Total;1216;1012327.17;100.00;;45\r\n"
    "Previous period;1000;987654.32;97.50;;60\r\n"
).encode("utf-8")


@pytest.fixture(scope="module")
def web():
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def in_language(web, language: str, function, *args):
    with web.test_request_context("/", headers={"Accept-Language": language}):
        return function(*args)


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text with whitespace (no-break spaces too) collapsed to single spaces."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def squeeze(text: str) -> str:
    return " ".join(text.split())


# -- CSV ------------------------------------------------------------------------------------------

def test_csv_exact_bytes(web):
    assert in_language(web, "en", report_csv, REPORT) == EXPECTED_CSV


def test_csv_is_plain_whatever_the_readers_language(web):
    data = in_language(web, "ru", report_csv, REPORT)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[1] == "Client;Orders;Sales;Share of sales;Last order;Days overdue"
    assert lines[2].endswith(";3;12345.67;50.00;2026-03-05;0")   # dots, no grouping, ISO dates
    assert lines[7] == "Итого;1216;1012327.17;100.00;;45"


def test_csv_without_a_comparison_or_totals(web):
    report = replace(REPORT, previous=None, previous_totals=None, totals={}, rows=ROWS[4:])
    assert in_language(web, "en", report_csv, report) == (
        "\ufeffSales per client;Period: 2026-03-01 – 2026-03-31\r\n"
        "Client;Orders;Sales;Share of sales;Last order;Days overdue\r\n"
        "ООО «Ромашка»;2;0.99;0.26;2026-03-10;1\r\n").encode("utf-8")


def test_csv_totals_keep_a_value_of_the_first_column(web):
    report = Report("new_clients", "New clients", REPORT.period,
                    (Column("count", "New clients", ValueKind.INT), Column("day", "Day", ValueKind.DATE)),
                    ({"count": 2, "day": date(2026, 3, 2)},), totals={"count": 2})
    lines = in_language(web, "en", report_csv, report).decode("utf-8-sig").split("\r\n")
    assert lines[-2] == "2;"


def test_the_previous_periods_row_is_named_even_where_the_report_wrote_its_own_label(web):
    report = replace(REPORT, rows=ROWS[4:], totals={**TOTALS, "client": "Team total"},
                     previous_totals={**PREVIOUS_TOTALS, "client": "Team total"})
    lines = in_language(web, "en", report_csv, report).decode("utf-8-sig").split("\r\n")
    assert lines[-3].startswith("Team total;1216;")
    assert lines[-2].startswith("Previous period;1000;")
    text = " ".join(page_texts(in_language(web, "en", report_pdf, report)))
    assert "Team total 1,216" in text and "Previous period 1,000" in text and "Change vs previous period +216" in text


@pytest.mark.parametrize("points, text", [
    (0, "0.00"), (1, "0.01"), (5, "0.05"), (99, "0.99"), (100, "1.00"), (1234, "12.34"), (10000, "100.00"),
    (123456789, "1234567.89"), (-5, "-0.05"), (-1234, "-12.34"),
])
def test_plain_percent_is_exact(points, text):
    assert plain_percent(points) == text


# -- PDF ------------------------------------------------------------------------------------------

def test_pdf_in_english(web):
    pdf = in_language(web, "en", report_pdf, REPORT)
    assert pdf.startswith(b"%PDF")
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Sales per client"
    assert pdf_pages(pdf) == 1
    pages = page_texts(pdf)
    assert len(pages) == 1
    text = pages[0]
    assert "Sales per client" in text
    assert "Period: March 1, 2026 – March 31, 2026" in text
    assert "Compared with: February 1, 2026 – February 28, 2026" in text
    for figure in ["12,345.67 ₽", "0.50 ₽", "-19.99 ₽", "1,000,000.00 ₽", "0.99 ₽",
                   "50 %", "0.01 %", "49.98 %", "0.26 %", "1,204",
                   "Mar 5, 2026", "Mar 31, 2026",
                   "Total", "1,216", "1,012,327.17 ₽", "100 %",                 # totals
                   "Previous period", "1,000", "987,654.32 ₽", "60",           # previous totals
                   "97.5 %",
                   # The change as the report page writes it: relative for money and counts,
                   # percentage points for a percentage, days as a difference only.
                   "Change vs previous period +216 (+21.6 %) +24,672.85 ₽ (+2.5 %) +2.5 pp −15",
                   "Returns are subtracted on the day they were made.", "Page 1 of 1"]:
        assert figure in text, figure
    # Text cells are shown as they are: no formula quoting in a PDF, no markup taken from them.
    assert '=HYPERLINK("http://evil")' in text and "+7 999 123-45-67" in text and "@everyone" in text
    assert "Ромашка chart label" in text   # the chart is drawn in


def test_pdf_in_russian(web):
    text = " ".join(page_texts(in_language(web, "ru", report_pdf, REPORT)))
    for figure in ["12 345,67 ₽", "0,50 ₽", "-19,99 ₽", "1 000 000,00 ₽", "1 012 327,17 ₽", "987 654,32 ₽",
                   "+24 672,85 ₽ (+2,5 %)", "+2,5", "49,98 %", "0,26 %", "1 204", "1 216", "+216 (+21,6 %)",
                   "1 марта 2026 г.", "31 марта 2026 г.", "5 мар. 2026 г.", "Итого", "Страница 1 из 1"]:
        assert figure in text, figure


def test_pdf_keeps_markup_characters_as_text(web):
    report = replace(REPORT, title="Sales & returns <b>2026</b>", note="a < b & c")
    pdf = in_language(web, "en", report_pdf, report)
    text = " ".join(page_texts(pdf))
    assert "Sales & returns <b>2026</b>" in text and "a < b & c" in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Sales & returns <b>2026</b>"


def test_many_rows_break_into_pages_with_the_header_repeated(web):
    rows = tuple({"client": f"Client C-{i:04d}", "orders": i, "sales": i * 10_001, "share": i,
                  "last": date(2026, 3, 1 + i % 28), "overdue": i % 9} for i in range(1, 201))
    report = replace(REPORT, rows=rows)
    pdf = in_language(web, "en", report_pdf, report)
    pages = pdf_pages(pdf)
    assert pages > 2
    texts = page_texts(pdf)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        missing = [label for label in ("Client", "Orders", "Sales", "Share of sales", "Last order", "Days overdue")
                   if label not in text]
        assert not missing, f"header missing on page {number}: {missing}"
    everything = " ".join(texts)
    assert [i for i in range(1, 201) if f"C-{i:04d}" not in everything] == []
    assert "Change vs previous period" in texts[-1]
    reader = PdfReader(io.BytesIO(pdf))
    assert all(page.mediabox.width < page.mediabox.height for page in reader.pages)  # portrait


def page_is_landscape(pdf: bytes) -> bool:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return box.width > box.height


def test_seven_columns_or_more_are_printed_landscape(web):
    wide = replace(REPORT, columns=COLUMNS + (Column("debt", "Debt", ValueKind.MONEY),),
                   rows=tuple({**row, "debt": 123_456} for row in ROWS), totals={**TOTALS, "debt": 617_280})
    pdf = in_language(web, "en", report_pdf, wide)
    assert page_is_landscape(pdf)
    text = " ".join(page_texts(pdf))
    assert "Debt" in text and "1,234.56 ₽" in text and "6,172.80 ₽" in text
    assert not page_is_landscape(in_language(web, "en", report_pdf, REPORT))  # six columns


@pytest.mark.parametrize("chart", [
    Chart(ChartKind.BARS, ("Jan", "Feb"), (Series("Now", (100, 200)), Series("Before", (50, 300)))),
    Chart(ChartKind.LINE, tuple(f"D{i}" for i in range(60)), (Series("Clients", tuple(range(60))),), ValueKind.INT),
    Chart(ChartKind.FUNNEL, ("Created", "Paid"), (Series("Orders", (10, 4)),), ValueKind.INT),
    Chart(ChartKind.HBARS, tuple(f"SKU-{i}" for i in range(80)), (Series("Sold", tuple(range(80, 0, -1))),),
          ValueKind.INT),   # too tall for a page: shrunk to fit
    Chart(ChartKind.BARS, (), ()),
    None,
])
def test_every_chart_kind_goes_into_the_pdf(web, chart):
    pdf = in_language(web, "en", report_pdf, replace(REPORT, chart=chart))
    assert pdf.startswith(b"%PDF")
    text = " ".join(page_texts(pdf))
    assert "Sales per client" in text
    if chart is not None and not chart.labels:
        assert "No data for this period" in text


def test_a_report_without_rows(web):
    report = replace(REPORT, rows=(), totals={}, previous=None, previous_totals=None, chart=None, note="")
    text = " ".join(page_texts(in_language(web, "en", report_pdf, report)))
    assert "Client" in text and "No data for this period" in text and "Total" not in text
