"""A supervisor reads the statistics: opens every report for March, changes the period, downloads the
CSV and the PDF; then the same on a tablet. Screenshots go to tests/e2e/artifacts/supervisor-stats-*.png.

The data is the shared history of tests/integration/services/test_statistics.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.services.statistics import REPORTS

from ..factories import DEFAULT_PASSWORD
from ..integration.services.test_statistics import build_history
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
TITLES = {"sales_by_manager": "Sales per manager", "new_clients": "New clients", "sales_by_period": "Sales per period",
          "sales_by_client": "Sales per client", "conversion": "Conversion of orders", "goods_sold": "Goods sold",
          "client_debt": "Client debt", "bonus_programme": "Bonus programme"}


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


@pytest.fixture
def boss_email(app, tmp_path):
    with app.app_context():
        return build_history(app, str(tmp_path / "sms.jsonl")).boss.email


def choose_march(page) -> None:
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_label("A day in it").fill("2026-03-15")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-testid=period-words]")).to_contain_text("March 1, 2026 – March 31, 2026")


def shoot(page, name: str, size: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"supervisor-stats-{name}-{size}.png"), full_page=True)


def test_a_supervisor_reads_every_report_and_downloads_them(live_server, open_page, boss_email, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page("desktop", accept_downloads=True)
    sign_in(page, live_server, boss_email, DEFAULT_PASSWORD)
    page.locator(".mainnav").get_by_role("link", name="Statistics").click()
    expect(page).to_have_url(live_server + "/supervisor/statistics")
    expect(page.locator("[data-testid=reports] li")).to_have_count(8)
    choose_march(page)
    shoot(page, "list", "desktop")
    assert_no_horizontal_overflow(page)

    for key in REPORTS:
        page.locator(f"[data-testid=report-{key}]").click()
        expect(page.locator("[data-testid=report-title]")).to_have_text(TITLES[key])
        expect(page.locator("[data-testid=period-words]")).to_contain_text(
            "As it stands today" if key == "client_debt" else "March 1, 2026 – March 31, 2026")
        expect(page.locator("[data-testid=chart] svg")).to_be_visible()
        assert page.locator("[data-testid=report-row]").count() > 0
        shoot(page, key, "desktop")
        assert_no_horizontal_overflow(page)
        page.get_by_role("link", name="← Statistics").click()
        expect(page.locator("[data-testid=reports]")).to_be_visible()

    # --- sales per manager: figures, then another period
    page.locator("[data-testid=report-sales_by_manager]").click()
    first = page.locator("[data-testid=report-row]").first
    expect(first.locator("td[data-key=manager]")).to_have_text("Mark One")
    expect(first.locator("td[data-key=net]")).to_have_text(rub(4_099_97))
    expect(page.locator("[data-testid=totals] td[data-key=net]")).to_have_text(rub(4_199_96))
    expect(page.locator("[data-testid=previous-totals] td[data-key=net]")).to_have_text(rub(1_000_00))

    page.get_by_label("Period", exact=True).select_option("week")
    page.get_by_label("A day in it").fill("2026-03-04")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-testid=period-words]")).to_contain_text("March 2, 2026 – March 8, 2026")
    expect(page.locator("[data-testid=totals] td[data-key=net]")).to_have_text(rub(950_00 + 1_900_00 - 1_000_00))
    page.locator("[data-testid=earlier]").click()
    expect(page.locator("[data-testid=period-words]")).to_contain_text("February 23, 2026 – March 1, 2026")

    # --- own dates, without comparing
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("Own dates: from").fill("2026-03-10")
    page.get_by_label("to", exact=True).fill("2026-03-24")
    page.get_by_test_id("compare").uncheck()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-testid=period-words]")).to_contain_text("March 10, 2026 – March 24, 2026")
    expect(page.locator("[data-testid=previous-totals]")).to_have_count(0)
    expect(page.locator("[data-testid=totals] td[data-key=net]")).to_have_text(rub(1_249_97 - 99_99))

    # --- a wrong period: the message, no figures
    page.get_by_label("Own dates: from").fill("2026-03-30")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".field.has-error .errors")).to_have_text("The last day is before the first day.")
    expect(page.locator("[data-testid=report-table]")).to_have_count(0)
    shoot(page, "error", "desktop")

    # --- downloads of March's sales per client
    page.goto(live_server + "/supervisor/statistics/sales_by_client?period=month&anchor=2026-03-15&compare=1")
    with page.expect_download() as csv_download:
        page.locator("[data-testid=download-csv]").click()
    csv_file = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv_file)
    assert csv_file.name == "sales_by_client-2026-03-01-2026-03-31.csv"
    assert "ООО «Ромашка»;3;4099.97;99.99;3999.98;95.24" in csv_file.read_text(encoding="utf-8-sig")
    with page.expect_download() as pdf_download:
        page.locator("[data-testid=download-pdf]").click()
    pdf_file = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_file)
    assert pdf_file.name == "sales_by_client-2026-03-01-2026-03-31.pdf"
    assert pdf_file.read_bytes().startswith(b"%PDF")

    # --- a drill-down into the order list
    page.locator("[data-testid=report-row]").first.locator("[data-testid=drill]").click()
    expect(page).to_have_url(live_server + "/manager/orders?client=%D0%9E%D0%9E%D0%9E+%C2%AB%D0%A0%D0%BE%D0%BC%D0"
                                           "%B0%D1%88%D0%BA%D0%B0%C2%BB&date_from=2026-03-01&date_to=2026-03-31")
    expect(page.locator("[data-testid=order-row]")).to_have_count(3)  # M1, M4 (made in March), S3; M5 was February's


def test_the_reports_on_a_tablet(live_server, open_page, boss_email):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page("tablet")
    sign_in(page, live_server, boss_email, DEFAULT_PASSWORD)
    page.goto(live_server + "/supervisor/statistics?period=month&anchor=2026-03-15")
    shoot(page, "list", "tablet")
    assert_no_horizontal_overflow(page)
    for key in REPORTS:
        page.goto(f"{live_server}/supervisor/statistics/{key}?period=month&anchor=2026-03-15&compare=1")
        expect(page.locator("[data-testid=report-title]")).to_have_text(TITLES[key])
        expect(page.locator("[data-testid=chart] svg")).to_be_visible()
        shoot(page, key, "tablet")
        assert_no_horizontal_overflow(page)
        for button in page.locator("main .btn").all():
            if button.is_visible():
                assert button.bounding_box()["height"] >= 44
