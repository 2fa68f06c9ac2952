"""The authorisation matrix: every route of the application, from the URL map (so a new route is
covered, or fails until it is added to the tables of route_access.py), asked by an anonymous
visitor, a client, a cashier, a manager, a supervisor, an admin, the web shop's API key and 1C's
exchange credentials, with GET and with each of its write methods (an empty body).

- A door refuses the way it should: a signed-out visitor is sent to /login?next=… (the client's
  pages to /my/login), a signed-in person of another role gets 403, the API and the 1C exchange
  answer 401 to anything but their own credentials; a refused write writes nothing.
- An allowed person is let in: never 401/403, never a server error (a 400/422 for the empty form, a
  404 for a missing object and redirects are fine).
- Another team's ids in the URL, the query or the form are refused with 403/404 by manager A and
  supervisor A, change nothing and show none of team B's names; a manager cannot open a
  colleague's client either. A client's page shows only that client's data.

The data set is built once for the module (route_access.build_world, on an app of its own, emptied
afterwards); each test loops over every route and lists every wrong cell at once. Allowed writes
with an empty body are refused by validation or move an object on (a draft cancelled …), which no
later cell depends on: the doors decide before any state is read.
"""
from __future__ import annotations

import base64

import pytest

from portal import create_app
from portal.extensions import db

from ...conftest import TEST_CONFIG, empty_all_tables
from ...factories import DEFAULT_PASSWORD
from . import route_access as ra

SESSION_BLUEPRINTS = {"auth", "client"}  # their pages may start or end a session


@pytest.fixture(scope="module")
def app(migrated):
    """One app and one data set for the module (the suite's `app` empties the tables after each test)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(app, tmp_path_factory):
    return ra.build_world(app, str(tmp_path_factory.mktemp("matrix") / "sms.jsonl"))


def rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: (r.endpoint, r.rule))


class Visitor:
    """A test client signed in as one principal, able to sign in again after a page ended the session."""

    def __init__(self, app, world: ra.World, principal: str, email: str | None = None):
        self.app, self.world, self.principal = app, world, principal
        self.email = email or world.emails.get(principal)
        self.http = app.test_client()
        self.headers = {"Accept-Language": "en"}
        if principal == "api":
            self.headers["Authorization"] = f"Bearer {world.api_key}"
        elif principal == "onec":
            pair = ":".join(world.onec).encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self.sign_in()

    def sign_in(self) -> None:
        if self.principal == "client":
            response = self.http.get(f"/my/link/{self.world.a['link_token']}", headers=self.headers)
            assert response.status_code == 302 and response.location == "/my/", response.location
        elif self.principal in ra.STAFF_ROLES:
            response = self.http.post("/login", data={"email": self.email, "password": DEFAULT_PASSWORD},
                                      headers=self.headers)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def ask(self, method: str, url: str):
        return self.http.open(url, method=method, headers=self.headers, data={})


def expectation(door: str, allowed: frozenset, principal: str):
    """What the door answers this principal: "ok", "login" (to /login?next=), "client-login", 403 or 401."""
    if principal in allowed:
        return "ok"
    if door == ra.STAFF:
        return 403 if principal in ra.STAFF_ROLES else "login"
    if door == ra.CLIENT:
        return "client-login"
    return 401  # API, ONEC


def problem_with(response, expected, door: str) -> str | None:
    status, location = response.status_code, response.location or ""
    if expected == "ok":
        if status >= 500 or status in (401, 403):
            return f"expected to be let in, got {status}"
        if door == ra.STAFF and location.startswith("/login?next="):
            return "expected to be let in, was sent to sign in"
        if door == ra.CLIENT and location.startswith("/my/login"):
            return "expected to be let in, was sent to the client sign-in"
        return None
    if expected == "login":
        return None if status == 302 and location.startswith("/login?next=") else \
            f"expected 302 to /login?next=…, got {status} {location}"
    if expected == "client-login":
        return None if status == 302 and location.startswith("/my/login") else \
            f"expected 302 to /my/login, got {status} {location}"
    if status != expected:
        return f"expected {expected}, got {status} {location}"
    if status == 403 and "Access denied" not in response.get_data(as_text=True):
        return "a 403 without the 'Access denied' page"
    if door == ra.API and (response.get_json(silent=True) or {}).get("error") != "unauthorized":
        return f"expected the JSON error 'unauthorized', got {response.get_data(as_text=True)[:200]}"
    return None


def leaked(response, names: list[str]) -> list[str]:
    if response.mimetype not in ("text/html", "text/csv", "application/json", "text/plain"):
        return []
    body = response.get_data(as_text=True)
    return [name for name in names if name in body]


def run_matrix(app, world: ra.World, principal: str) -> list[str]:
    """Every cell of one principal's row; the wrong ones, each with why."""
    visitor = Visitor(app, world, principal)
    values = world.own(principal)
    hidden = world.names["b"] + (world.names["colleague"] if principal == "manager" else [])
    problems, denied, allowed = [], [], []
    for rule in rules(app):
        access = ra.access_of(rule.endpoint)
        if access is None:
            problems.append(f"add {rule.endpoint} to the matrix (ACCESS in route_access.py: who may open {rule.rule})")
            continue
        try:
            url = ra.build_url(app, rule, values)
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        door, who = access
        expected = expectation(door, who, principal)
        for method in ra.methods_of(rule):
            (allowed if expected == "ok" else denied).append((rule, method, url, door, expected))
    # Refused cells first: together they must change nothing (every row compared before and after),
    # and each must not even try (no INSERT/UPDATE/DELETE issued while it is answered).
    with app.app_context():
        before = ra.snapshot()
    writes = ra.WriteRecorder(app)
    for n, (rule, method, url, door, expected) in enumerate(
            denied + sorted(allowed, key=lambda c: (c[1] != "GET", c[0].endpoint))):
        if n == len(denied):
            with app.app_context():
                after = ra.snapshot()
            if after != before:
                problems.append(f"{principal}: refused requests changed {ra.changed_tables(before, after)}")
        cell = f"{principal} {method} {url} ({rule.endpoint})"
        writes.clear()
        try:
            response = visitor.ask(method, url)
        except Exception as exc:  # TESTING propagates what would be a 500
            problems.append(f"{cell}: raised {type(exc).__name__}: {exc}")
            with app.app_context():
                db.session.rollback()
            visitor.sign_in()
            continue
        wrong = problem_with(response, expected, door)
        if wrong:
            problems.append(f"{cell}: {wrong}")
        if principal in ("manager", "supervisor") and method == "GET":
            shown = leaked(response, hidden)
            if shown:
                problems.append(f"{cell}: shows another team's {shown}")
        if expected != "ok":
            if writes.statements:
                problems.append(f"{cell}: a refused request wrote: {writes.statements}")
        elif method != "GET" or rule.endpoint.split(".")[0] in SESSION_BLUEPRINTS:
            visitor.sign_in()  # the write (or a sign-in page) may have ended or replaced the session
    writes.stop()
    return problems


@pytest.mark.parametrize("principal", ra.PRINCIPALS)
def test_every_route_answers_each_principal_as_the_matrix_says(app, world, principal):
    problems = run_matrix(app, world, principal)
    assert not problems, f"{len(problems)} wrong cell(s):\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------ another team's ids

# What a route answers manager A / supervisor A for an object of another team (403 unless listed).
IDOR_STATUS = {
    "common.read_notification": 302,  # marks only the reader's own notifications: nothing happens
    # A bulk decision reports each item it could not decide, naming a foreign one by its key only.
    "supervisor.approvals_bulk": 303,
    # Another team's (or a colleague's) task or rule does not exist for this person: 404.
    "manager.task_card": 404, "manager.task_complete": 404, "manager.task_reschedule": 404,
    "manager.task_cancel": 404, "manager.task_new": 404,
    "supervisor.rule_edit": 404, "supervisor.rule_pause": 404, "supervisor.rule_resume": 404,
    "supervisor.rule_runs": 404,
}


def idor_cells(app, values: dict, principal: str):
    for rule in rules(app):
        access = ra.access_of(rule.endpoint)
        wanted = ra.ARGUMENTS.get(rule.endpoint, {})
        keys = {spec for spec in wanted.values() if not spec.startswith("=")}
        if not rule.arguments or access is None or principal not in access[1] or access[0] != ra.STAFF:
            continue
        if not keys or not keys <= set(values):
            continue
        for method in ra.methods_of(rule):
            yield rule.endpoint, method, ra.build_url(app, rule, values), {}
            for variant in ra.VARIANTS.get(rule.endpoint, []):
                yield rule.endpoint, method, ra.build_url(app, rule, values, variant), {}
    for method, endpoint, where, name, key in ra.HIDDEN_IDS:
        access = ra.access_of(endpoint)
        if principal not in access[1] or key not in values:
            continue
        with app.test_request_context():
            from flask import url_for
            if where == "query":
                yield endpoint, method, url_for(endpoint, **{name: values[key]}), {}
            else:
                yield endpoint, method, url_for(endpoint), {name: str(values[key])}


def run_idor(app, world: ra.World, principal: str, values: dict, names: list[str]) -> tuple[list[str], int]:
    visitor = Visitor(app, world, principal)
    problems, count = [], 0
    with app.app_context():
        before = ra.snapshot()
    writes = ra.WriteRecorder(app)
    for endpoint, method, url, form in idor_cells(app, values, principal):
        count += 1
        cell = f"{principal} A {method} {url} {form or ''} ({endpoint})"
        writes.clear()
        try:
            response = visitor.http.open(url, method=method, headers=visitor.headers, data=form)
        except Exception as exc:
            problems.append(f"{cell}: raised {type(exc).__name__}: {exc}")
            continue
        expected = IDOR_STATUS.get(endpoint, 403)
        if response.status_code != expected:
            problems.append(f"{cell}: expected {expected}, got {response.status_code} {response.location or ''}")
        if writes.statements:
            problems.append(f"{cell}: wrote {writes.statements}")
        shown = leaked(response, names)
        if response.location:  # what the next page (with its flash messages) says
            shown += leaked(visitor.http.get(response.location, headers=visitor.headers), names)
        if shown:
            problems.append(f"{cell}: shows {shown}")
    writes.stop()
    with app.app_context():
        after = ra.snapshot()
    if after != before:
        problems.append(f"{principal}: requests with another's ids changed {ra.changed_tables(before, after)}")
    return problems, count


@pytest.mark.parametrize("principal", ["manager", "supervisor"])
def test_another_teams_ids_are_refused_and_change_nothing(app, world, principal):
    problems, count = run_idor(app, world, principal, world.other(), world.names["b"])
    assert count >= 20, count  # every route with a client, order, approval, member … id
    assert not problems, f"{len(problems)} wrong cell(s):\n" + "\n".join(problems)


def test_a_manager_cannot_open_a_colleagues_client_or_order(app, world):
    """Managers see only their own clients (client_directory.visible_manager_ids); the supervisor
    sees the whole team's."""
    problems, count = run_idor(app, world, "manager", world.colleague, world.names["colleague"])
    assert count >= 8, count
    assert not problems, f"{len(problems)} wrong cell(s):\n" + "\n".join(problems)
    supervisor = Visitor(app, world, "supervisor")
    card = supervisor.ask("GET", f"/manager/clients/{world.colleague['client']}")
    assert card.status_code == 200 and world.names["colleague"][0] in card.get_data(as_text=True)


def test_another_shops_cashier_cannot_open_a_shift_report_but_sees_every_sale(app, world):
    """Shift reports are the cashier's own; the base of all sales (SPEC §4) shows every order, so a
    receipt of another shop opens (returns may be taken in any shop)."""
    cashier = Visitor(app, world, "cashier")
    assert cashier.ask("GET", f"/cashier/shifts/{world.b['shift']}").status_code == 404
    assert cashier.ask("GET", f"/cashier/shifts/{world.a['shift']}").status_code == 200
    assert cashier.ask("GET", f"/cashier/receipt/{world.b['order']}").status_code == 200


# ------------------------------------------------------------------------------------------ the client's page

def test_a_clients_page_shows_only_that_clients_data(app, world):
    client = Visitor(app, world, "client")
    page = client.ask("GET", "/my/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vega Alpha Client" in html and world.a["order_number"] in html
    for foreign in world.names["b"] + world.names["colleague"] + ["3,000.00", "150.00"]:
        assert foreign not in html, foreign
    own = client.ask("GET", f"/my/orders/{world.a['confirmed']}/invoice.pdf")
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    for order_id in (world.b["confirmed"], world.b["order"], world.b["draft"]):
        assert client.ask("GET", f"/my/orders/{order_id}/invoice.pdf").status_code == 404
    # The client's session opens no staff page and no API.
    for path in ("/manager/", f"/manager/clients/{world.ids['client']}", "/cashier/", "/admin/", "/supervisor/",
                 "/notifications"):
        response = client.ask("GET", path)
        assert response.status_code == 302 and response.location.startswith("/login?next="), path
    assert client.ask("GET", f"/api/v1/clients/{world.ids['client']}").status_code == 401
