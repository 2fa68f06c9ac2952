"""The task pages through the test client: the list with its filters and the overdue mark, the
navigation badge, a new task (prefilled from a client's and an order's card), the task's page to
complete, reschedule or cancel it, and who may open what (another team's task is a 404, another
role's a 403)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.clock import local_zone
from portal.extensions import db
from portal.models import Task, TaskOutcome, TaskStatus, User, utcnow
from portal.services import tasks
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff

EN = {"Accept-Language": "en"}


@pytest.fixture
def team(app, client):
    """Supervisor Sam with managers Ann (signed in) and Bob; supervisor Zoe with manager Zed."""
    with app.app_context():
        sam = make_staff("supervisor", name="Sam")
        ann = make_staff("manager", name="Ann", supervisor=sam)
        bob = make_staff("manager", name="Bob", supervisor=sam)
        zed = make_staff("manager", name="Zed")
        ann_client = make_client(ann, name="Acme Tools")
        ids = {"sam": sam.id, "ann": ann.id, "bob": bob.id, "zed": zed.id, "ann_client": ann_client.id,
               "emails": {"sam": sam.email, "ann": ann.email, "bob": bob.email, "zed": zed.email}}
    return ids


def sign_in(client, team, who: str):
    client.post("/logout")
    response = client.post("/login", data={"email": team["emails"][who], "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def add_task(app, assignee_id: int, title: str, hours: float, **links) -> int:
    with app.app_context():
        task = tasks.create_task_in_transaction(title=title, due_at=utcnow() + timedelta(hours=hours),
                                                assignee_id=assignee_id, **links)
        db.session.commit()
        return task.id


def local_text(app, hours: float) -> str:
    """A due time `hours` from now as a datetime-local input sends it (company zone)."""
    with app.app_context():
        return (utcnow() + timedelta(hours=hours)).astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")


def test_the_list_marks_overdue_tasks_and_the_badge_counts_them(app, client, team):
    late = add_task(app, team["ann"], "Late call", -2, client_id=team["ann_client"])
    add_task(app, team["ann"], "Next week call", 24)
    add_task(app, team["bob"], "Bob call", -1)
    sign_in(client, team, "ann")
    page = client.get("/manager/tasks", headers=EN).get_data(as_text=True)
    assert "Late call" in page and "Next week call" in page and "Bob call" not in page
    rows = re.findall(r'<tr class="([^"]*)" data-testid="task-row" data-task-id="(\d+)"', page)
    assert [(int(i), "task-overdue" in c) for c, i in rows] == [(late, True), (late + 1, False)]
    assert re.search(r'data-testid="tasks-count"[^>]*>2<', page)
    assert re.search(r'data-testid="tasks-overdue-count"[^>]*>1<', page)
    overdue = client.get("/manager/tasks?status=overdue", headers=EN).get_data(as_text=True)
    assert "Late call" in overdue and "Next week call" not in overdue
    assert client.get("/manager/tasks?status=nonsense").status_code == 200
    # The badge is on every page of the cabinet, e.g. the overview.
    assert 'data-testid="tasks-count"' in client.get("/manager/").get_data(as_text=True)


def test_a_manager_sets_a_task_from_the_client_card_and_finds_it_there(app, client, team):
    sign_in(client, team, "ann")
    card = client.get(f"/manager/clients/{team['ann_client']}", headers=EN).get_data(as_text=True)
    assert 'data-testid="tasks-block"' in card and f"/manager/tasks/new?client_id={team['ann_client']}" in card
    form = client.get(f"/manager/tasks/new?client_id={team['ann_client']}", headers=EN)
    assert form.status_code == 200 and "Acme Tools" in form.get_data(as_text=True)
    response = client.post("/manager/tasks/new", data={
        "title": "Offer the new catalogue", "due_at": local_text(app, 3), "client_id": str(team["ann_client"]),
        "next": f"/manager/clients/{team['ann_client']}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/manager/clients/{team['ann_client']}"
    with app.app_context():
        task = db.session.scalar(db.select(Task))
        assert (task.assignee_id, task.client_id, task.set_by_id) == (team["ann"], team["ann_client"], team["ann"])
        assert timedelta(hours=2, minutes=58) < task.due_at - utcnow() < timedelta(hours=3, minutes=1)
    card = client.get(f"/manager/clients/{team['ann_client']}", headers=EN).get_data(as_text=True)
    assert "Offer the new catalogue" in card


def test_a_wrong_form_shows_each_error_and_keeps_what_was_typed(app, client, team):
    sign_in(client, team, "ann")
    response = client.post("/manager/tasks/new", data={"title": "Keep this title", "due_at": "tomorrow"}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Keep this title"' in page and "Give the date and the time" in page
    past = client.post("/manager/tasks/new", data={"title": "Too late", "due_at": local_text(app, -5)}, headers=EN)
    assert past.status_code == 422 and "This time has already passed." in past.get_data(as_text=True)
    # Someone else's client cannot be linked, even by a forged form.
    with app.app_context():
        other = make_client(db.session.get(User, team["zed"])).id
    assert client.get(f"/manager/tasks/new?client_id={other}").status_code == 404
    forged = client.post(f"/manager/tasks/new?client_id={other}", data={"title": "x", "due_at": local_text(app, 2)})
    assert forged.status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Task.id))) == 0


def test_the_order_card_has_a_tasks_block_and_a_prefilled_new_task(app, client, team):
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 10})
        order = orders.create_draft(db.session.get(User, team["ann"]), OrderDraft(
            client_id=team["ann_client"], location_id=warehouse.id, lines=[DraftLine(sku="DRILL", qty=1)]))
        order_id = order.id
    add_task(app, team["ann"], "Chase the payment", -1, order_id=order_id, client_id=team["ann_client"])
    sign_in(client, team, "ann")
    card = client.get(f"/manager/orders/{order_id}", headers=EN).get_data(as_text=True)
    assert "Chase the payment" in card and f"/manager/tasks/new?order_id={order_id}" in card
    assert 'class="task-overdue"' in card
    response = client.post(f"/manager/tasks/new?order_id={order_id}", data={
        "title": "Deliver", "due_at": local_text(app, 5), "order_id": str(order_id)})
    assert response.status_code == 303 and response.headers["Location"] == f"/manager/orders/{order_id}"
    with app.app_context():
        task = db.session.scalar(db.select(Task).where(Task.title == "Deliver"))
        assert (task.order_id, task.client_id) == (order_id, team["ann_client"])


def test_complete_reschedule_and_cancel_from_the_task_page(app, client, team):
    first, second, third = (add_task(app, team["ann"], t, 1) for t in ("Call", "Meet", "Write"))
    sign_in(client, team, "ann")
    page = client.get(f"/manager/tasks/{first}", headers=EN)
    assert page.status_code == 200 and 'data-testid="complete"' in page.get_data(as_text=True)
    response = client.post(f"/manager/tasks/{first}/complete", data={"outcome": "done", "note": "Agreed"})
    assert response.status_code == 303
    new_due = local_text(app, 48)
    assert client.post(f"/manager/tasks/{second}/reschedule", data={"due_at": new_due}).status_code == 303
    bad = client.post(f"/manager/tasks/{second}/reschedule", data={"due_at": "soon"}, headers=EN)
    assert bad.status_code == 422 and 'value="soon"' in bad.get_data(as_text=True)
    # The list's "Done" button goes back to the list.
    done = client.post(f"/manager/tasks/{third}/cancel", data={"next": "/manager/tasks?status=all"})
    assert done.status_code == 303 and done.headers["Location"] == "/manager/tasks?status=all"
    with app.app_context():
        one, two, three = (db.session.get(Task, i) for i in (first, second, third))
        assert (one.status, one.outcome, one.note) == (TaskStatus.DONE, TaskOutcome.DONE, "Agreed")
        assert two.due_at.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M") == new_due  # in the app context
        assert three.status is TaskStatus.CANCELLED
    # A closed task: its page shows no actions, a second close is refused with a message.
    closed = client.get(f"/manager/tasks/{first}", headers=EN).get_data(as_text=True)
    assert 'data-testid="complete"' not in closed and "Task completed" in closed
    again = client.post(f"/manager/tasks/{first}/complete", data={"outcome": "done"}, follow_redirects=True, headers=EN)
    assert "This task is already closed." in again.get_data(as_text=True)
    # Whatever is posted to a closed task, the answer is its refusal (it has no form to show errors on).
    bogus = client.post(f"/manager/tasks/{first}/complete", data={"outcome": "bogus"}, follow_redirects=True,
                        headers=EN)
    assert "This task is already closed." in bogus.get_data(as_text=True)
    assert bogus.history[0].status_code == 303


def test_another_teams_task_is_not_found_and_other_roles_are_refused(app, client, team):
    ann_task = add_task(app, team["ann"], "Ann's", 1)
    zed_task = add_task(app, team["zed"], "Zed's", 1)
    sign_in(client, team, "ann")
    for url in (f"/manager/tasks/{zed_task}",):
        assert client.get(url).status_code == 404
    for action in ("complete", "reschedule", "cancel"):
        assert client.post(f"/manager/tasks/{zed_task}/{action}",
                           data={"outcome": "done", "due_at": local_text(app, 2)}).status_code == 404
    sign_in(client, team, "bob")  # the same team, another manager: not theirs either
    assert client.get(f"/manager/tasks/{ann_task}").status_code == 404
    sign_in(client, team, "sam")  # their supervisor sees it, and the team's list with a filter
    assert client.get(f"/manager/tasks/{ann_task}").status_code == 200
    team_list = client.get(f"/manager/tasks?manager={team['ann']}", headers=EN).get_data(as_text=True)
    assert "Ann&#39;s" in team_list and "Zed&#39;s" not in team_list
    assert client.get(f"/manager/tasks?manager={team['zed']}").status_code == 403
    assert client.get(f"/manager/tasks/{zed_task}").status_code == 404
    with app.app_context():
        cashier = make_staff("cashier").email
    client.post("/logout")
    client.post("/login", data={"email": cashier, "password": DEFAULT_PASSWORD})
    assert client.get("/manager/tasks").status_code == 403
    assert client.get(f"/manager/tasks/{ann_task}").status_code == 403
    client.post("/logout")
    assert client.get("/manager/tasks").status_code == 302


def test_a_supervisor_sets_a_task_for_a_member(app, client, team):
    sign_in(client, team, "sam")
    form = client.get(f"/manager/tasks/new?client_id={team['ann_client']}", headers=EN).get_data(as_text=True)
    assert re.search(rf'<option selected value="{team["ann"]}">Ann</option>', form)
    response = client.post("/manager/tasks/new", data={"title": "Visit", "due_at": local_text(app, 4),
                                                       "assignee_id": str(team["bob"])})
    assert response.status_code == 303
    refused = client.post("/manager/tasks/new", data={"title": "Visit", "due_at": local_text(app, 4),
                                                      "assignee_id": str(team["zed"])}, headers=EN)
    assert refused.status_code == 422 and "Choose a manager of your team." in refused.get_data(as_text=True)
    with app.app_context():
        task = db.session.scalar(db.select(Task))
        assert (task.assignee_id, task.set_by_id) == (team["bob"], team["sam"])


@pytest.mark.csrf
def test_task_forms_need_the_csrf_token(app, client, team):
    task = add_task(app, team["ann"], "Call", 1)
    sign_in_page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in_page.get_data(as_text=True)).group(1)
    client.post("/login", data={"email": team["emails"]["ann"], "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert client.post(f"/manager/tasks/{task}/complete", data={"outcome": "done"}).status_code == 400
    assert client.post(f"/manager/tasks/{task}/cancel").status_code == 400
    with app.app_context():
        assert db.session.get(Task, task).status is TaskStatus.OPEN


def test_no_answer_from_the_task_page_sets_the_call_back_of_the_template(app, client, team):
    with app.app_context():
        from portal.services.automation import templates
        templates.enable_template(db.session.get(User, team["sam"]), "no_answer_call_back")
    first = add_task(app, team["ann"], "Call Acme", 1, client_id=team["ann_client"])
    sign_in(client, team, "ann")
    response = client.post(f"/manager/tasks/{first}/complete", data={"outcome": "no_answer"})
    assert response.status_code == 303
    with app.app_context():
        closed = db.session.get(Task, first)
        follow_up = db.session.scalars(db.select(Task).where(Task.id != first)).all()
        assert (closed.status, closed.outcome) == (TaskStatus.DONE, TaskOutcome.NO_ANSWER)
        assert [(t.assignee_id, t.client_id, t.status) for t in follow_up] == [
            (team["ann"], team["ann_client"], TaskStatus.OPEN)]
    page = client.get("/manager/tasks", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="task-row"') == 1 and ">Rule<" in page
