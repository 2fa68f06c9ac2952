"""The bell: an unread count in the top bar, and "Mark as read" done in place by htmx."""
import pytest

from portal.services.staff import staff as staff_service

from ..factories import make_staff
from .support import expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]


def test_marking_notifications_read_updates_the_list_and_the_badge_in_place(app, live_server, page):
    with app.app_context():
        admin = make_staff("admin", name="Alla Admin")
        user = make_staff("manager")
        email = user.email
        password = staff_service.reset_password(admin, user.id)

    sign_in(page, live_server, email, password)
    expect(page).to_have_url(live_server + "/manager/")

    # Two unread: the welcome note from account creation and the password reset.
    badge = page.locator("[data-testid=unread-count]")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("2")

    page.locator("#notifications-bell").click()
    expect(page).to_have_url(live_server + "/notifications")
    expect(page.locator("main h1")).to_have_text("Notifications")
    notes = page.locator("#notifications li.note")
    expect(notes).to_have_count(2)
    expect(page.locator("#notifications")).to_contain_text("Your password was reset by Alla Admin.")
    expect(page.locator("#notifications li.note.unread")).to_have_count(2)
    mark = page.get_by_role("button", name="Mark as read")
    expect(mark).to_have_count(2)

    # A marker on the window survives only if the page is not reloaded.
    page.evaluate("window.__noReload = 'still here'")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    with page.expect_response(lambda r: "/read" in r.url and r.request.method == "POST") as first:
        mark.first.click()
    assert first.value.status == 200
    assert first.value.request.headers.get("hx-request") == "true"
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    expect(mark).to_have_count(1)
    expect(page.locator("#notifications li.note.unread")).to_have_count(1)

    mark.first.click()
    expect(mark).to_have_count(0)
    expect(badge).to_be_hidden()
    expect(badge).to_have_text("0")
    expect(notes).to_have_count(2)  # read notes stay in the list
    expect(page.locator("#notifications li.note.unread")).to_have_count(0)

    assert page.evaluate("window.__noReload") == "still here"
    assert navigations == []
    assert page.url == live_server + "/notifications"

    # The server agrees: after a real reload the badge stays hidden.
    page.reload()
    expect(page.locator("[data-testid=unread-count]")).to_be_hidden()
    expect(page.get_by_role("button", name="Mark as read")).to_have_count(0)
