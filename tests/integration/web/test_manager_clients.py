"""The manager's clients through the pages: list, card, new client, proposals, contacts, access."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from portal import ledger
from portal.clock import local_date
from portal.extensions import db
from portal.models import (
    ChangeKind,
    ChangeRequest,
    Channel,
    Client,
    ClientEmail,
    ClientKind,
    ClientStatus,
    Notification,
    Order,
    OrderStatus,
    PaymentTerms,
    User,
    utcnow,
)
from portal.services.clients import bonus as bonus_service
from portal.services.clients import changes as client_changes
from portal.services.sales import sales

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff

INN_LEGAL = "7707083893"
NBSP = "\u00a0"


def text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces squeezed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).replace(NBSP, " ").split())


def shown(response, name: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', html, flags=re.S)
    assert match, f"no {name} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).replace(NBSP, " ").split())


def sign_in(browser, email: str) -> None:
    assert browser.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302


@pytest.fixture
def team(app, client):
    """Boss with managers Anna (signed in) and Oleg; Anna has two clients, Oleg one."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boss Bossov")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        oleg = make_staff("manager", supervisor=boss, name="Oleg Manager")
        kran = make_client(anna, "OOO Kran", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id=INN_LEGAL,
                           discount_bp=500, credit_limit=100_000_00, deferral_days=10)
        ivanov = make_client(anna, "Ivanov Petr", ClientKind.PRIVATE_PERSON, "+79035550011")
        olegs = make_client(oleg, "Oleg's Shop", ClientKind.SOLE_PROPRIETOR, "+79267770000")
        ids = {"boss": boss.id, "anna": anna.id, "oleg": oleg.id, "kran": kran.id, "ivanov": ivanov.id,
               "olegs": olegs.id}
        emails = {"boss": boss.email, "anna": anna.email, "oleg": oleg.email}
    sign_in(client, emails["anna"])
    return {**ids, "emails": emails}


def edit_data(**overrides) -> dict:
    data = {"kind": "legal_entity", "name": "OOO Kran", "tax_id": INN_LEGAL, "discount": "5",
            "credit_limit": "100000", "deferral_days": "10"}
    data.update(overrides)
    return data


# --- the list -------------------------------------------------------------------------------------

def test_the_list_shows_my_clients_only_with_search_and_filters(client, team):
    response = client.get("/manager/clients")
    assert response.status_code == 200
    page = text(response)
    assert "OOO Kran" in page and "Ivanov Petr" in page and "Oleg's Shop" not in page
    assert "+7 916 123-45-67" in page and "5 %" in page and "100,000.00 ₽" in page
    html = response.get_data(as_text=True)
    for name in ("q", "kind", "status", "debt", "bonus"):
        assert f'name="{name}"' in html
    assert 'name="manager"' not in html  # a manager has no team to choose from

    assert "Ivanov Petr" not in text(client.get("/manager/clients?q=kran"))
    assert "OOO Kran" in text(client.get("/manager/clients?q=7707"))
    assert "OOO Kran" in text(client.get("/manager/clients?q=8+916+123-45-67"))
    only_people = text(client.get("/manager/clients?kind=private_person"))
    assert "Ivanov Petr" in only_people and "OOO Kran" not in only_people
    assert "No client matches the search." in text(client.get("/manager/clients?q=nobody"))
    assert "Oleg's Shop" not in text(client.get("/manager/clients?q=Oleg"))


def test_the_list_filters_by_debt_and_bonus(app, client, team):
    with app.app_context():
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=team["kran"],
                             payment_terms=PaymentTerms.DEFERRED, due_date=local_date() - timedelta(days=2),
                             subtotal=3_000_00, paid=3_000_00, received=1_000_00, confirmed_at=utcnow()))
        ledger.accrue(team["ivanov"], 55_50, "test:bonus:ivanov")
        db.session.commit()
    owing = client.get("/manager/clients?debt=yes")
    assert "OOO Kran" in text(owing) and "Ivanov Petr" not in text(owing)
    assert "2,000.00 ₽" in text(owing) and "overdue 2,000.00 ₽" in text(owing)
    with_bonus = text(client.get("/manager/clients?bonus=yes"))
    assert "Ivanov Petr" in with_bonus and "OOO Kran" not in with_bonus and "+55.50 ₽ pending" in with_bonus
    assert "Ivanov Petr" in text(client.get("/manager/clients?debt=no&bonus=yes"))


def test_sorting_links_and_pages_keep_the_search(app, client, team):
    with app.app_context():
        anna = db.session.get(User, team["anna"])
        for i in range(30):
            make_client(anna, f"Bulk {i:02d}", discount_bp=i * 10)
    first = client.get("/manager/clients?q=bulk&sort=discount&dir=desc")
    page = text(first)
    assert "1–25 of 30" in page and "Bulk 29" in page and "Bulk 04" not in page
    html = first.get_data(as_text=True)
    assert 'href="/manager/clients?q=bulk&amp;sort=discount&amp;dir=desc&amp;page=2"' in html
    assert 'aria-sort="descending"' in html
    second = text(client.get("/manager/clients?q=bulk&sort=discount&dir=desc&page=2"))
    assert "26–30 of 30" in second and "Bulk 04" in second and "Bulk 29" not in second
    by_name = text(client.get("/manager/clients?sort=name&dir=asc&q=bulk"))
    assert by_name.index("Bulk 00") < by_name.index("Bulk 01")


def test_a_supervisor_lists_the_team_and_the_unassigned(app, client, team):
    with app.app_context():
        make_client(None, "Unassigned Co", phone="+79998887766")
        make_client(make_staff("manager", name="Far Away"), "Another Team Co", phone="+79001110000")
    boss = app.test_client()
    sign_in(boss, team["emails"]["boss"])
    page = text(boss.get("/manager/clients"))
    for name in ("OOO Kran", "Ivanov Petr", "Oleg's Shop", "Unassigned Co"):
        assert name in page
    assert "Another Team Co" not in page and "The team's clients" in page
    assert 'name="manager"' in boss.get("/manager/clients").get_data(as_text=True)
    only_oleg = text(boss.get(f"/manager/clients?manager={team['oleg']}"))
    assert "Oleg's Shop" in only_oleg and "OOO Kran" not in only_oleg
    nobody = text(boss.get("/manager/clients?manager=none"))
    assert "Unassigned Co" in nobody and "OOO Kran" not in nobody


# --- the card -------------------------------------------------------------------------------------

def test_the_card_shows_every_figure(app, client, team):
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 10})
        order = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=2, sku="DRILL")],
                                                  location_id=warehouse.id, client_id=team["kran"]))
        boss = db.session.get(User, team["boss"])
        bonus_service.adjust(boss, team["kran"], 250_00, "welcome gift", "test:gift:kran")
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=team["kran"],
                             payment_terms=PaymentTerms.DEFERRED, due_date=local_date() - timedelta(days=4),
                             subtotal=700_00, paid=700_00, received=0, confirmed_at=utcnow(), number="M-TEST01"))
        kran = db.session.get(Client, team["kran"])
        kran.emails.append(ClientEmail(address="buy@kran.example"))
        db.session.commit()
        bonus = ledger.bonus_of(team["kran"])
        order_id, number = order.id, order.number
        with app.test_request_context():
            from portal.i18n import money
            expected = {"available": money(bonus.available), "pending": money(bonus.pending)}

    response = client.get(f"/manager/clients/{team['kran']}")
    assert response.status_code == 200
    # 2 × 1000.00 less the 5 % discount = 1900.00 paid, 5 % of it accrues: 95.00 pending; 250.00 given.
    assert (bonus.available, bonus.pending) == (250_00, 95_00)
    assert shown(response, "bonus-available") == expected["available"].replace(NBSP, " ") == "250.00 ₽"
    assert shown(response, "bonus-pending") == expected["pending"].replace(NBSP, " ") == "95.00 ₽"
    assert shown(response, "bonus-expiring") == "0.00 ₽"
    assert shown(response, "discount") == "5 %"
    assert shown(response, "credit-limit") == "100,000.00 ₽"
    assert shown(response, "deferral") == "10 days"
    assert shown(response, "tax-id") == INN_LEGAL
    assert shown(response, "manager") == "Anna Manager"
    assert shown(response, "debt-open") == "700.00 ₽"
    assert shown(response, "debt-overdue").startswith("700.00 ₽ · 4 days overdue")
    page = text(response)
    html = response.get_data(as_text=True)
    assert "+7 916 123-45-67" in page and "buy@kran.example" in page
    assert f'href="/manager/orders/{order_id}"' in html and number in page and "M-TEST01" in page
    assert "Paid" in page and "Web shop" in page and "1,900.00 ₽" in page
    assert f'href="/manager/orders/new?client={team["kran"]}"' in html
    assert "Becomes available" in page and "+95.00 ₽" in page and "Correction" in page
    assert "Awaiting approval" not in page


def test_someone_elses_client_is_a_403_page(client, team):
    other = team["olegs"]
    for path in (f"/manager/clients/{other}", f"/manager/clients/{other}/edit", f"/manager/clients/{other}/contacts"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Access denied" in response.get_data(as_text=True)
    assert client.post(f"/manager/clients/{other}/edit", data=edit_data(discount="50")).status_code == 403
    assert client.post(f"/manager/clients/{other}/contacts", data={"phones-0": "+79160000000"}).status_code == 403
    assert client.get("/manager/clients/999999").status_code == 404


def test_other_roles_are_refused(app):
    with app.app_context():
        email = make_staff("cashier").email
    browser = app.test_client()
    sign_in(browser, email)
    assert browser.get("/manager/clients").status_code == 403
    assert app.test_client().get("/manager/clients").status_code == 302


# --- a manager's new client ------------------------------------------------------------------------

def test_a_manager_adds_a_client_that_waits_for_approval(app, client, team):
    response = client.post("/manager/clients/new", data={
        "kind": "legal_entity", "name": "OOO Novyi", "tax_id": "7702070139", "phone": "8 (926) 555-44-33",
        "email": "info@novyi.example", "legal_address": "Moscow", "delivery_address": "", "discount": "7,5",
        "credit_limit": "150 000", "deferral_days": "14", "manager_id": ""})
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalar(db.select(Client).where(Client.name == "OOO Novyi"))
        assert (new.status, new.manager_id, new.discount_bp, new.credit_limit) == (
            ClientStatus.PENDING, team["anna"], 0, 0)
        request = db.session.scalar(db.select(ChangeRequest).where(ChangeRequest.client_id == new.id))
        assert request.kind is ChangeKind.NEW_CLIENT
        assert request.after == {"discount_bp": 750, "credit_limit": 150_000_00, "deferral_days": 14}
        note = db.session.scalar(db.select(Notification).where(
            Notification.user_id == team["boss"], Notification.kind == "change_request_submitted"))
        assert note.params == {"by": "Anna Manager", "client": "OOO Novyi"}
        new_id = new.id
    assert response.location == f"/manager/clients/{new_id}"
    card = client.get(response.location)
    page = text(card)
    assert "until your supervisor approves the terms, orders are prepaid only" in page.lower()
    assert shown(card, "client-status") == "Awaiting approval"
    assert shown(card, "discount") == "0 %"
    pending = re.search(r'data-testid="pending-change".*?</section>', card.get_data(as_text=True), flags=re.S).group(0)
    assert re.search(r'data-field="discount_bp">\s*<td>Discount</td>\s*<td class="before">0 %</td>\s*'
                     r'<td class="after"><strong>7.5 %</strong>', pending.replace(NBSP, " "))
    assert "150,000.00 ₽" in unescape(pending).replace(NBSP, " ") and "14 days" in pending


def test_new_client_errors_are_shown_and_what_was_typed_is_kept(app, client, team):
    response = client.post("/manager/clients/new", data={
        "kind": "legal_entity", "name": "OOO Oshibka", "tax_id": "7707083894", "phone": "+7 916 123-45-67",
        "email": "", "discount": "seven", "credit_limit": "12,345", "deferral_days": "400"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    page = text(response)
    assert "The tax ID's check digit is wrong." in page
    assert "Another client already has this phone number." in page
    assert "Enter a percentage from 0 to 100, e.g. 5 or 7,5." in page
    assert "Enter an amount with at most two decimals" in page
    assert "The deferral must be from 0 to 365 days." in page
    for typed in ('value="OOO Oshibka"', 'value="7707083894"', 'value="+7 916 123-45-67"', 'value="seven"',
                  'value="12,345"', 'value="400"'):
        assert typed in html, typed
    with app.app_context():
        assert db.session.scalar(db.select(Client).where(Client.name == "OOO Oshibka")) is None


def test_the_new_client_form_starts_with_zero_terms(client, team):
    html = client.get("/manager/clients/new").get_data(as_text=True)
    assert 'name="discount" type="text" value="0"' in html or re.search(r'name="discount"[^>]*value="0"', html)
    assert "go to your supervisor for approval" in html
    assert 'name="manager_id"' not in html


# --- proposals --------------------------------------------------------------------------------------

def test_a_proposal_shows_awaiting_approval_with_before_and_after(app, client, team):
    kran = team["kran"]
    form = client.get(f"/manager/clients/{kran}/edit")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert re.search(r'name="discount"[^>]*value="5"', html) and re.search(r'name="credit_limit"[^>]*value="100000"',
                                                                          html)
    response = client.post(f"/manager/clients/{kran}/edit", data=edit_data(discount="7.5", deferral_days="30"))
    assert response.status_code == 302 and response.location == f"/manager/clients/{kran}"
    card = client.get(response.location)
    page = text(card)
    assert "Your change has been sent to your supervisor for approval." in page
    assert "Awaiting approval" in page and "Proposed change" in page
    assert "Proposed by Anna Manager" in page
    section = text_of_section(card, "pending-change")
    assert "Discount 5 % 7.5 %" in section and "Payment deferral 10 days 30 days" in section
    assert "Credit limit" not in section  # only what changes
    # The card keeps its values until the supervisor decides.
    assert shown(card, "discount") == "5 %" and shown(card, "deferral") == "10 days"
    assert f'href="/manager/clients/{kran}/edit"' not in card.get_data(as_text=True)
    # A second proposal is not possible meanwhile.
    again = client.get(f"/manager/clients/{kran}/edit", follow_redirects=True)
    assert "already waiting for approval" in text(again)
    client.post(f"/manager/clients/{kran}/edit", data=edit_data(discount="9"))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 1

    # The supervisor approves: the card shows the new values and the author is told.
    with app.app_context():
        request_id = client_changes.pending_request_of(kran).id
        client_changes.approve_change(db.session.get(User, team["boss"]), request_id)
    card = client.get(f"/manager/clients/{kran}")
    assert shown(card, "discount") == "7.5 %" and shown(card, "deferral") == "30 days"
    assert "Awaiting approval" not in text(card) and "Change approved" in text(card)
    notes = text(client.get("/notifications"))
    assert "Boss Bossov approved your change to OOO Kran." in notes


def text_of_section(response, name: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'data-testid="{name}".*?</section>', html, flags=re.S)
    assert match, name
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).replace(NBSP, " ").split())


def test_edit_errors_keep_what_was_typed(app, client, team):
    kran = team["kran"]
    response = client.post(f"/manager/clients/{kran}/edit", data=edit_data(
        discount="7,555", credit_limit="-5", deferral_days="1.5", tax_id="123", name=""))
    assert response.status_code == 422
    page = text(response)
    assert "At most two decimals, e.g. 7,25." in page
    assert "Enter an amount with at most two decimals" in page
    assert "Enter a whole number of days." in page
    assert "The tax ID must be 10 digits." in page and "Enter the name." in page
    html = response.get_data(as_text=True)
    for typed in ('value="7,555"', 'value="-5"', 'value="1.5"', 'value="123"'):
        assert typed in html, typed
    assert client.post(f"/manager/clients/{kran}/edit", data=edit_data(discount="101")).status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


def test_saving_the_same_values_changes_nothing(app, client, team):
    response = client.post(f"/manager/clients/{team['kran']}/edit", data=edit_data(), follow_redirects=True)
    assert "Nothing has changed." in text(response)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


def test_a_supervisor_changes_a_client_directly(app, team):
    boss = app.test_client()
    sign_in(boss, team["emails"]["boss"])
    kran = team["kran"]
    form = boss.get(f"/manager/clients/{kran}/edit").get_data(as_text=True)
    assert "goes to your supervisor" not in form
    response = boss.post(f"/manager/clients/{kran}/edit", data=edit_data(discount="12,5", credit_limit="250000.50"))
    assert response.status_code == 302
    card = boss.get(f"/manager/clients/{kran}")
    assert shown(card, "discount") == "12.5 %" and shown(card, "credit-limit") == "250,000.50 ₽"
    assert "Changes to OOO Kran have been saved." in text(card)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


def test_a_supervisor_adds_a_client_for_a_manager(app, team):
    boss = app.test_client()
    sign_in(boss, team["emails"]["boss"])
    form = boss.get("/manager/clients/new").get_data(as_text=True)
    assert 'name="manager_id"' in form and "Oleg Manager" in form
    response = boss.post("/manager/clients/new", data={
        "kind": "private_person", "name": "Sidorova Anna", "tax_id": "", "phone": "+79169990011", "email": "",
        "discount": "3", "credit_limit": "0", "deferral_days": "0", "manager_id": str(team["oleg"])})
    assert response.status_code == 302
    card = boss.get(response.location)
    assert shown(card, "client-status") == "Active" and shown(card, "manager") == "Oleg Manager"
    assert shown(card, "discount") == "3 %"
    with app.app_context():
        note = db.session.scalar(db.select(Notification).where(Notification.user_id == team["oleg"],
                                                               Notification.kind == "client_assigned"))
        assert note.params == {"by": "Boss Bossov", "client": "Sidorova Anna"}


def test_a_rejected_client_shows_the_badge_and_why(app, client, team):
    client.post("/manager/clients/new", data={
        "kind": "private_person", "name": "Doubtful", "phone": "+79160001122", "discount": "50",
        "credit_limit": "0", "deferral_days": "0"})
    with app.app_context():
        new = db.session.scalar(db.select(Client).where(Client.name == "Doubtful"))
        client_changes.reject_change(db.session.get(User, team["boss"]), client_changes.pending_request_of(new.id).id,
                                     "Fifty percent is too much")
        new_id = new.id
    card = client.get(f"/manager/clients/{new_id}")
    assert shown(card, "client-status") == "Rejected"
    assert "Fifty percent is too much" in shown(card, "last-decision")
    assert "/manager/orders/new" not in card.get_data(as_text=True)
    assert "Rejected" in text(client.get("/manager/clients?status=rejected"))


# --- contacts ---------------------------------------------------------------------------------------

def test_contacts_are_edited_directly(app, client, team):
    kran = team["kran"]
    form = client.get(f"/manager/clients/{kran}/contacts")
    html = form.get_data(as_text=True)
    assert 'name="phones-0"' in html and 'value="+7 916 123-45-67"' in html and 'name="phones-2"' in html
    response = client.post(f"/manager/clients/{kran}/contacts", data={
        "phones-0": "+79161234567", "phones-1": "8 (916) 000-11-22", "phones-2": "",
        "emails-0": "sales@kran.example", "emails-1": "",
        "addresses-0-kind": "legal", "addresses-0-text": "Moscow, Lenina 1",
        "addresses-1-kind": "delivery", "addresses-1-text": "Khimki, Store 2"})
    assert response.status_code == 302
    card = client.get(f"/manager/clients/{kran}")
    contacts = dl_text(card, "contacts")
    assert "+7 916 123-45-67" in contacts and "+7 916 000-11-22" in contacts
    assert "sales@kran.example" in contacts and "Moscow, Lenina 1" in contacts and "Khimki, Store 2" in contacts
    assert "Contacts changed" in text(card)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


def dl_text(response, name: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'data-testid="{name}".*?</dl>', html, flags=re.S)
    assert match, name
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).replace(NBSP, " ").split())


def test_a_phone_of_another_client_is_refused_with_a_clear_message(client, team):
    kran = team["kran"]
    response = client.post(f"/manager/clients/{kran}/contacts", data={
        "phones-0": "+79161234567", "phones-1": "+7 926 777-00-00", "emails-0": "bad@", "addresses-0-kind": "legal",
        "addresses-0-text": ""})
    assert response.status_code == 422
    page = text(response)
    assert "Another client already has this phone number." in page
    assert "Enter a valid e-mail address." in page
    html = response.get_data(as_text=True)
    assert 'value="+7 926 777-00-00"' in html and 'value="bad@"' in html


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.csrf
@pytest.mark.parametrize("path, data", [
    ("/manager/clients/new", {"kind": "private_person", "name": "X", "phone": "+79160001122"}),
    ("/manager/clients/{kran}/edit", edit_data(discount="50")),
    ("/manager/clients/{kran}/contacts", {"phones-0": "+79160001122"}),
])
def test_client_forms_need_the_csrf_token(app, path, data):
    with app.app_context():
        anna = make_staff("manager", email="anna@example.com")
        kran = make_client(anna, "OOO Kran", phone="+79161234567").id
    browser = app.test_client()
    token = _token(browser.get("/login").get_data(as_text=True))
    browser.post("/login", data={"email": "anna@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token})
    response = browser.post(path.format(kran=kran), data=data)
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    # With the page's own token the same form is accepted.
    form = browser.get(path.format(kran=kran)).get_data(as_text=True)
    response = browser.post(path.format(kran=kran), data={**data, "csrf_token": _token(form)})
    assert response.status_code in (302, 422)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Client.id))) >= 1
