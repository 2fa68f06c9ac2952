"""A manager's tasks in the browser: set a task, see it in the list and in the navigation count,
reschedule it, complete it; an overdue task stands out (desktop 1366 and tablet 768).
Screenshots go to tests/e2e/artifacts/tasks-*.png."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from portal.clock import local_zone
from portal.extensions import db
from portal.models import Task, TaskStatus, utcnow
from portal.services import tasks

from ..factories import DEFAULT_PASSWORD, make_client, make_staff
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tasks-{name}.png"), full_page=True)


@pytest.fixture
def office(app):
    """Anna, a manager with a client and one task that is two hours overdue."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Supervisor")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        client = make_client(anna, "ООО Кран-Сервис")
        late = tasks.create_task_in_transaction(title="Send the price list", due_at=utcnow() - timedelta(hours=2),
                                                assignee_id=anna.id, client_id=client.id, set_by_id=boss.id)
        db.session.commit()
        tomorrow = (utcnow() + timedelta(days=1)).astimezone(local_zone()).replace(hour=11, minute=30)
        later = tomorrow + timedelta(days=2)
        return {"anna": anna.email, "client": client.id, "late": late.id,
                "tomorrow": tomorrow.strftime("%Y-%m-%dT%H:%M"), "later": later.strftime("%Y-%m-%dT%H:%M")}


def test_a_manager_sets_reschedules_and_completes_a_task(app, live_server, page, office):
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    nav = page.locator(".mainnav")
    expect(nav.get_by_test_id("tasks-count")).to_have_text("1")
    expect(nav.get_by_test_id("tasks-overdue-count")).to_have_text("1")

    # From the client's card: the Tasks block, "New task" prefilled with the client.
    page.goto(live_server + f"/manager/clients/{office['client']}")
    block = page.get_by_test_id("tasks-block")
    expect(block.get_by_test_id("card-task")).to_have_count(1)
    block.get_by_test_id("card-new-task").click()
    expect(page.get_by_test_id("task-link")).to_contain_text("ООО Кран-Сервис")
    page.get_by_label("What to do").fill("Call about the new catalogue")
    page.get_by_label("Due").fill(office["tomorrow"])
    page.get_by_role("button", name="Set the task").click()
    expect(page.locator(".flash-success")).to_contain_text("Call about the new catalogue")
    expect(page.locator("main h1")).to_have_text("ООО Кран-Сервис")  # back on the card
    expect(page.get_by_test_id("tasks-block").get_by_test_id("card-task")).to_have_count(2)
    expect(nav.get_by_test_id("tasks-count")).to_have_text("2")

    nav.get_by_role("link", name="Tasks").click()
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_class("task-overdue")
    expect(rows.nth(0).get_by_test_id("overdue-tag")).to_have_text("Overdue")
    expect(rows.nth(1)).not_to_have_class("task-overdue")
    expect(rows.nth(1).get_by_test_id("task-title")).to_have_text("Call about the new catalogue")
    shot(page, "list-desktop")

    rows.nth(1).get_by_test_id("task-title").click()
    expect(page.get_by_test_id("task-heading")).to_have_text("Call about the new catalogue")
    shot(page, "task-desktop")
    page.get_by_label("New due time").fill(office["later"])
    page.get_by_test_id("reschedule").click()
    expect(page.locator(".flash-success")).to_have_text("Task rescheduled.")
    expect(page.get_by_label("New due time")).to_have_value(office["later"])
    page.get_by_label("Comment").fill("Agreed to meet on Monday")
    page.get_by_test_id("complete").click()
    expect(page.locator(".flash-success")).to_have_text("Task completed.")
    expect(page.get_by_test_id("task-status")).to_have_text("Done")
    expect(page.get_by_test_id("complete")).to_have_count(0)
    expect(nav.get_by_test_id("tasks-count")).to_have_text("1")

    # The overdue one is closed from the list with its "Done" button.
    nav.get_by_role("link", name="Tasks").click()
    page.get_by_test_id("task-row").get_by_test_id("task-done").click()
    expect(page.get_by_test_id("no-tasks")).to_be_visible()
    expect(nav.get_by_test_id("tasks-count")).to_be_hidden()
    expect(nav.get_by_test_id("tasks-overdue-count")).to_have_count(0)
    page.get_by_test_id("filter-done").click()
    expect(page.get_by_test_id("task-row")).to_have_count(2)
    with app.app_context():
        done = db.session.scalars(db.select(Task).order_by(Task.id)).all()
        assert [t.status for t in done] == [TaskStatus.DONE, TaskStatus.DONE]
        assert done[1].due_at.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M") == office["later"]


def test_an_overdue_task_stands_out_on_a_tablet(app, live_server, tablet_page, office):
    page = tablet_page
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(live_server + "/manager/tasks")
    row = page.get_by_test_id("task-row")
    expect(row).to_have_class("task-overdue")
    background = row.locator("td").first.evaluate("cell => getComputedStyle(cell).backgroundColor")
    assert background == "rgb(253, 236, 234)"  # --danger-bg
    expect(row.get_by_test_id("task-due")).to_have_css("color", "rgb(180, 35, 24)")  # --danger
    assert_no_horizontal_overflow(page)
    shot(page, "list-tablet")
    row.get_by_test_id("task-title").click()
    expect(page.get_by_test_id("task-due")).to_have_class("overdue")
    assert_no_horizontal_overflow(page)
    shot(page, "task-tablet")
    page.goto(live_server + f"/manager/tasks/new?client_id={office['client']}")
    assert_no_horizontal_overflow(page)
    shot(page, "form-tablet")
