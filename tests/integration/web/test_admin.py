"""Administrator: staff accounts and locations through the pages, as an admin uses them."""
import re

from portal.extensions import db
from portal.models import AuditEvent, Location, Notification, User

from ...factories import DEFAULT_PASSWORD, make_location, make_staff


def _new_password(html: str) -> str:
    match = re.search(r'data-testid="new-password">([^<]+)<', html)
    assert match, html
    return match.group(1).strip()


def test_create_a_manager_and_the_password_is_shown_once(app, client, login):
    login("admin")
    with app.app_context():
        boss = make_staff("supervisor", name="Boss")
        boss_id = boss.id
    response = client.post("/admin/staff/new", data={
        "name": "Irina Petrova", "email": "Irina@Example.com", "phone": "8 (916) 555-12-34",
        "role": "manager", "supervisor_id": str(boss_id), "shop_id": "", "hired_on": "2020-03-01", "locale": "ru",
        "password": ""})
    assert response.status_code == 200
    password = _new_password(response.get_data(as_text=True))
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "irina@example.com"))
        assert user.phone == "+79165551234"
        assert user.supervisor_id == boss_id
        assert password not in user.password_hash
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "staff_created",
                                                              AuditEvent.object_id == user.id))
        assert db.session.scalar(db.select(Notification).where(Notification.user_id == user.id)).kind == "welcome"
    # The new person can sign in with it; the password page is never shown again.
    other = app.test_client()
    assert other.post("/login", data={"email": "irina@example.com", "password": password}).status_code == 302
    assert password not in client.get(f"/admin/staff/{user.id}").get_data(as_text=True)


def test_wrong_fields_are_marked_and_what_was_typed_is_kept(app, client, login):
    login("admin")
    with app.app_context():
        make_staff("cashier", email="taken@example.com")
    response = client.post("/admin/staff/new", data={
        "name": "Pavel Sidorov", "email": "taken@example.com", "phone": "12345", "role": "manager",
        "supervisor_id": "", "shop_id": "", "hired_on": "", "locale": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Another staff member already uses this e-mail." in html
    assert "This is not a valid phone number." in html
    assert "A manager belongs to an active supervisor" in html
    assert 'value="Pavel Sidorov"' in html and 'value="12345"' in html
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.name == "Pavel Sidorov")) is None


def test_a_cashier_needs_a_shop(app, client, login):
    login("admin")
    with app.app_context():
        warehouse = make_location("warehouse")
        warehouse_id = warehouse.id
    response = client.post("/admin/staff/new", data={
        "name": "Kassa", "email": "kassa@example.com", "role": "cashier", "shop_id": str(warehouse_id)})
    assert response.status_code == 422
    assert "A cashier works in a shop" in response.get_data(as_text=True)


def test_edit_staff(app, client, login):
    login("admin")
    with app.app_context():
        cashier = make_staff("cashier", name="Old Name")
        shop2 = make_location("shop", name="Second shop")
        cashier_id, shop2_id = cashier.id, shop2.id
    response = client.post(f"/admin/staff/{cashier_id}", data={
        "name": "New Name", "email": "new@example.com", "phone": "", "role": "cashier",
        "shop_id": str(shop2_id), "supervisor_id": "", "hired_on": "", "locale": "uk"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, cashier_id)
        assert (user.name, user.email, user.shop_id, user.locale) == ("New Name", "new@example.com", shop2_id, "uk")
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "staff_updated"))
        assert event.before["name"] == "Old Name" and event.after["name"] == "New Name"


def test_deactivate_and_reactivate(app, client, login):
    login("admin")
    with app.app_context():
        user = make_staff("manager", email="leaver@example.com")
        user_id = user.id
    their_browser = app.test_client()
    their_browser.post("/login", data={"email": "leaver@example.com", "password": DEFAULT_PASSWORD})
    assert their_browser.get("/manager/").status_code == 200
    assert client.post(f"/admin/staff/{user_id}/active", data={"active": "0"}).status_code == 302
    assert their_browser.get("/manager/").status_code == 302  # signed out everywhere
    assert their_browser.post("/login", data={"email": "leaver@example.com",
                                              "password": DEFAULT_PASSWORD}).status_code == 401
    client.post(f"/admin/staff/{user_id}/active", data={"active": "1"})
    assert their_browser.post("/login", data={"email": "leaver@example.com",
                                              "password": DEFAULT_PASSWORD}).status_code == 302


def test_an_admin_cannot_deactivate_themselves(app, client, login):
    admin_id = login("admin")
    client.post(f"/admin/staff/{admin_id}/active", data={"active": "0"})
    with app.app_context():
        assert db.session.get(User, admin_id).active


def test_a_supervisor_with_a_team_cannot_be_deactivated(app, client, login):
    login("admin")
    with app.app_context():
        manager = make_staff("manager")
        boss_id = manager.supervisor_id
    response = client.post(f"/admin/staff/{boss_id}/active", data={"active": "0"}, follow_redirects=True)
    assert "Move this supervisor" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, boss_id).active


def test_reset_password(app, client, login):
    login("admin")
    with app.app_context():
        user = make_staff("cashier", email="forgot@example.com")
        user_id = user.id
    their_browser = app.test_client()
    their_browser.post("/login", data={"email": "forgot@example.com", "password": DEFAULT_PASSWORD})
    response = client.post(f"/admin/staff/{user_id}/reset-password")
    new_password = _new_password(response.get_data(as_text=True))
    assert their_browser.get("/cashier/").status_code == 302  # old session ended
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "forgot@example.com", "password": DEFAULT_PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"email": "forgot@example.com", "password": new_password}).status_code == 302
    with app.app_context():
        kinds = [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user_id))]
        assert "password_reset" in kinds
    notes = fresh.get("/notifications").get_data(as_text=True)
    assert "Your password was reset by" in notes


def test_locations(app, client, login):
    login("admin")
    response = client.post("/admin/locations/new", data={
        "code": "main", "name": "Main warehouse", "kind": "warehouse", "address": "Moscow", "phone": "",
        "is_main": "y", "active": "y"})
    assert response.status_code == 302
    client.post("/admin/locations/new", data={"code": "W2", "name": "Second", "kind": "warehouse", "is_main": "y",
                                              "active": "y"})
    with app.app_context():
        mains = list(db.session.scalars(db.select(Location).where(Location.is_main.is_(True))))
        assert [m.code for m in mains] == ["W2"]  # only one main warehouse at a time
        first_id = db.session.scalar(db.select(Location.id).where(Location.code == "MAIN"))
    bad = client.post("/admin/locations/new", data={"code": "W2", "name": "", "kind": "shop", "is_main": "y",
                                                    "active": "y"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "This code is already used." in html and "Only a warehouse can be the main one." in html
    edit = client.post(f"/admin/locations/{first_id}", data={"code": "MAIN", "name": "Central", "kind": "warehouse",
                                                             "active": "y"})
    assert edit.status_code == 302
    assert "Central" in client.get("/admin/locations").get_data(as_text=True)


def test_a_shop_with_cashiers_cannot_be_closed(app, client, login):
    login("admin")
    with app.app_context():
        cashier = make_staff("cashier")
        shop_id = cashier.shop_id
        code = cashier.shop.code
    response = client.post(f"/admin/locations/{shop_id}", data={"code": code, "name": "Shop", "kind": "shop"})
    assert response.status_code == 422
    assert "Active cashiers work here" in response.get_data(as_text=True)


def test_audit_log_lists_changes(client, login):
    login("admin")
    client.post("/admin/locations/new", data={"code": "S9", "name": "Shop nine", "kind": "shop", "active": "y"})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Location created" in html and "S9" in html
