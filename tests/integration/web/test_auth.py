"""Signing in and out: landing pages, generic errors, lock-out, session endings."""
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, User, utcnow
from portal.services.staff import auth, staff

from ...factories import DEFAULT_PASSWORD, make_staff

GENERIC = "Wrong e-mail or password, or the account is temporarily locked"


@pytest.mark.parametrize("role, home", [
    ("manager", "/manager/"), ("supervisor", "/supervisor/"), ("cashier", "/cashier/"), ("admin", "/admin/"),
])
def test_each_role_lands_on_its_own_cabinet(app, client, role, home):
    with app.app_context():
        user = make_staff(role)
        email = user.email
    response = client.post("/login", data={"email": email.upper() + "  ", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.location == home
    page = client.get(home)
    assert page.status_code == 200
    assert "Sign out" in page.get_data(as_text=True)
    # The root sends a signed-in user home as well.
    assert client.get("/").location == home


def test_login_page_has_the_agreed_field_names(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html


def test_wrong_password_and_unknown_email_read_the_same(app, client):
    with app.app_context():
        make_staff("manager", email="known@example.com")
    wrong = client.post("/login", data={"email": "known@example.com", "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.get_data(as_text=True)
    assert GENERIC in unknown.get_data(as_text=True)
    # What was typed stays in the form.
    assert 'value="known@example.com"' in wrong.get_data(as_text=True)


def test_ten_failures_lock_the_account_for_fifteen_minutes(ctx):
    user = make_staff("cashier", email="till@example.com")
    start = utcnow()
    for attempt in range(9):
        assert auth.authenticate("till@example.com", "bad-password", now=start) is None
    assert not auth.is_locked(db.session.get(User, user.id), start)
    assert auth.authenticate("till@example.com", "bad-password", now=start) is None  # the tenth
    locked = db.session.get(User, user.id)
    assert locked.locked_until == start + timedelta(minutes=15)
    # Even the right password is refused while locked ...
    assert auth.authenticate("till@example.com", DEFAULT_PASSWORD, now=start + timedelta(minutes=14)) is None
    # ... and accepted once the 15 minutes are over.
    assert auth.authenticate("till@example.com", DEFAULT_PASSWORD, now=start + timedelta(minutes=15, seconds=1))
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "login_locked")) == 1


def test_a_locked_account_shows_the_generic_message(app, client):
    with app.app_context():
        make_staff("manager", email="m@example.com")
    for _ in range(10):
        client.post("/login", data={"email": "m@example.com", "password": "bad-password"})
    response = client.post("/login", data={"email": "m@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 401
    assert GENERIC in response.get_data(as_text=True)


def test_success_resets_the_failure_count(ctx):
    user = make_staff("manager", email="count@example.com")
    for _ in range(9):
        auth.authenticate("count@example.com", "bad-password")
    assert auth.authenticate("count@example.com", DEFAULT_PASSWORD) is not None
    for _ in range(9):
        auth.authenticate("count@example.com", "bad-password")
    assert db.session.get(User, user.id).locked_until is None


def test_a_deactivated_user_cannot_sign_in(app, client):
    with app.app_context():
        admin = make_staff("admin")
        user = make_staff("manager", email="gone@example.com")
        staff.set_active(admin, user.id, False)
    response = client.post("/login", data={"email": "gone@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


def test_logout_ends_the_session(client, login):
    login("manager")
    assert client.get("/manager/").status_code == 200
    assert client.post("/logout").status_code == 302
    after = client.get("/manager/")
    assert after.status_code == 302 and after.location.startswith("/login")


def test_deactivation_ends_open_sessions(app, client, login):
    user_id = login("manager")
    with app.app_context():
        admin = make_staff("admin")
        staff.set_active(admin, user_id, False)
    assert client.get("/manager/").status_code == 302


def test_next_only_leads_to_local_pages(app, client):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    outside = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD,
                                          "next": "https://evil.example/"})
    assert outside.location == "/admin/"
    client.post("/logout")
    inside = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD,
                                         "next": "/admin/staff"})
    assert inside.location == "/admin/staff"


def test_passwords_are_stored_hashed(ctx):
    user = make_staff("manager")
    assert DEFAULT_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")
