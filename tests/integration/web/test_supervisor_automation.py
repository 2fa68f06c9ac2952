"""The supervisor's automation pages through the test client: the rules list and the ready
templates, enabling a template (twice is still one rule), the rule form (errors per field with what
was typed kept, then saved; editing), pausing and resuming, the log of runs with its filter, and
who may open what (a manager gets 403, another team's rule is a 404)."""
from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import Client, Rule, Task

from ...factories import DEFAULT_PASSWORD, make_staff

EN = {"Accept-Language": "en"}


@pytest.fixture
def teams(app):
    with app.app_context():
        sam = make_staff("supervisor", name="Sam")
        ann = make_staff("manager", name="Ann", supervisor=sam)
        zoe = make_staff("supervisor", name="Zoe")
        return {"sam": sam.email, "ann": ann.email, "zoe": zoe.email, "ann_id": ann.id, "sam_id": sam.id,
                "zoe_id": zoe.id}


def sign_in(client, email):
    client.post("/logout")
    assert client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302


GOOD_RULE = MultiDict([
    ("name", "Big orders: call"), ("event", "order_above_amount"), ("event_amount", "250 000"),
    ("cond_channels", "manager"), ("cond_channels", "web"),
    ("act_create_task", "y"), ("task_title", "Call about {order_number}"), ("task_due_in", "3"),
    ("task_due_unit", "hours"),
])


def test_the_page_lists_rules_and_templates_and_a_template_is_enabled_once(app, client, teams):
    sign_in(client, teams["sam"])
    page = client.get("/supervisor/automation", headers=EN).get_data(as_text=True)
    assert 'data-testid="no-rules"' in page
    assert len(re.findall(r'data-testid="template"', page)) == 7
    assert '/supervisor/automation' in client.get("/supervisor/", headers=EN).get_data(as_text=True)  # in the nav
    for _ in range(2):
        response = client.post("/supervisor/automation/templates/new_client_call")
        assert response.status_code == 303 and response.headers["Location"] == "/supervisor/automation"
    with app.app_context():
        rules = db.session.scalars(db.select(Rule)).all()
        assert [(r.template, r.active, r.supervisor_id) for r in rules] == [("new_client_call", True, teams["sam_id"])]
    page = client.get("/supervisor/automation", headers=EN).get_data(as_text=True)
    assert 'data-testid="template-on"' in page and 'data-testid="rule-row"' in page
    assert client.post("/supervisor/automation/templates/no_such_thing").status_code == 404


def test_the_rule_form_shows_errors_per_field_keeps_what_was_typed_then_saves(app, client, teams):
    sign_in(client, teams["sam"])
    assert client.get("/supervisor/automation/new", headers=EN).status_code == 200
    wrong = MultiDict(GOOD_RULE)
    wrong.setlist("event_amount", ["lots"])
    wrong.setlist("task_due_in", ["soon"])
    response = client.post("/supervisor/automation/new", data=wrong, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="event_amount-errors"' in page and 'id="task_due_in-errors"' in page
    assert 'value="lots"' in page and 'value="soon"' in page and 'value="Big orders: call"' in page
    assert re.search(r'<input checked id="cond_channels-\d" name="cond_channels" type="checkbox" value="web">', page)
    # An error only the service finds (an unknown placeholder), and one with no field of its own.
    sms = MultiDict(GOOD_RULE)
    sms.update({"act_send_sms": "y", "sms_text": "Hi {nobody}"})
    page = client.post("/supervisor/automation/new", data=sms, headers=EN).get_data(as_text=True)
    assert 'id="sms_text-errors"' in page and "Hi {nobody}" in page
    none = MultiDict([("name", "Nothing to do"), ("event", "client_created")])
    response = client.post("/supervisor/automation/new", data=none, headers=EN)
    assert response.status_code == 422 and 'class="form-errors"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Rule.id))) == 0
    response = client.post("/supervisor/automation/new", data=GOOD_RULE)
    assert response.status_code == 303
    with app.app_context():
        rule = db.session.scalar(db.select(Rule))
        assert (rule.event, rule.event_params, rule.conditions["channels"]) == (
            "order_above_amount", {"amount": "250000.00"}, ["manager", "web"])
        rule_id = rule.id
    edit = client.get(f"/supervisor/automation/{rule_id}", headers=EN).get_data(as_text=True)
    assert 'value="250000.00"' in edit and 'value="Call about {order_number}"' in edit
    changed = MultiDict(GOOD_RULE)
    changed.setlist("name", ["Big orders: call at once"])
    assert client.post(f"/supervisor/automation/{rule_id}", data=changed).status_code == 303
    with app.app_context():
        assert db.session.get(Rule, rule_id).name == "Big orders: call at once"


def test_pause_and_resume(app, client, teams):
    sign_in(client, teams["sam"])
    client.post("/supervisor/automation/templates/new_client_call")
    with app.app_context():
        rule_id = db.session.scalar(db.select(Rule.id))
    assert client.post(f"/supervisor/automation/{rule_id}/pause").status_code == 303
    with app.app_context():
        assert db.session.get(Rule, rule_id).active is False
    page = client.get("/supervisor/automation", headers=EN).get_data(as_text=True)
    assert 'data-testid="resume"' in page and ">Paused<" in page
    assert client.post(f"/supervisor/automation/{rule_id}/resume").status_code == 303
    with app.app_context():
        assert db.session.get(Rule, rule_id).active is True


def test_the_log_shows_each_run_with_its_object_and_filters_by_rule(app, client, teams):
    sign_in(client, teams["sam"])
    client.post("/supervisor/automation/templates/new_client_call")
    client.post("/supervisor/automation/templates/birthday_sms")
    sign_in(client, teams["ann"])  # a new client through the manager's own form
    response = client.post("/manager/clients/new", data={"kind": "private_person", "name": "Fresh Client",
                                                         "phone": "8 916 555-00-00", "discount": "0",
                                                         "credit_limit": "0", "deferral_days": "0"})
    assert response.status_code in (302, 303), re.findall(r"<li>[^<]*</li>|form-errors.{0,300}", response.get_data(as_text=True))
    sign_in(client, teams["sam"])
    with app.app_context():
        call_rule, birthday_rule = db.session.scalars(db.select(Rule.id).order_by(Rule.id)).all()
        client_id = db.session.scalar(db.select(Client.id).where(Client.name == "Fresh Client"))
        assert db.session.scalar(db.select(Task.client_id)) == client_id
    page = client.get("/supervisor/automation/runs", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="run-row"') == 1
    assert f'href="/manager/clients/{client_id}">Fresh Client</a>' in page
    assert "for Ann" in page  # the task the run set, by whom it is to be done
    filtered = client.get(f"/supervisor/automation/runs?rule={birthday_rule}", headers=EN).get_data(as_text=True)
    assert 'data-testid="no-runs"' in filtered
    assert client.get(f"/supervisor/automation/runs?rule={call_rule}").status_code == 200


def test_managers_cannot_open_automation_and_another_teams_rule_is_not_found(app, client, teams):
    sign_in(client, teams["sam"])
    client.post("/supervisor/automation/templates/new_client_call")
    with app.app_context():
        rule_id = db.session.scalar(db.select(Rule.id))
    sign_in(client, teams["ann"])
    for url in ("/supervisor/automation", "/supervisor/automation/new", "/supervisor/automation/runs",
                f"/supervisor/automation/{rule_id}"):
        assert client.get(url).status_code == 403, url
    for url in (f"/supervisor/automation/{rule_id}/pause", "/supervisor/automation/templates/new_client_call"):
        assert client.post(url).status_code == 403, url
    sign_in(client, teams["zoe"])
    assert client.get(f"/supervisor/automation/{rule_id}").status_code == 404
    assert client.post(f"/supervisor/automation/{rule_id}", data=GOOD_RULE).status_code == 404
    assert client.post(f"/supervisor/automation/{rule_id}/pause").status_code == 404
    assert client.get(f"/supervisor/automation/runs?rule={rule_id}").status_code == 404
    with app.app_context():
        rule = db.session.get(Rule, rule_id)
        assert rule.active is True and rule.name != "Big orders: call"
    client.post("/logout")
    assert client.get("/supervisor/automation").status_code == 302


@pytest.mark.csrf
def test_automation_forms_need_the_csrf_token(app, client, teams):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": teams["sam"], "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert client.post("/supervisor/automation/templates/new_client_call").status_code == 400
    assert client.post("/supervisor/automation/new", data=GOOD_RULE).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Rule.id))) == 0
