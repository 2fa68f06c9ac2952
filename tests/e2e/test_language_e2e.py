"""The interface language: the browser's by default, switched with the RU/UK/EN buttons, and
remembered for the signed-in person in any browser afterwards."""
import pytest

from ..factories import DEFAULT_PASSWORD, make_staff
from .support import expect, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

LOGIN_BUTTON = ".login-card form button[type=submit]"


def test_language_follows_the_browser_then_the_switch_then_the_user(app, live_server, open_page):
    with app.app_context():
        email = make_staff("manager").email

    # A Ukrainian browser gets the login page in Ukrainian.
    page = open_page(locale="uk-UA")
    page.goto(live_server + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator(LOGIN_BUTTON)).to_have_text("Увійти")
    expect(page.locator(".langs button[value=uk]")).to_have_attribute("aria-pressed", "true")

    # The RU button switches the page to Russian and stays on the login page.
    page.click(".langs button[value=ru]")
    expect(page.locator(LOGIN_BUTTON)).to_have_text("Войти")
    expect(page).to_have_url(live_server + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # Signing in keeps the Russian chosen before; EN switches the cabinet to English.
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/manager/")
    expect(page.locator("main h1")).to_have_text("Мои клиенты")
    page.click(".langs button[value=en]")
    expect(page.locator("main h1")).to_have_text("My clients")
    expect(page).to_have_url(live_server + "/manager/")

    sign_out(page)
    expect(page).to_have_url(live_server + "/login")

    # Another browser that asks for Ukrainian: the login page is Ukrainian (nobody is known yet),
    # but once signed in the person's own choice, English, wins.
    other = open_page(locale="uk-UA", extra_http_headers={"Accept-Language": "uk"})
    other.goto(live_server + "/login")
    expect(other.locator(LOGIN_BUTTON)).to_have_text("Увійти")
    sign_in(other, live_server, email, DEFAULT_PASSWORD)
    expect(other).to_have_url(live_server + "/manager/")
    expect(other.locator("main h1")).to_have_text("My clients")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.get_by_role("button", name="Sign out")).to_be_visible()
