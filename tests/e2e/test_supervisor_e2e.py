"""A supervisor browses the team's clients and narrows them to one manager."""
import pytest

from ..factories import DEFAULT_PASSWORD, make_client, make_staff
from .support import expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]


def test_the_manager_filter_narrows_the_clients_without_a_button(app, live_server, page):
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Boss")
        anna = make_staff("manager", name="Anna Manager", supervisor=boss)
        oleg = make_staff("manager", name="Oleg Manager", supervisor=boss)
        make_client(manager=anna, name="Anna's Bakery")
        make_client(manager=oleg, name="Oleg's Garage")
        # Someone else's team stays out of sight.
        make_client(manager=make_staff("manager", name="Stranger Manager"), name="Stranger Ltd")
        email, anna_id = boss.email, anna.id

    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/supervisor/")
    expect(page.locator("[data-testid=team-size]")).to_have_text("2")

    page.locator(".mainnav").get_by_role("link", name="Overview").click()
    expect(page).to_have_url(live_server + "/manager/")
    expect(page.locator("main h1")).to_have_text("The team's clients")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("main table")).to_contain_text("Anna's Bakery")
    expect(page.locator("main table")).to_contain_text("Oleg's Garage")
    expect(page.locator("main table")).not_to_contain_text("Stranger Ltd")
    expect(page.locator("[data-testid=clients-total]")).to_have_text("2")

    select = page.locator("select#manager")
    expect(select).to_have_value("")
    # There is no submit button (only inside <noscript>): choosing is enough.
    expect(page.locator("form.filters button:visible")).to_have_count(0)
    select.select_option(label="Anna Manager")

    expect(page).to_have_url(f"{live_server}/manager/?manager={anna_id}")
    expect(page.locator("main h1")).to_have_text("Clients of Anna Manager")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Anna's Bakery")
    expect(rows.first).to_contain_text("Anna Manager")
    expect(page.locator("main table")).not_to_contain_text("Oleg's Garage")
    expect(page.locator("[data-testid=clients-total]")).to_have_text("1")
    expect(page.locator("select#manager")).to_have_value(str(anna_id))

    # Back to the whole team.
    page.locator("select#manager").select_option("")
    expect(page).to_have_url(f"{live_server}/manager/?manager=")
    expect(page.locator("main h1")).to_have_text("The team's clients")
    expect(rows).to_have_count(2)
