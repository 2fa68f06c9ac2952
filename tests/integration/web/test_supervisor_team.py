"""The supervisor's team directory through the pages: figures, search, password reset (shown
once, old sessions end), deactivation and reactivation, and who may do any of it."""
import re

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.models import AuditEvent, Channel, Order, OrderStatus, User

from ...factories import DEFAULT_PASSWORD, make_client, make_staff


def _new_password(html: str) -> str:
    match = re.search(r'data-testid="new-password">([^<]+)<', html)
    assert match, html
    return match.group(1).strip()


def _row(html: str, manager_id: int) -> str:
    match = re.search(rf'<tr class="[^"]*" data-manager="{manager_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for manager {manager_id}"
    return match.group(1)


def _cell(row: str, testid: str) -> str:
    inner = re.search(rf'data-testid="{testid}">(.*?)</(?:td|a)>', row, re.S).group(1)
    return re.sub(r"<[^>]+>", "", inner).strip()


def _signed_in(app, email: str):
    browser = app.test_client()
    assert browser.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302
    return browser


@pytest.fixture
def team(app, client):
    """Sonia (signed in) leads Anna and Boris; Olga leads Stan. Orders of every state for Anna's
    client by Anna (4 open), a draft by Boris for Anna's client (open for both), a confirmed one by
    Stan for Anna's client (open for Anna); Stan's own draft counts for nobody here."""
    with app.app_context():
        boss = make_staff("supervisor", name="Sonia Boss", email="sonia@example.com")
        anna = make_staff("manager", name="Anna Petrova", email="anna@example.com", phone="+79165551234",
                          supervisor=boss)
        boris = make_staff("manager", name="Boris Orlov", email="boris@example.com", phone="+79031112233",
                           supervisor=boss)
        olga = make_staff("supervisor", name="Olga Other")
        stan = make_staff("manager", name="Stan Stranger", email="stan@example.com", supervisor=olga)
        mine = make_client(manager=anna, name="Anna's client")
        make_client(manager=anna, name="Anna's second client")
        theirs = make_client(manager=stan, name="Stan's client")
        for status in OrderStatus:
            db.session.add(Order(channel=Channel.MANAGER, status=status, client_id=mine.id, created_by_id=anna.id))
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.DRAFT, client_id=mine.id,
                             created_by_id=boris.id))
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=mine.id,
                             created_by_id=stan.id))
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.DRAFT, client_id=theirs.id,
                             created_by_id=stan.id))
        db.session.commit()
        ids = {"boss": boss.id, "anna": anna.id, "boris": boris.id, "olga": olga.id, "stan": stan.id}
    assert client.post("/login", data={"email": "sonia@example.com", "password": DEFAULT_PASSWORD}).status_code == 302
    return ids


def test_the_directory_shows_each_managers_figures_and_no_other_team(client, team):
    response = client.get("/supervisor/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    anna, boris = _row(html, team["anna"]), _row(html, team["boris"])
    assert (_cell(anna, "open-orders"), _cell(anna, "clients"), _cell(anna, "login")) == ("6", "2", "anna@example.com")
    assert (_cell(boris, "open-orders"), _cell(boris, "clients"), _cell(boris, "login")) == ("1", "0", "boris@example.com")
    assert "+7 916 555-12-34" in anna  # the phone, as people write it
    assert "never" in anna  # no sign-in yet
    assert "Stan Stranger" not in html
    assert 'data-testid="team-size">2<' in html


def test_last_sign_in_is_shown(app, client, team):
    _signed_in(app, "anna@example.com")
    row = _row(client.get("/supervisor/").get_data(as_text=True), team["anna"])
    assert "never" not in row


@pytest.mark.parametrize("query, found, not_found", [
    ("petrova", "Anna Petrova", "Boris Orlov"),
    ("boris@", "Boris Orlov", "Anna Petrova"),
    ("903 111", "Boris Orlov", "Anna Petrova"),
    ("8 916 555 12 34", "Anna Petrova", "Boris Orlov"),
])
def test_search_by_name_email_or_phone(client, team, query, found, not_found):
    html = client.get("/supervisor/", query_string={"q": query}).get_data(as_text=True)
    assert found in html and not_found not in html
    assert f'value="{query}"' in html  # what was typed stays in the field


def test_a_search_that_finds_nobody_says_so(client, team):
    html = client.get("/supervisor/?q=stan").get_data(as_text=True)
    assert "Nobody matches the search." in html and "Stan Stranger" not in html


def test_reset_password_is_shown_once_and_the_old_session_ends(app, client, team):
    anna_browser = _signed_in(app, "anna@example.com")
    assert anna_browser.get("/manager/").status_code == 200
    response = client.post(f"/supervisor/team/{team['anna']}/reset-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    password = _new_password(html)
    assert "anna@example.com" in html  # the login to give with it
    assert anna_browser.get("/manager/").status_code == 302  # signed out everywhere
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "anna@example.com", "password": DEFAULT_PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"email": "anna@example.com", "password": password}).status_code == 302
    with app.app_context():
        user = db.session.get(User, team["anna"])
        assert password not in user.password_hash
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "password_reset"))
        assert (event.actor_id, event.object_id) == (team["boss"], team["anna"])
    # Never shown again.
    assert password not in client.get("/supervisor/").get_data(as_text=True)
    assert password not in client.get("/supervisor/bonus").get_data(as_text=True)


def test_deactivate_and_reactivate_a_manager(app, client, team):
    boris_browser = _signed_in(app, "boris@example.com")
    response = client.post(f"/supervisor/team/{team['boris']}/active", data={"active": "0", "q": "orlov"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/supervisor/?q=orlov")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Boris Orlov is deactivated and signed out everywhere." in html
    assert "deactivated" in _row(html, team["boris"])
    assert boris_browser.get("/manager/").status_code == 302
    assert app.test_client().post("/login", data={"email": "boris@example.com",
                                                  "password": DEFAULT_PASSWORD}).status_code == 401
    response = client.post(f"/supervisor/team/{team['boris']}/active", data={"active": "1"}, follow_redirects=True)
    assert "Boris Orlov can sign in again." in response.get_data(as_text=True)
    assert app.test_client().post("/login", data={"email": "boris@example.com",
                                                  "password": DEFAULT_PASSWORD}).status_code == 302
    with app.app_context():
        actions = list(db.session.scalars(db.select(AuditEvent.action).where(
            AuditEvent.object_id == team["boris"], AuditEvent.actor_id == team["boss"]).order_by(AuditEvent.id)))
        assert actions == ["staff_deactivated", "staff_activated"]


def test_a_refusal_of_the_staff_service_is_shown_and_nothing_changes(app, client, team, monkeypatch):
    # No rule of staff.set_active refuses a team's manager today; whatever it refuses is shown as it says.
    def refuse(actor, user_id, active):
        raise DomainError("Hand over the manager's clients first.")

    monkeypatch.setattr("portal.services.staff.staff.set_active", refuse)
    response = client.post(f"/supervisor/team/{team['anna']}/active", data={"active": "0"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Hand over the manager&#39;s clients first." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, team["anna"]).active


def test_another_teams_manager_is_403_and_untouched(app, client, team):
    with app.app_context():
        stan_hash = db.session.get(User, team["stan"]).password_hash
    assert client.post(f"/supervisor/team/{team['stan']}/reset-password").status_code == 403
    assert client.post(f"/supervisor/team/{team['stan']}/active", data={"active": "0"}).status_code == 403
    for outsider in (team["olga"], team["boss"]):  # a supervisor is nobody's team member
        assert client.post(f"/supervisor/team/{outsider}/reset-password").status_code == 403
        assert client.post(f"/supervisor/team/{outsider}/active", data={"active": "0"}).status_code == 403
    assert client.post("/supervisor/team/999999/reset-password").status_code == 404
    with app.app_context():
        stan = db.session.get(User, team["stan"])
        assert stan.active and stan.password_hash == stan_hash
        assert db.session.get(User, team["boss"]).active
        assert db.session.get(User, team["olga"]).active


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_managers_and_cashiers_get_403(app, login, client, team, role):
    client.post("/logout")
    login(role)
    assert client.get("/supervisor/").status_code == 403
    assert client.post(f"/supervisor/team/{team['anna']}/reset-password").status_code == 403
    assert client.post(f"/supervisor/team/{team['anna']}/active", data={"active": "0"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, team["anna"]).active


def test_a_team_members_own_manager_cannot_act_either(app, client, team):
    client.post("/logout")
    anna = _signed_in(app, "anna@example.com")
    assert anna.post(f"/supervisor/team/{team['boris']}/reset-password").status_code == 403


@pytest.mark.csrf
def test_the_actions_need_the_csrf_token(app, client):
    with app.app_context():
        boss = make_staff("supervisor", email="boss@example.com")
        anna = make_staff("manager", supervisor=boss)
        anna_id = anna.id
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": "boss@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert client.post(f"/supervisor/team/{anna_id}/reset-password").status_code == 400
    assert client.post(f"/supervisor/team/{anna_id}/active", data={"active": "0"}).status_code == 400
    page = client.get("/supervisor/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"/supervisor/team/{anna_id}/active", data={"active": "0", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, anna_id).active
