"""The administrator at a desktop: staff accounts, shops, password resets, deactivation."""
import re

import pytest

from ..factories import DEFAULT_PASSWORD, make_staff
from .support import expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

HAS_ERROR = re.compile(r"\bhas-error\b")


@pytest.fixture
def admin_page(app, live_server, page):
    """A desktop browser signed in as an administrator, on the admin overview."""
    with app.app_context():
        email = make_staff("admin", name="Alla Admin").email
    sign_in(page, live_server, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/admin/")
    expect(page.locator("main h1")).to_have_text("Administration")
    return page


def test_create_a_supervisor_with_a_generated_password(live_server, admin_page, open_page):
    page = admin_page
    page.get_by_role("link", name="Add staff member").click()
    expect(page).to_have_url(live_server + "/admin/staff/new")
    expect(page.locator("main h1")).to_have_text("New staff member")

    page.get_by_label("Full name").fill("Sergey Orlov")
    page.get_by_label("E-mail (login)").fill("s.orlov@example.com")
    page.get_by_label("Phone").fill("+7 916 555-12-34")
    page.get_by_label("Role").select_option("supervisor")
    expect(page.get_by_label("Password (leave empty to generate one)")).to_have_value("")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("main h1")).to_have_text("Account created")
    secret = page.locator("[data-testid=new-password]")
    expect(secret).to_be_visible()
    password = secret.inner_text().strip()
    assert len(password) >= 8 and " " not in password
    expect(page.locator("main")).to_contain_text("s.orlov@example.com")

    # The new supervisor signs in with it, in their own browser.
    theirs = open_page()
    sign_in(theirs, live_server, "s.orlov@example.com", password)
    expect(theirs).to_have_url(live_server + "/supervisor/")
    expect(theirs.locator("main h1")).to_have_text("My team")
    expect(theirs.locator(".who-name")).to_have_text("Sergey Orlov")


def test_wrong_fields_are_marked_inline_and_what_was_typed_is_kept(live_server, admin_page):
    page = admin_page
    page.goto(live_server + "/admin/staff/new")
    page.get_by_label("Full name").fill("Pavel Sidorov")
    page.get_by_label("E-mail (login)").fill("pavel@example.com")
    page.get_by_label("Phone").fill("12345")
    page.get_by_label("Role").select_option("manager")
    page.get_by_label("Supervisor (for managers)").select_option("")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".form-errors")).to_have_text("Please correct the fields marked below.")
    phone_field = page.locator(".field", has=page.locator("input[name=phone]"))
    expect(phone_field).to_have_class(HAS_ERROR)
    expect(phone_field.locator(".errors")).to_contain_text("This is not a valid phone number.")
    expect(page.locator("input[name=phone]")).to_have_attribute("aria-invalid", "true")
    supervisor_field = page.locator(".field", has=page.locator("select[name=supervisor_id]"))
    expect(supervisor_field.locator(".errors")).to_contain_text("A manager belongs to an active supervisor")
    # Fields without a problem are not marked.
    expect(page.locator(".field", has=page.locator("input[name=name]"))).not_to_have_class(HAS_ERROR)
    # Nothing typed is lost.
    expect(page.get_by_label("Full name")).to_have_value("Pavel Sidorov")
    expect(page.get_by_label("E-mail (login)")).to_have_value("pavel@example.com")
    expect(page.get_by_label("Phone")).to_have_value("12345")
    expect(page.get_by_label("Role")).to_have_value("manager")

    # And nobody was created.
    page.goto(live_server + "/admin/staff?q=Pavel")
    expect(page.locator(".empty")).to_have_text("Nobody matches the search.")


def test_create_a_shop(live_server, admin_page):
    page = admin_page
    page.locator(".mainnav").get_by_role("link", name="Shops and warehouses").click()
    expect(page).to_have_url(live_server + "/admin/locations")
    expect(page.locator(".empty")).to_have_text("No shops or warehouses yet.")

    page.get_by_role("link", name="Add a location").click()
    page.get_by_label("Code").fill("SHOP7")
    page.get_by_label("Name", exact=True).fill("Central market shop")
    page.get_by_label("Type").select_option("shop")
    page.get_by_label("Address").fill("5 Market Square")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(live_server + "/admin/locations")
    expect(page.locator(".flash-success")).to_have_text("Central market shop has been added.")
    row = page.locator("table tbody tr", has_text="SHOP7")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Central market shop")
    expect(row).to_contain_text("5 Market Square")
    expect(row).to_contain_text("Shop")
    expect(row.locator(".tag-ok")).to_have_text("active")


def test_reset_a_cashiers_password(app, live_server, admin_page, open_page):
    page = admin_page
    with app.app_context():
        email = make_staff("cashier", name="Katya Kassirova").email

    page.locator(".mainnav").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Katya Kassirova").click()
    expect(page.locator("main h1")).to_have_text("Katya Kassirova")

    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Reset password").click()

    expect(page.locator("main h1")).to_have_text("Password reset")
    assert questions == ["Reset the password of Katya Kassirova? Their sessions end at once."]
    new_password = page.locator("[data-testid=new-password]").inner_text().strip()
    assert new_password and new_password != DEFAULT_PASSWORD

    theirs = open_page()
    sign_in(theirs, live_server, email, DEFAULT_PASSWORD)
    expect(theirs.locator(".form-errors")).to_contain_text("Wrong e-mail or password")
    sign_in(theirs, live_server, email, new_password)
    expect(theirs).to_have_url(live_server + "/cashier/")


def test_dismissing_the_reset_question_changes_nothing(app, live_server, admin_page):
    page = admin_page
    with app.app_context():
        user_id = make_staff("cashier").id
    page.goto(f"{live_server}/admin/staff/{user_id}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Reset password").click()
    expect(page).to_have_url(f"{live_server}/admin/staff/{user_id}")
    expect(page.locator("[data-testid=new-password]")).to_have_count(0)


def test_deactivate_a_manager(app, live_server, admin_page, open_page):
    page = admin_page
    with app.app_context():
        manager = make_staff("manager", name="Leaving Manager")
        user_id, email = manager.id, manager.email

    # The manager is signed in somewhere.
    theirs = open_page()
    sign_in(theirs, live_server, email, DEFAULT_PASSWORD)
    expect(theirs).to_have_url(live_server + "/manager/")

    page.goto(f"{live_server}/admin/staff/{user_id}")
    status = page.locator("dl.facts dd").first
    expect(status).to_have_text("active")
    # The button may ask for confirmation (a data-confirm dialog): say yes.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()

    expect(page).to_have_url(f"{live_server}/admin/staff/{user_id}")
    expect(page.locator(".flash-success")).to_have_text(
        "Leaving Manager is deactivated and signed out everywhere.")
    expect(status).to_have_text("deactivated")
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()
    page.goto(live_server + "/admin/staff")
    expect(page.locator("tr", has_text="Leaving Manager").locator(".tag-off")).to_have_text("deactivated")

    # Their open session is over.
    theirs.reload()
    expect(theirs).to_have_url(f"{live_server}/login?next=%2Fmanager%2F")
