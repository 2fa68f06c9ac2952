"""A manager finds orders: filters by status and client name, sorts by total, pages, downloads the CSV.
Then the same list on a tablet. Screenshots of both go to tests/e2e/artifacts/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import Location, Order, OrderStatus, User
from portal.services.orders.orders import DraftLine, OrderDraft, create_draft

from ..factories import DEFAULT_PASSWORD
from ..integration.services.test_order_list import at, build_world
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
EXTRA_DRAFTS = 28  # Romashka's drafts besides the world's one: 29 in all, two pages of 25


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


@pytest.fixture
def shop_floor(app, tmp_path):
    """The shared world plus 28 more drafts of Mark's for Romashka (k ball valves each)."""
    with app.app_context():
        world = build_world(app, str(tmp_path / "sms.jsonl"))
        m1 = db.session.get(User, world.m1.id)
        warehouse = db.session.scalar(db.select(Location).where(Location.code == "MAIN"))
        for k in range(1, EXTRA_DRAFTS + 1):
            create_draft(m1, OrderDraft(client_id=world.clients["romashka"].id, location_id=warehouse.id,
                                        lines=[DraftLine("VALVE", k, 0)]), now=at(10, 6, k))
        drafts = db.session.scalars(db.select(Order).where(
            Order.client_id == world.clients["romashka"].id, Order.status == OrderStatus.DRAFT)).all()
        by_total = sorted(drafts, key=lambda o: (o.subtotal - o.discount, o.id), reverse=True)
        return {"email": m1.email, "by_total": [(o.number, o.subtotal - o.discount) for o in by_total],
                "beta": world.orders["beta"].number, "foreign": world.orders["foreign"].number}


def row_numbers(page) -> list[str]:
    return page.locator("[data-testid=order-row]").evaluate_all("rows => rows.map(r => r.dataset.number)")


def test_a_manager_filters_sorts_pages_and_downloads_the_csv(app, live_server, open_page, shop_floor):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page("desktop", viewport={"width": 1280, "height": 800}, accept_downloads=True)
    sign_in(page, live_server, shop_floor["email"], DEFAULT_PASSWORD)
    page.locator(".mainnav").get_by_role("link", name="Orders").click()
    expect(page).to_have_url(live_server + "/manager/orders")
    expect(page.locator("main h1")).to_have_text("Orders")
    assert shop_floor["beta"] not in row_numbers(page) and shop_floor["foreign"] not in row_numbers(page)

    # --- drafts of Romashka, typed in lower case
    page.get_by_label("Status").select_option("draft")
    page.get_by_label("Client").fill("ромашка")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-testid=totals-count]")).to_have_text(str(EXTRA_DRAFTS + 1))
    rows = page.locator("[data-testid=order-row]")
    expect(rows).to_have_count(25)
    expect(page.locator("[data-testid=order-row] [data-testid=status]")).to_have_text(["Draft"] * 25)
    for cell in page.locator("[data-testid=order-row] td.order-list-client").all():
        assert cell.inner_text() == "ООО «Ромашка»"
    all_totals = sum(total for _, total in shop_floor["by_total"])
    expect(page.locator("[data-testid=totals-total]")).to_have_text(rub(all_totals))

    # --- the biggest first
    page.locator("[data-testid=sort-total]").click()
    expect(page).to_have_url(re.compile(r"sort=total&direction=desc"))
    expected = shop_floor["by_total"]
    assert row_numbers(page) == [number for number, _ in expected[:25]]
    expect(rows.first.locator("[data-testid=total]")).to_have_text(rub(expected[0][1]))
    page.screenshot(path=str(ARTIFACTS / "manager-orders-desktop.png"), full_page=True)
    assert_no_horizontal_overflow(page)

    # --- the second page keeps the filters and the order
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(rows).to_have_count(EXTRA_DRAFTS + 1 - 25)
    assert row_numbers(page) == [number for number, _ in expected[25:]]
    expect(page.get_by_label("Client")).to_have_value("ромашка")
    expect(page.get_by_label("Status")).to_have_value("draft")
    expect(page.get_by_label("Sort by")).to_have_value("total")

    # --- the CSV of exactly this list (every page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert re.fullmatch(r"orders-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["Number", "Date", "Channel"]
    assert [line.split(";")[0] for line in lines[1:]] == [number for number, _ in expected]
    assert [line.split(";")[10] for line in lines[1:]] == [f"{total / 100:.2f}" for _, total in expected]

    # --- a wrong amount is explained next to its field
    page.get_by_label("Total from").fill("abc")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".field.has-error")).to_contain_text("Enter an amount like 1500 or 1500,50.")
    expect(rows).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "manager-orders-error.png"), full_page=True)
    page.get_by_role("link", name="Reset").click()
    expect(page).to_have_url(live_server + "/manager/orders")
    expect(page.get_by_label("Client")).to_have_value("")


def test_the_list_on_a_tablet(app, live_server, tablet_page, shop_floor):
    ARTIFACTS.mkdir(exist_ok=True)
    page = tablet_page
    sign_in(page, live_server, shop_floor["email"], DEFAULT_PASSWORD)
    page.goto(live_server + "/manager/orders?client=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0&sort=total")
    expect(page.locator("[data-testid=order-row]")).to_have_count(25)
    page.screenshot(path=str(ARTIFACTS / "manager-orders-tablet.png"), full_page=True)
    assert_no_horizontal_overflow(page)
    # Every control of the filter form is a comfortable touch target.
    for control in page.locator("[data-testid=order-filters] input, [data-testid=order-filters] select, "
                                "[data-testid=order-filters] .btn").all():
        box = control.bounding_box()
        assert box is not None and box["height"] >= 44, control.evaluate("e => e.outerHTML")
