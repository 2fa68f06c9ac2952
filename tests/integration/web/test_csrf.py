"""Every state-changing request is refused without its CSRF token.

The routes are not listed by hand: every rule of `app.url_map` with POST/PUT/PATCH/DELETE is
posted without a token by a person allowed to use it (the authorisation matrix's tables and data
set, tests/integration/web/route_access.py), and must answer 400 with nothing changed in the
database. Only the web-shop API (bearer keys, JSON, no cookie session) and the 1C exchange (HTTP
Basic) are exempt, and exactly those two.
"""
import re

import pytest
import sqlalchemy as sa

from portal.extensions import csrf, db

from ...factories import DEFAULT_PASSWORD, make_staff
from . import route_access as matrix

pytestmark = pytest.mark.csrf

EXEMPT_BLUEPRINTS = {"api", "onec"}
# Who posts to each door: an allowed staff role (first of these), the client, or nobody signed in.
STAFF_PREFERENCE = ("manager", "supervisor", "cashier", "admin")
SIGNED_IN_PUBLIC = {"client.logout": "client"}  # public doors that only mean something signed in


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _sign_in_staff(app, email: str):
    http = app.test_client()
    token = _token(http.get("/login").get_data(as_text=True))
    response = http.post("/login", data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, email
    return http


def _principal(endpoint: str) -> str:
    access = matrix.access_of(endpoint)
    assert access is not None, f"add {endpoint} to the matrix (ACCESS in tests/integration/web/route_access.py)"
    door, allowed = access
    if door == matrix.STAFF:
        return next(role for role in STAFF_PREFERENCE if role in allowed)
    if door == matrix.CLIENT:
        return "client"
    return SIGNED_IN_PUBLIC.get(endpoint, "anonymous")


def _still_signed_in(http, principal: str) -> bool:
    if principal == "anonymous":
        return True
    if principal == "client":
        return http.get("/my/").status_code == 200
    return http.get("/notifications").status_code == 200


def _row_counts(app) -> dict[str, int]:
    """Rows per table, in one query."""
    with app.app_context():
        tables = db.metadata.sorted_tables
        query = " UNION ALL ".join(f"SELECT '{t.name}', COUNT(*) FROM \"{t.name}\"" for t in tables)
        counts = dict(db.session.execute(sa.text(query)).all())
        db.session.rollback()
        return counts


def test_every_state_changing_route_refuses_a_request_without_the_token(app, tmp_path):
    world = matrix.build_world(app, str(tmp_path / "sms.log"))
    browsers = {role: _sign_in_staff(app, world.emails[role]) for role in STAFF_PREFERENCE}
    browsers["anonymous"] = app.test_client()
    browsers["client"] = app.test_client()
    assert browsers["client"].get(f"/my/link/{world.a['link_token']}").location == "/my/"
    with app.app_context():
        everything = matrix.snapshot()
    checked, problems = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = matrix.write_methods(rule)
        if not methods or rule.endpoint.split(".", 1)[0] in EXEMPT_BLUEPRINTS:
            continue
        try:  # a route the matrix does not know fails the test ("add it"); the others are still checked
            principal = _principal(rule.endpoint)
            url = matrix.build_url(app, rule, world.own(principal))
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        http = browsers[principal]
        for method in methods:
            before = _row_counts(app)
            response = http.open(url, method=method, data={})
            after = _row_counts(app)
            changed = [name for name in after if after[name] != before[name]]
            checked.append(f"{method} {rule.rule}")
            if response.status_code != 400 or "The form has expired" not in response.get_data(as_text=True):
                problems.append(f"{method} {url} as {principal}: {response.status_code}, not 400")
            if changed:
                problems.append(f"{method} {url} as {principal} changed {changed}")
    # nobody was signed out (/logout and /my/logout refused too)
    problems += [f"{who} was signed out" for who, http in browsers.items() if not _still_signed_in(http, who)]
    with app.app_context():  # and, row by row, nothing changed anywhere (beyond the sign-ins' bookkeeping)
        problems += [f"{name} changed" for name in matrix.changed_tables(everything, matrix.snapshot())]
    assert not problems, problems
    assert len(checked) >= 50 and "POST /login" in checked and "POST /my/logout" in checked


def test_only_the_api_and_the_1c_exchange_are_exempt(app):
    assert {bp.name for bp in csrf._exempt_blueprints} == EXEMPT_BLUEPRINTS
    assert not csrf._exempt_views
    writing = {rule.endpoint.split(".", 1)[0] for rule in app.url_map.iter_rules() if matrix.write_methods(rule)}
    assert writing >= EXEMPT_BLUEPRINTS


def test_the_api_ignores_a_signed_in_session_so_csrf_cannot_matter_there(app, client):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    http = _sign_in_staff(app, "a@example.com")
    assert http.get("/admin/").status_code == 200
    for method, path in (("GET", "/api/v1/products"), ("POST", "/api/v1/clients"), ("GET", "/api/v1/clients/1")):
        response = http.open(path, method=method, json={"name": "X", "phone": "+79161112233"},
                             headers={"Idempotency-Key": "k1"})
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized", path


def test_login_without_a_token_is_refused(app, client):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in


def test_login_with_the_token_works(app, client):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_a_state_changing_post_with_the_token_works(app):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    http = _sign_in_staff(app, "a@example.com")
    token = _token(http.get("/admin/staff/new").get_data(as_text=True))
    response = http.post("/admin/locations/new", data={"code": "Z1", "name": "Zeta", "kind": "shop", "active": "y",
                                                       "csrf_token": token})
    assert response.status_code in (302, 303)
    assert "Zeta" in http.get("/admin/locations").get_data(as_text=True)
    response = http.post("/logout", data={"csrf_token": token})
    assert response.location == "/login" and http.get("/admin/").status_code == 302
