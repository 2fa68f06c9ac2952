"""The supervisor's statistics pages, CSV and PDF, through the test client, on the shared history of
tests/integration/services/test_statistics.py (its docstring lists every order and its figures)."""
from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.clock import local_date
from portal.services.statistics import REPORTS

from ...factories import DEFAULT_PASSWORD
from ..services.test_statistics import build_history

EN = {"Accept-Language": "en"}
MARCH = "period=month&anchor=2026-03-15"


def rub(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) / 100:,.2f}\u00a0₽"


@pytest.fixture
def h(app, tmp_path):
    """The history, as plain values."""
    with app.app_context():
        history = build_history(app, str(tmp_path / "sms.jsonl"))
        return {"boss": history.boss.email, "other_boss": history.other_boss.email, "m1": history.m1.email,
                "m1_id": history.m1.id, "m2_id": history.m2.id}


def sign_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def get(client, path: str):
    response = client.get(path, headers=EN)
    return response, response.get_data(as_text=True)


def text_of(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def links(html: str, testid: str) -> list[str]:
    return [html_lib.unescape(m) for m in re.findall(rf'href="([^"]+)"[^>]*data-testid="{testid}"', html)]


# --- the list ------------------------------------------------------------------------------------

def test_the_list_shows_the_eight_reports_for_this_month(app, client, h):
    sign_in(client, h["boss"])
    response, html = get(client, "/supervisor/statistics")
    assert response.status_code == 200
    found = re.findall(r'data-testid="report-([a-z_]+)"', html)
    assert found == list(REPORTS)
    with app.app_context():
        today = local_date()
    first = links(html, "report-sales_by_manager")[0]
    assert urlsplit(first).path == "/supervisor/statistics/sales_by_manager"
    assert parse_qs(urlsplit(first).query) == {"period": ["month"], "compare": ["1"],
                                                "anchor": [today.replace(day=1).isoformat()]}
    assert 'name="period"' in html and 'name="anchor"' in html and 'name="start"' in html


def test_the_list_keeps_the_period_chosen(client, h):
    sign_in(client, h["boss"])
    response, html = get(client, "/supervisor/statistics?period=custom&start=2026-03-10&end=2026-03-24&compare=0")
    assert response.status_code == 200
    query = parse_qs(urlsplit(links(html, "report-goods_sold")[0]).query)
    assert query == {"period": ["custom"], "start": ["2026-03-10"], "end": ["2026-03-24"], "compare": ["0"]}
    assert "March 10, 2026 – March 24, 2026" in text_of(html)


# --- each report ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(REPORTS))
def test_every_report_page_renders(client, h, key):
    sign_in(client, h["boss"])
    response, html = get(client, f"/supervisor/statistics/{key}?{MARCH}&compare=1")
    assert response.status_code == 200, html
    assert 'data-testid="report-title"' in html
    assert re.search(r'data-testid="chart">\s*<svg', html)
    assert 'data-testid="report-row"' in html
    assert 'data-testid="totals"' in html
    if key == "client_debt":  # today's debt: the period does not change it, nothing to compare with
        assert "As it stands today" in text_of(html) and 'data-testid="previous-totals"' not in html
    else:
        assert 'data-testid="previous-totals"' in html and "compared with February 1, 2026" in text_of(html)
    assert links(html, "download-csv") and links(html, "download-pdf")


def test_sales_per_manager_page_figures_and_links(client, h):
    sign_in(client, h["boss"])
    response, html = get(client, f"/supervisor/statistics/sales_by_manager?{MARCH}")
    page = text_of(html)
    assert "March 1, 2026 – March 31, 2026" in page
    rows = re.findall(r'<tr data-testid="report-row">(.*?)</tr>', html, re.S)
    assert [text_of(r).split(" Orders")[0].strip() for r in rows] == [
        f"Mark One 4 {rub(5_199_96)} {rub(1_099_99)} {rub(4_099_97)} {rub(1_299_99)} 3",
        f"Nina Two 1 {rub(99_99)} {rub(0)} {rub(99_99)} {rub(99_99)} 1"]
    totals = text_of(re.search(r'data-testid="totals">(.*?)</tr>', html, re.S).group(1))
    assert totals.split() == ["Total", "5", *rub(5_299_95).split(), *rub(1_099_99).split(), *rub(4_199_96).split(),
                              *rub(1_059_99).split(), "4"]
    # Tiles: net sales 4 199.96 against 1 000.00 in February: +3 199.96 (+319.996 % → +320 %).
    assert f"+{rub(3_199_96)} (+320\u00a0%)" in page
    drill = links(html, "drill")
    assert parse_qs(urlsplit(drill[0]).query) == {"placed_by": [str(h["m1_id"])], "date_from": ["2026-03-01"],
                                                  "date_to": ["2026-03-31"]}
    response, listed = get(client, drill[0])
    assert response.status_code == 200
    assert len(re.findall(r'data-testid="order-row"', listed)) == 3  # M1, M3, M4: Mark's orders created in March


def test_changing_the_period(client, h):
    sign_in(client, h["boss"])
    response, html = get(client, "/supervisor/statistics/sales_by_period?period=week&anchor=2026-03-04")
    assert response.status_code == 200
    assert "March 2, 2026 – March 8, 2026" in text_of(html)
    assert "compared with February 23, 2026 – March 1, 2026" in text_of(html)
    assert len(re.findall(r'data-testid="report-row"', html)) == 7
    earlier, later = links(html, "earlier")[0], links(html, "later")[0]
    assert parse_qs(urlsplit(earlier).query)["anchor"] == ["2026-02-23"]
    assert parse_qs(urlsplit(later).query)["anchor"] == ["2026-03-09"]
    response, html = get(client, "/supervisor/statistics/sales_by_period?period=quarter&anchor=2026-02-01&compare=0")
    assert "January 1, 2026 – March 31, 2026" in text_of(html)
    assert 'data-testid="previous-totals"' not in html and "compared with" not in text_of(html)
    # The form sends a hidden 0 before the checkbox: checked, the last value wins.
    response, html = get(client, "/supervisor/statistics/sales_by_period?period=day&anchor=2026-03-01&compare=0"
                                 "&compare=1")
    assert "compared with February 28, 2026" in text_of(html)
    assert "March 1, 2026" in text_of(html)
    response, html = get(client, "/supervisor/statistics/new_clients?period=custom&start=2026-02-01&end=2026-03-31"
                                 "&anchor=junk")  # the anchor does not matter for own dates
    assert response.status_code == 200
    assert "From" in html and "To" in html  # by week


@pytest.mark.parametrize("query, field, message", [
    ("period=year", "period", "Choose a period from the list."),
    ("period=month&anchor=2026-02-30", "anchor", "Enter a date like 2026-03-31."),
    ("period=month&anchor=yesterday", "anchor", "Enter a date like 2026-03-31."),
    ("period=month&anchor=3026-01-01", "anchor", "Choose a day between the years 1900 and 2999."),
    ("period=custom&start=2026-03-31&end=2026-03-01", "end", "The last day is before the first day."),
    ("period=custom&start=2020-01-01&end=2026-03-01", "end", "A period can be at most 3 years long."),
    ("period=custom&end=2026-03-01", "start", "Enter the first day of the period."),
    ("period=custom&start=%00%01&end=2026-03-01", "start", "Enter the first day of the period."),  # control characters
    ("period=custom&start=01.03.2026&end=31.02.2026", "end", "Enter a date like 2026-03-31."),
])
def test_bad_params_show_the_page_with_a_message(client, h, query, field, message):
    sign_in(client, h["boss"])
    for path in (f"/supervisor/statistics/sales_by_client?{query}", f"/supervisor/statistics?{query}",
                 f"/supervisor/statistics/sales_by_client.csv?{query}",
                 f"/supervisor/statistics/goods_sold.pdf?{query}"):
        response, html = get(client, path)
        assert response.status_code == 422, path
        assert response.mimetype == "text/html"
        assert message in html, path
        assert 'data-testid="report-table"' not in html and 'data-testid="chart"' not in html
        assert 'class="field has-error"' in html


def test_an_unknown_report_is_a_404(client, h):
    sign_in(client, h["boss"])
    for path in ("/supervisor/statistics/nothing", "/supervisor/statistics/nothing.csv",
                 "/supervisor/statistics/nothing.pdf"):
        assert client.get(path, headers=EN).status_code == 404


def test_an_empty_period(client, h):
    sign_in(client, h["boss"])
    response, html = get(client, "/supervisor/statistics/sales_by_client?period=month&anchor=2025-06-01")
    assert response.status_code == 200
    assert 'data-testid="no-rows"' in html and "No data for this period." in html


def test_another_team_sees_its_own_figures(client, h):
    sign_in(client, h["other_boss"])
    response, html = get(client, f"/supervisor/statistics/sales_by_client?{MARCH}")
    assert "Gamma Foreign" in html and "Romashka" not in html and "Acme" not in html


def test_only_supervisors(client, h):
    assert client.get("/supervisor/statistics/sales_by_manager").status_code == 302  # to the login page
    sign_in(client, h["m1"])
    assert client.get("/supervisor/statistics").status_code == 403
    assert client.get("/supervisor/statistics/sales_by_manager.csv").status_code == 403


# --- files ---------------------------------------------------------------------------------------

def test_csv(client, h):
    sign_in(client, h["boss"])
    response = client.get(f"/supervisor/statistics/sales_by_client.csv?{MARCH}", headers=EN)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="sales_by_client-2026-03-01-2026-03-31.csv"'
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeffSales per client;")
    assert "ООО «Ромашка»;3;4099.97;99.99;3999.98;95.24" in text
    assert "Acme Trading;1;1099.99;1000.00;99.99;2.38" in text


@pytest.mark.parametrize("key", list(REPORTS))
def test_pdf_of_every_report(client, h, key):
    sign_in(client, h["boss"])
    response = client.get(f"/supervisor/statistics/{key}.pdf?{MARCH}", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{key}-2026-03-01-2026-03-31.pdf"'
    assert response.get_data().startswith(b"%PDF")
