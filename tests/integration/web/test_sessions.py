"""Server-side sessions: signing out ends the session for good (a cookie copied before opens
nothing after), only that session ends, a reset ends them all, a staff session idle longer than
SESSION_IDLE_MINUTES ends; session cookies are HttpOnly, SameSite=Lax and Secure over HTTPS
(directly or behind a trusted proxy)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.config import from_environment
from portal.extensions import db
from portal.models import ClientSession, StaffSession, utcnow

from ...conftest import TEST_CONFIG
from ...factories import DEFAULT_PASSWORD, make_client, make_staff


def _sign_in(http, email, **kwargs):
    response = http.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _copy(http, app):
    """A second browser holding a copy of `http`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", http.get_cookie("session").value)
    return thief


@pytest.fixture
def admin_email(app):
    with app.app_context():
        return make_staff("admin").email


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, client, admin_email):
    _sign_in(client, admin_email)
    thief = _copy(client, app)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").location == "/login"
    replay = thief.get("/admin/")
    assert replay.status_code == 302 and replay.location.startswith("/login")
    with app.app_context():
        row = db.session.scalar(sa.select(StaffSession))
        assert row.ended_at is not None


def test_sign_out_ends_only_its_own_session(app, client, admin_email):
    _sign_in(client, admin_email)
    laptop = app.test_client()
    _sign_in(laptop, admin_email, environ_base={"REMOTE_ADDR": "10.1.2.3"}, headers={"User-Agent": "Laptop/1"})
    client.post("/logout")
    assert client.get("/admin/").status_code == 302
    assert laptop.get("/admin/").status_code == 200  # the other device stays signed in
    with app.app_context():
        rows = db.session.scalars(sa.select(StaffSession).order_by(StaffSession.id)).all()
        assert [row.ended_at is None for row in rows] == [False, True]
        assert (rows[1].ip, rows[1].user_agent) == ("10.1.2.3", "Laptop/1")


def test_a_password_reset_ends_every_session_of_that_person(app, client, admin_email):
    with app.app_context():
        target = make_staff("cashier")
        target_email, target_id = target.email, target.id
    phone, desk = app.test_client(), app.test_client()
    _sign_in(phone, target_email)
    _sign_in(desk, target_email)
    assert phone.get("/cashier/").status_code == 200
    _sign_in(client, admin_email)
    assert client.post(f"/admin/staff/{target_id}/reset-password").status_code == 200
    for device in (phone, desk):
        assert device.get("/cashier/").status_code == 302


def test_the_session_row_is_found_by_one_indexed_lookup_and_keeps_no_readable_token(app, client, admin_email):
    _sign_in(client, admin_email)
    with client.session_transaction() as session:
        session_id = session["_user_id"]
    token = session_id.split(":")[2]
    with app.app_context():
        from portal.services.staff import auth
        statements = []

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        db.session.rollback()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert auth.load_session_user(session_id).email == admin_email
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1 and "staff_sessions.token_hash" in selects[0]
        assert token not in repr(db.session.execute(sa.select(StaffSession.__table__)).all())
        assert auth.load_session_user(session_id.rsplit(":", 1)[0] + ":forged") is None
        assert auth.load_session_user("1:1") is None  # the old cookie shape opens nothing


# ----------------------------------------------------------------------------- the client's page

@pytest.fixture
def link(app):
    with app.app_context():
        from portal.services.clients import access
        client_id = make_client(phone="+79161112233").id
        return access.signed_link(client_id).split("/my/", 1)[1], client_id


def test_client_sign_out_ends_the_bonus_page_session(app, client, link):
    path, client_id = link
    assert client.get("/my/" + path).location == "/my/"
    assert client.get("/my/").status_code == 200
    thief = _copy(client, app)
    other_device = app.test_client()
    other_device.get("/my/" + path)
    assert client.post("/my/logout").location == "/my/login"
    assert client.get("/my/").location == "/my/login"
    assert thief.get("/my/").location == "/my/login"  # the copied cookie no longer opens the page
    assert other_device.get("/my/").status_code == 200  # the client's other device stays
    with app.app_context():
        rows = db.session.scalars(sa.select(ClientSession).order_by(ClientSession.id)).all()
        assert [(row.client_id, row.ended_at is None) for row in rows] == [(client_id, False), (client_id, True)]


def test_a_client_session_cookie_with_a_forged_token_opens_nothing(app, client, link):
    client.get("/my/" + link[0])
    with client.session_transaction() as session:
        session["client_session"] = "forged"
    assert client.get("/my/").location == "/my/login"


# ----------------------------------------------------------------------------- cookie flags

def _session_cookie(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_session_cookies_are_httponly_lax_and_secure_only_over_https(app, client, admin_email, link):
    plain = _session_cookie(_sign_in(client, admin_email))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = _session_cookie(_sign_in(app.test_client(), admin_email, base_url="https://portal.example"))
    assert "HttpOnly" in secure and "SameSite=Lax" in secure and "Secure" in secure
    client_page = _session_cookie(app.test_client().get("/my/" + link[0], base_url="https://portal.example"))
    assert "HttpOnly" in client_page and "SameSite=Lax" in client_page and "Secure" in client_page
    # SESSION_COOKIE_SECURE=1 makes it Secure even on plain HTTP (a TLS-terminating proxy not declared)
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in _session_cookie(_sign_in(app.test_client(), admin_email))


def test_behind_a_trusted_https_proxy_the_cookie_is_secure_and_hsts_is_sent(app, admin_email, migrated):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    for hops in (0, 1):
        proxied = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "WTF_CSRF_ENABLED": False,
                              "PORTAL_PROXY_FIX": hops})
        http = proxied.test_client()
        response = _sign_in(http, admin_email, headers=forwarded)
        cookie = _session_cookie(response)
        page = http.get("/admin/", headers=forwarded)
        if hops:
            assert "Secure" in cookie and page.headers["Strict-Transport-Security"].startswith("max-age=")
            with proxied.app_context():
                assert db.session.scalars(sa.select(StaffSession.ip)).all()[-1] == "198.51.100.4"
        else:  # nobody trusted: the headers are a client's claim and change nothing
            assert "Secure" not in cookie and "Strict-Transport-Security" not in page.headers
        with proxied.app_context():
            db.engine.dispose()


# ----------------------------------------------------------------------------- idle timeout

def _idle_for(app, idle: timedelta) -> datetime:
    """Time travel: every staff session was last seen `idle` ago. Returns that moment."""
    with app.app_context():
        seen = utcnow() - idle
        db.session.execute(sa.update(StaffSession).values(last_seen_at=seen))
        db.session.commit()
        return seen


def _only_session(app) -> StaffSession:
    with app.app_context():
        return db.session.scalars(sa.select(StaffSession)).one()


def test_a_session_idle_just_under_the_limit_still_works_and_is_touched(app, client, admin_email):
    assert app.config["SESSION_IDLE_MINUTES"] == 480
    _sign_in(client, admin_email)
    seen = _idle_for(app, timedelta(minutes=480) - timedelta(seconds=30))
    before = utcnow()
    assert client.get("/admin/").status_code == 200
    row = _only_session(app)
    assert row.ended_at is None and row.last_seen_at >= before > seen
    # Seen again within the touch interval: not written (at most one write every five minutes).
    seen = _idle_for(app, timedelta(minutes=4))
    assert client.get("/admin/").status_code == 200
    assert _only_session(app).last_seen_at == seen


def test_a_session_idle_over_the_limit_is_refused_and_its_row_ended(app, client, admin_email):
    _sign_in(client, admin_email)
    _idle_for(app, timedelta(minutes=480, seconds=30))
    page = client.get("/admin/")
    assert page.status_code == 302 and page.location.startswith("/login?next=")  # as any signed-out visitor
    assert _only_session(app).ended_at is not None
    _idle_for(app, timedelta(0))  # ended for good: coming back to life opens nothing
    assert client.get("/admin/").status_code == 302
    assert _sign_in(client, admin_email).location == "/admin/"  # signing in again works
    assert client.get("/admin/").status_code == 200


def test_an_idle_limit_shorter_than_the_touch_interval_is_touched_at_a_tenth_of_it(app, client, admin_email):
    app.config["SESSION_IDLE_MINUTES"] = 2  # last_seen_at written every 12 s instead of every 5 min
    _sign_in(client, admin_email)
    _idle_for(app, timedelta(seconds=90))
    before = utcnow()
    assert client.get("/admin/").status_code == 200
    assert _only_session(app).last_seen_at >= before
    _idle_for(app, timedelta(seconds=121))
    assert client.get("/admin/").status_code == 302
    assert _only_session(app).ended_at is not None


def test_the_idle_limit_defaults_to_480_minutes_and_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_IDLE_MINUTES", raising=False)
    assert from_environment(str(tmp_path))["SESSION_IDLE_MINUTES"] == 480
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "30")
    assert from_environment(str(tmp_path))["SESSION_IDLE_MINUTES"] == 30
