"""Signing in and out: landing pages, generic errors, lock-out, session endings."""
from datetime import timedelta

import pytest

from portal.config import from_environment
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
    for _attempt in range(9):
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


# ----------------------------------------------------------------------------- Argon2id

def _sign_in(client, email, password=DEFAULT_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _stored_hash(app, email):
    with app.app_context():
        return staff.find_by_email(email).password_hash


def test_argon2id_is_the_default_and_an_account_made_under_it_signs_in(app, client, tmp_path, monkeypatch):
    for name in ("PASSWORD_HASH_METHOD", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST"):
        monkeypatch.delenv(name, raising=False)
    defaults = from_environment(str(tmp_path))
    assert (defaults["PASSWORD_HASH_METHOD"], defaults["ARGON2_TIME_COST"], defaults["ARGON2_MEMORY_COST"]) == (
        "argon2id", 3, 65536)
    monkeypatch.setenv("ARGON2_TIME_COST", "4")
    monkeypatch.setenv("ARGON2_MEMORY_COST", "131072")
    configured = from_environment(str(tmp_path))
    assert (configured["ARGON2_TIME_COST"], configured["ARGON2_MEMORY_COST"]) == (4, 131072)
    app.config.update({key: defaults[key] for key in ("PASSWORD_HASH_METHOD", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST")})
    with app.app_context():
        email = make_staff("manager").email
    stored = _stored_hash(app, email)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and DEFAULT_PASSWORD not in stored
    assert _sign_in(client, email).location == "/manager/"
    assert client.get("/manager/").status_code == 200
    assert _stored_hash(app, email) == stored  # a current hash is kept as it is


@pytest.mark.parametrize("old_method", ["scrypt", "pbkdf2:sha256:1000"])
def test_an_old_werkzeug_hash_still_signs_in_and_becomes_argon2id_at_that_sign_in(app, client, old_method):
    app.config["PASSWORD_HASH_METHOD"] = old_method
    with app.app_context():
        email = make_staff("admin").email
    old = _stored_hash(app, email)
    assert old.startswith(old_method.split(":")[0] + ":")
    app.config["PASSWORD_HASH_METHOD"] = "argon2id"
    assert _sign_in(client, email, "wrong-password").status_code == 401
    assert _stored_hash(app, email) == old  # a wrong password upgrades nothing
    with app.app_context():  # nor does the right one on a deactivated account
        user = staff.find_by_email(email)
        user.active = False
        db.session.commit()
    assert _sign_in(client, email).status_code == 401
    assert _stored_hash(app, email) == old
    with app.app_context():
        staff.find_by_email(email).active = True
        db.session.commit()
    assert _sign_in(client, email).location == "/admin/"
    upgraded = _stored_hash(app, email)
    assert upgraded.startswith("$argon2id$") and upgraded != old
    with app.app_context():
        user = staff.find_by_email(email)
        assert user.failed_logins == 0 and user.last_login_at is not None  # recorded in the same commit
        assert auth.check_password_hash(upgraded, DEFAULT_PASSWORD) and not auth.password_needs_rehash(upgraded)
    client.post("/logout")
    assert _sign_in(client, email).location == "/admin/"  # and signs in again with the new hash
    assert _stored_hash(app, email) == upgraded


def test_an_argon2id_hash_with_outdated_costs_is_rehashed_at_the_next_sign_in(app, client):
    app.config.update(PASSWORD_HASH_METHOD="argon2id", ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8192)
    with app.app_context():
        email = make_staff("admin").email
    old = _stored_hash(app, email)
    assert old.startswith("$argon2id$v=19$m=8192,t=1,")
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=16384)
    assert _sign_in(client, email, "wrong-password").status_code == 401
    assert _stored_hash(app, email) == old  # a wrong password upgrades nothing
    assert _sign_in(client, email).location == "/admin/"  # the old costs still verify ...
    assert _stored_hash(app, email).startswith("$argon2id$v=19$m=16384,t=2,")  # ... and are replaced


def test_an_unknown_email_is_checked_against_a_hash_made_as_real_accounts_are(app, client, monkeypatch):
    checked = []
    real_check = auth.check_password_hash

    def spy(stored, plain):
        checked.append(stored)
        return real_check(stored, plain)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    app.config.update(PASSWORD_HASH_METHOD="argon2id", ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=8192)
    with app.app_context():
        email = make_staff("manager").email
    assert _sign_in(client, "nobody@example.com").status_code == 401
    assert _sign_in(client, email, "wrong-password").status_code == 401
    dummy, real = checked
    assert dummy.startswith("$argon2id$v=19$m=8192,t=2,") and dummy.split("$")[3] == real.split("$")[3]
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"  # the dummy follows the setting
    assert _sign_in(client, "nobody@example.com").status_code == 401
    assert checked[-1].startswith("pbkdf2:sha256:1000$")
