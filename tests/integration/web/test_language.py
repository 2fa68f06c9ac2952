"""Russian, Ukrainian and English: browser default, a remembered switch, money and dates."""
from datetime import UTC, datetime

from flask_babel import force_locale

from portal.extensions import db
from portal.i18n import money, percent_bp
from portal.models import User

from ...factories import DEFAULT_PASSWORD, make_staff


def test_the_browser_language_is_the_default(client):
    assert "Войти" in client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Увійти" in client.get("/login", headers={"Accept-Language": "uk,en;q=0.5"}).get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)


def test_an_unsupported_browser_language_falls_back_to_the_default(client):
    html = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en">' in html  # the test configuration's default


def test_switching_is_remembered_for_the_user(app, client):
    with app.app_context():
        user = make_staff("manager", email="lang@example.com")
        user_id = user.id
    client.post("/login", data={"email": "lang@example.com", "password": DEFAULT_PASSWORD})
    response = client.post("/language", data={"locale": "uk", "next": "/manager/"})
    assert response.location == "/manager/"
    assert "Мої клієнти" in client.get("/manager/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).locale == "uk"
    # Another browser, another day: the choice follows the user, not the browser.
    other = app.test_client()
    other.post("/login", data={"email": "lang@example.com", "password": DEFAULT_PASSWORD},
               headers={"Accept-Language": "en"})
    assert "Мої клієнти" in other.get("/manager/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_switching_before_sign_in_applies_to_the_login_page(client):
    client.post("/language", data={"locale": "ru"})
    assert "Войти" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    response = client.post("/language", data={"locale": "xx", "next": "https://evil.example"})
    assert response.location == "/"


def test_money_and_percent_follow_the_locale(app):
    with app.test_request_context():
        with force_locale("ru"):
            assert money(123456) == "1\u00a0234,56\u00a0₽"
            assert percent_bp(550) == "5,5\u00a0%"
        with force_locale("uk"):
            assert money(123456) == "1\u00a0234,56\u00a0₽"
        with force_locale("en"):
            assert money(123456) == "1,234.56\u00a0₽"
            assert percent_bp(1000) == "10\u00a0%"
            assert money(0) == "0.00\u00a0₽"
            assert money(5) == "0.05\u00a0₽"


def test_hryvnia_for_a_ukrainian_company(app):
    app.config["PORTAL_CURRENCY"] = "UAH"
    with app.test_request_context(), force_locale("uk"):
        assert money(100) == "1,00\u00a0₴"


def test_dates_follow_the_locale(app):
    moment = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 2 March 00:30 in Moscow
    with app.test_request_context():
        render = app.jinja_env.from_string("{{ d|date }}")
        with force_locale("ru"):
            assert "2 мар" in render.render(d=moment)
        with force_locale("en"):
            assert "Mar 2, 2026" in render.render(d=moment)
