"""Signing in on a shop tablet: every role lands in its own cabinet, which fits 768 px and has
finger-sized controls; wrong passwords and other roles' pages are refused."""
import pytest

from ..factories import DEFAULT_PASSWORD, make_location, make_staff
from .support import assert_no_horizontal_overflow, assert_topbar_touch_targets, expect, sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]


def _make_user(role: str) -> tuple[str, str, str]:
    """Create a staff member; return (e-mail, name, what their cabinet must show)."""
    if role == "cashier":
        shop = make_location("shop", name="Riverside shop", address="1 River Street")
        user = make_staff("cashier", shop=shop)
        return user.email, user.name, "Riverside shop"
    user = make_staff(role)
    heading = {"manager": "My clients", "supervisor": "My team", "admin": "Administration"}[role]
    return user.email, user.name, heading


@pytest.mark.parametrize("role", ["manager", "supervisor", "cashier", "admin"])
def test_each_role_signs_in_on_a_tablet(app, live_server, tablet_page, role):
    page = tablet_page
    with app.app_context():
        email, name, heading = _make_user(role)

    sign_in(page, live_server, email, DEFAULT_PASSWORD)

    expect(page).to_have_url(f"{live_server}/{role}/")
    expect(page.locator("main h1")).to_have_text(heading)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # The name is in the top bar (hidden at tablet width to save room) - it is this user's page.
    expect(page.locator(".who-name")).to_have_text(name)
    assert page.viewport_size == {"width": 768, "height": 1024}
    assert_no_horizontal_overflow(page)
    checked = assert_topbar_touch_targets(page)
    assert checked >= 5  # three language buttons, the bell, "Sign out" and the cabinet's links

    sign_out(page)
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.locator(".flash-info")).to_have_text("You have signed out.")
    # The cabinet is closed now.
    page.goto(f"{live_server}/{role}/")
    expect(page).to_have_url(f"{live_server}/login?next=%2F{role}%2F")


def test_the_login_page_fits_a_tablet(live_server, tablet_page):
    tablet_page.goto(live_server + "/login")
    expect(tablet_page.get_by_role("heading", name="Sign in to the portal")).to_be_visible()
    assert_no_horizontal_overflow(tablet_page)
    assert_topbar_touch_targets(tablet_page)
    box = tablet_page.locator(".login-card button[type=submit]").bounding_box()
    assert box["height"] >= 44


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_the_sign_in_request_stands_above_the_login_card(live_server, page, tablet_page, size):
    """Sent to the login from a cabinet page, the message is over the card, as wide as it."""
    screen = page if size == "desktop" else tablet_page
    screen.goto(live_server + "/supervisor/")
    message = screen.locator(".flash", has_text="Please sign in to open this page.")
    expect(message).to_be_visible()
    note, card = message.bounding_box(), screen.locator(".login-card").bounding_box()
    assert note["y"] + note["height"] <= card["y"]
    assert abs(note["x"] - card["x"]) <= 1 and abs(note["width"] - card["width"]) <= 1
    assert_no_horizontal_overflow(screen)


def test_a_wrong_password_shows_the_generic_error_and_keeps_the_email(app, live_server, tablet_page):
    with app.app_context():
        email = make_staff("manager").email

    sign_in(tablet_page, live_server, email, "not-the-password")

    expect(tablet_page.locator(".form-errors")).to_contain_text("Wrong e-mail or password")
    expect(tablet_page.locator("input[name=email]")).to_have_value(email)
    expect(tablet_page.locator("input[name=password]")).to_have_value("")
    assert tablet_page.url.startswith(live_server + "/login")
    expect(tablet_page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_cashier_opening_the_admin_pages_sees_access_denied(app, live_server, tablet_page):
    with app.app_context():
        email = make_staff("cashier").email
    sign_in(tablet_page, live_server, email, DEFAULT_PASSWORD)
    expect(tablet_page).to_have_url(f"{live_server}/cashier/")

    response = tablet_page.goto(f"{live_server}/admin/")

    assert response.status == 403
    expect(tablet_page.locator("main h1")).to_have_text("Access denied")
    expect(tablet_page.locator(".error-code")).to_have_text("403")
    # The way back leads to the cashier's own cabinet.
    tablet_page.get_by_role("link", name="Go to my cabinet").click()
    expect(tablet_page).to_have_url(f"{live_server}/cashier/")
