"""The supervisor's approval queue and the one-click assignment through the pages: every field of an
item, approve / reject in place (htmx) and by a plain post, approving the selected, the count in the
navigation, access."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from portal.clock import local_date
from portal.extensions import db
from portal.models import (
    AuditEvent,
    ChangeRequest,
    ChangeStatus,
    Channel,
    Client,
    ClientKind,
    Notification,
    Order,
    OrderStatus,
    PaymentTerms,
    User,
    utcnow,
)
from portal.services.clients import changes as client_changes
from portal.services.clients.changes import ClientChange, NewClient
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff

NBSP = "\u00a0"
HTMX = {"HX-Request": "true"}


def text(html: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces squeezed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).replace(NBSP, " ").split())


def page_text(response) -> str:
    return text(response.get_data(as_text=True))


def element(html: str, element_id: str) -> str:
    """The markup of the <li>/<td>/<form> with this id (to the matching close of its tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', html)
    assert match, f"no #{element_id}"
    tag, start, depth = match.group(1), match.start(), 0
    for m in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return html[start:start + m.end()]
    raise AssertionError(f"#{element_id} is not closed")


def sign_in(browser, email: str) -> None:
    """Sign in through the form (with its token, for the tests that switch CSRF protection on)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True))
    data = {"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token.group(1) if token else ""}
    assert browser.post("/login", data=data).status_code == 302


@pytest.fixture
def team(app, client):
    """Boss (signed in) with managers Anna and Oleg. Waiting for Boss: Anna's discount change of
    OOO Kran (oldest), Anna's order with a 7 % discount for it, Oleg's new client (newest)."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boss Bossov")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        oleg = make_staff("manager", supervisor=boss, name="Oleg Manager")
        kran = make_client(anna, "OOO Kran", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=100_000_00, deferral_days=10)
        warehouse = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 50}, name="Cordless drill")
        # An overdue deferred order: 700.00 open, all of it 4 days overdue.
        db.session.add(Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=kran.id,
                             payment_terms=PaymentTerms.DEFERRED, due_date=local_date() - timedelta(days=4),
                             subtotal=700_00, paid=700_00, received=0, number="M-OLD001",
                             created_at=utcnow() - timedelta(days=20), confirmed_at=utcnow()))
        db.session.commit()
        change = client_changes.propose_change(anna, kran.id, ClientChange(
            kind="legal_entity", name="OOO Kran", tax_id="7707083893", discount_bp=750, credit_limit=100_000_00,
            deferral_days=10))
        order = orders.create_draft(anna, OrderDraft(client_id=kran.id, location_id=warehouse.id,
                                                     lines=[DraftLine("DRILL", 2, 700)]))
        order = orders.submit(anna, order.id)
        newcomer = client_changes.create_client(oleg, NewClient(kind="private_person", name="Petrov Ivan",
                                                                phone="+79160000077", discount_bp=300))
        new_request = client_changes.pending_request_of(newcomer.id)
        base = datetime.now(UTC) - timedelta(hours=3)
        db.session.get(ChangeRequest, change.id).created_at = base
        db.session.query(AuditEvent).filter(AuditEvent.object_type == "orders", AuditEvent.object_id == order.id,
                                            AuditEvent.action == "order_approval_requested").update(
            {"at": base + timedelta(hours=1)})
        db.session.get(ChangeRequest, new_request.id).created_at = base + timedelta(hours=2)
        db.session.commit()
        ids = {"boss": boss.id, "anna": anna.id, "oleg": oleg.id, "kran": kran.id, "newcomer": newcomer.id,
               "change": change.id, "order": order.id, "number": order.number, "new_request": new_request.id}
        emails = {"boss": boss.email, "anna": anna.email, "oleg": oleg.email}
    sign_in(client, emails["boss"])
    return {**ids, "emails": emails}


def keys_on(html: str) -> list[str]:
    return re.findall(r'data-testid="approval" data-key="([^"]+)"', html)


def notes(user_id: int, kind: str) -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).where(Notification.user_id == user_id,
                                                                 Notification.kind == kind)))


# --- the queue ------------------------------------------------------------------------------------

def test_the_queue_shows_every_item_oldest_first_with_everything_to_decide_by(client, team):
    response = client.get("/supervisor/approvals")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert keys_on(html) == [f"change-{team['change']}", f"order-{team['order']}", f"change-{team['new_request']}"]

    change = element(html, f"approval-change-{team['change']}")
    said = text(change)
    assert "Change of terms" in said and "Anna Manager" in said
    assert f'href="/manager/clients/{team["kran"]}"' in change
    assert re.search(r'data-testid="approval-at">[^<]*\d', change)  # when
    row = element(change, "approval-change-" + str(team["change"]))
    assert re.search(r'data-field="discount_bp">\s*<td>Discount</td>\s*<td class="before">5 %</td>\s*'
                     r'<td class="after"><strong>7.5 %</strong>', row.replace(NBSP, " "))
    # The client's context: terms, debt, the newest orders.
    for shown in ("Discount 5 %", "Credit limit 100,000.00 ₽", "Payment deferral 10 days", "Open debt 700.00 ₽",
                  "Overdue 700.00 ₽ · 4 days overdue", "Last orders", "M-OLD001", team["number"],
                  "Awaiting approval", "Confirmed", "1,860.00 ₽"):
        assert shown in said, shown

    order = text(element(html, f"approval-order-{team['order']}"))
    assert "Order discount" in order and f"order {team['number']}" in order and "Anna Manager" in order
    # The line above the approved rate: 7 % against 5 %, 140.00 off; the order's total.
    assert "Cordless drill DRILL · 1,000.00 ₽ 2 7 % −140.00 ₽ 5 %" in order
    assert "Order total 1,860.00 ₽" in order

    new = text(element(html, f"approval-change-{team['new_request']}"))
    assert "New client" in new and "Petrov Ivan" in new and "Oleg Manager" in new
    assert "Discount 0 % 3 %" in new and "No orders yet." in new

    # Each item has its checkbox, comment and both buttons; the count is in the navigation.
    assert html.count('name="items"') == 3 and html.count('name="comment"') == 3
    assert f'action="/supervisor/approvals/order/{team["order"]}/approve"' in html
    assert f'formaction="/supervisor/approvals/order/{team["order"]}/reject"' in html
    assert re.search(r'data-testid="approvals-count">3<', html)
    assert "3 waiting" in text(html)


def test_the_count_is_in_the_navigation_of_every_supervisor_page_and_not_for_a_manager(app, client, team):
    assert re.search(r'class="nav-count" data-testid="approvals-count">3<',
                     client.get("/supervisor/").get_data(as_text=True))
    anna = app.test_client()
    sign_in(anna, team["emails"]["anna"])
    assert "nav-count" not in anna.get("/manager/").get_data(as_text=True)


def test_an_empty_queue_says_so(app):
    browser = app.test_client()
    with app.app_context():
        email = make_staff("supervisor").email
    sign_in(browser, email)
    html = browser.get("/supervisor/approvals").get_data(as_text=True)
    assert "Nothing waits for your decision." in text(html)
    assert re.search(r'class="nav-count hidden" data-testid="approvals-count">0<', html)


def test_select_all_ticks_every_item(client, team):
    html = client.get("/supervisor/approvals?select=all").get_data(as_text=True)
    assert len(re.findall(r'name="items" value="[^"]+" form="bulk-approve"\s+id="[^"]+" checked', html)) == 3
    assert "Clear selection" in text(html)
    assert " checked" not in element(client.get("/supervisor/approvals").get_data(as_text=True),
                                     f"approval-change-{team['change']}")


# --- deciding in place (htmx) ----------------------------------------------------------------------

def test_approve_with_htmx_replaces_the_item_and_it_is_gone_on_reload(app, client, team):
    response = client.post(f"/supervisor/approvals/change/{team['change']}/approve", data={"comment": "fine"},
                           headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    decided = element(html, f"approval-change-{team['change']}")
    assert 'data-testid="approval-decided"' in decided
    assert text(decided) == "Approved Change of terms · OOO Kran · Anna Manager · fine"
    # The counts in the navigation and above the queue follow (out of band).
    assert re.search(r'id="nav-approvals-count"[^>]*hx-swap-oob="true">2<', html)
    assert re.search(r'id="queue-waiting"[^>]*hx-swap-oob="true">2 waiting<', html)

    again = client.get("/supervisor/approvals").get_data(as_text=True)
    assert keys_on(again) == [f"order-{team['order']}", f"change-{team['new_request']}"]
    with app.app_context():
        assert db.session.get(Client, team["kran"]).discount_bp == 750
        note, = notes(team["anna"], "change_request_approved")
        assert note.params == {"by": "Boss Bossov", "client": "OOO Kran", "comment": "fine"}


def test_reject_an_order_with_htmx_tells_the_author_why(app, client, team):
    response = client.post(f"/supervisor/approvals/order/{team['order']}/reject",
                           data={"comment": "Five percent is the limit"}, headers=HTMX)
    decided = text(element(response.get_data(as_text=True), f"approval-order-{team['order']}"))
    assert decided == f"Rejected Order discount · OOO Kran · order {team['number']} · Anna Manager · " \
                      "Five percent is the limit"
    with app.app_context():
        assert db.session.get(Order, team["order"]).status is OrderStatus.DRAFT
        note, = notes(team["anna"], "order_rejected")
        assert note.params["comment"] == "Five percent is the limit"


def test_reject_without_a_comment_shows_the_error_in_the_item(app, client, team):
    response = client.post(f"/supervisor/approvals/change/{team['change']}/reject", data={"comment": "  "},
                           headers=HTMX)
    assert response.status_code == 200  # htmx swaps only successful answers
    item = element(response.get_data(as_text=True), f"approval-change-{team['change']}")
    assert 'data-testid="approval"' in item and "approval-comment has-error" in item
    assert re.search(r'data-testid="approval-error"><li>Say why the change is rejected: the author reads it.</li>',
                     item)
    order = element(client.post(f"/supervisor/approvals/order/{team['order']}/reject", data={"comment": ""},
                                headers=HTMX).get_data(as_text=True), f"approval-order-{team['order']}")
    assert "Say why the discounts are rejected." in text(order)
    with app.app_context():
        assert db.session.get(ChangeRequest, team["change"]).status is ChangeStatus.PENDING
        assert db.session.get(Order, team["order"]).status is OrderStatus.AWAITING_APPROVAL
    assert len(keys_on(client.get("/supervisor/approvals").get_data(as_text=True))) == 3


def test_an_item_decided_elsewhere_says_so_in_its_place(app, client, team):
    with app.app_context():
        client_changes.approve_change(db.session.get(User, team["boss"]), team["change"])
    response = client.post(f"/supervisor/approvals/change/{team['change']}/reject", data={"comment": "no"},
                           headers=HTMX)
    gone = element(response.get_data(as_text=True), f"approval-change-{team['change']}")
    assert 'data-testid="approval-gone"' in gone and text(gone) == "This change has already been decided."


# --- plain posts -------------------------------------------------------------------------------------

def test_plain_posts_come_back_to_the_queue_with_a_message(app, client, team):
    response = client.post(f"/supervisor/approvals/order/{team['order']}/approve", data={"comment": ""})
    assert response.status_code == 303 and response.location == "/supervisor/approvals"
    page = client.get(response.location)
    assert f"Approved: Order discount — {team['number']}." in page_text(page)
    assert keys_on(page.get_data(as_text=True)) == [f"change-{team['change']}", f"change-{team['new_request']}"]

    refused = client.post(f"/supervisor/approvals/change/{team['change']}/reject", data={"comment": ""},
                          follow_redirects=True)
    assert "Say why the change is rejected: the author reads it." in page_text(refused)

    client.post(f"/supervisor/approvals/change/{team['new_request']}/reject", data={"comment": "Duplicate"})
    with app.app_context():
        assert db.session.get(Order, team["order"]).status is OrderStatus.AWAITING_CONFIRMATION
        assert db.session.get(ChangeRequest, team["new_request"]).status is ChangeStatus.REJECTED
        assert notes(team["oleg"], "change_request_rejected")[0].params["comment"] == "Duplicate"


# --- approving the selected ------------------------------------------------------------------------

def test_approve_selected_with_htmx_approves_each_and_names_what_failed(app, client, team):
    with app.app_context():  # decided in another tab meanwhile
        client_changes.reject_change(db.session.get(User, team["boss"]), team["new_request"], "Duplicate")
    response = client.post("/supervisor/approvals/approve-selected", headers=HTMX, data={
        "items": [f"change-{team['change']}", f"order-{team['order']}", f"change-{team['new_request']}"]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    queue = element(html, "approval-queue")
    summary = text(queue)
    assert "2 items approved." in summary
    assert "1 item was not approved: Petrov Ivan — This change has already been decided." in summary
    assert "Nothing waits for your decision." in summary
    assert re.search(r'id="nav-approvals-count" class="nav-count hidden"[^>]*>0<', html)
    with app.app_context():
        assert db.session.get(Client, team["kran"]).discount_bp == 750
        assert db.session.get(Order, team["order"]).status is OrderStatus.AWAITING_CONFIRMATION
        assert len(notes(team["anna"], "change_request_approved")) == 1
        assert len(notes(team["anna"], "order_approved")) == 1


def test_approve_selected_as_a_plain_post_and_with_nothing_ticked(app, client, team):
    nothing = client.post("/supervisor/approvals/approve-selected", data={}, follow_redirects=True)
    assert "Tick the items to approve first." in page_text(nothing)
    assert "Tick the items to approve first." in page_text(
        client.post("/supervisor/approvals/approve-selected", data={}, headers=HTMX))
    response = client.post("/supervisor/approvals/approve-selected",
                           data={"items": [f"change-{team['change']}", f"change-{team['new_request']}"]})
    assert response.status_code == 303
    page = client.get(response.location)
    assert "2 items approved." in page_text(page)
    assert keys_on(page.get_data(as_text=True)) == [f"order-{team['order']}"]
    with app.app_context():
        assert db.session.get(Client, team["newcomer"]).status.value == "active"


# --- access ----------------------------------------------------------------------------------------

def test_a_manager_and_another_team_cannot_decide(app, team):
    anna = app.test_client()
    sign_in(anna, team["emails"]["anna"])
    assert anna.get("/supervisor/approvals").status_code == 403
    assert anna.post(f"/supervisor/approvals/change/{team['change']}/approve").status_code == 403
    assert anna.post("/supervisor/approvals/approve-selected",
                     data={"items": [f"change-{team['change']}"]}).status_code == 403
    other = app.test_client()
    with app.app_context():
        email = make_staff("supervisor", name="Other Boss").email
    sign_in(other, email)
    assert keys_on(other.get("/supervisor/approvals").get_data(as_text=True)) == []
    assert other.post(f"/supervisor/approvals/change/{team['change']}/approve").status_code == 403
    assert other.post(f"/supervisor/approvals/order/{team['order']}/approve").status_code == 403
    assert other.post("/supervisor/approvals/invoice/1/approve").status_code == 404
    assert other.post("/supervisor/approvals/change/999999/approve").status_code == 404
    assert app.test_client().get("/supervisor/approvals").status_code == 302
    with app.app_context():
        assert db.session.get(ChangeRequest, team["change"]).status is ChangeStatus.PENDING


@pytest.mark.csrf
def test_decisions_need_the_forms_token(app, team):
    browser = app.test_client()
    sign_in(browser, team["emails"]["boss"])
    html = browser.get("/supervisor/approvals").get_data(as_text=True)
    assert browser.post(f"/supervisor/approvals/change/{team['change']}/approve", headers=HTMX).status_code == 400
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = browser.post(f"/supervisor/approvals/change/{team['change']}/approve",
                            headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200 and "approval-decided" in response.get_data(as_text=True)


# --- assigning the responsible manager ------------------------------------------------------------

def test_assign_from_the_list_in_place(app, client, team):
    html = client.get("/manager/clients").get_data(as_text=True)
    cell = element(html, f"assign-{team['kran']}")
    assert 'name="manager_id"' in cell and f'hx-post="/manager/clients/{team["kran"]}/assign"' in cell
    assert re.search(rf'<option value="{team["anna"]}" selected>Anna Manager</option>', cell)
    assert f'<option value="{team["oleg"]}">Oleg Manager</option>' in cell

    response = client.post(f"/manager/clients/{team['kran']}/assign", headers=HTMX,
                           data={"manager_id": str(team["oleg"]), "view": "list", "next": "/manager/clients?q=kran"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<td class="assign-cell" id="assign-{team["kran"]}"')
    assert re.search(rf'<option value="{team["oleg"]}" selected>Oleg Manager</option>', fragment)
    assert "Oleg Manager is now responsible for OOO Kran." in text(fragment)
    assert 'name="next" value="/manager/clients?q=kran"' in fragment
    with app.app_context():
        assert db.session.get(Client, team["kran"]).manager_id == team["oleg"]
        note, = notes(team["oleg"], "client_assigned")
        assert note.params == {"by": "Boss Bossov", "client": "OOO Kran"}
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "client_assigned"))
        assert (event.before, event.after) == ({"manager_id": team["anna"], "manager": "Anna Manager"},
                                               {"manager_id": team["oleg"], "manager": "Oleg Manager"})


def test_assign_from_the_list_as_a_plain_post_and_a_wrong_choice(app, client, team):
    response = client.post(f"/manager/clients/{team['kran']}/assign",
                           data={"manager_id": str(team["oleg"]), "view": "list", "next": "/manager/clients?q=kran"})
    assert response.status_code == 303 and response.location == "/manager/clients?q=kran"
    assert "Oleg Manager is now responsible for OOO Kran." in page_text(client.get(response.location))

    wrong = client.post(f"/manager/clients/{team['kran']}/assign", headers=HTMX,
                        data={"manager_id": "", "view": "list"})
    assert "Choose an active manager of your team." in text(wrong.get_data(as_text=True))
    elsewhere = client.post(f"/manager/clients/{team['kran']}/assign", data={"manager_id": str(team["boss"])},
                            follow_redirects=True)
    assert "Choose an active manager of your team." in page_text(elsewhere)
    assert client.post("/manager/clients/{}/assign".format(team["kran"]), data={"manager_id": "1",
                                                                                 "next": "https://evil.example/"}
                       ).location == f"/manager/clients/{team['kran']}"
    with app.app_context():
        assert db.session.get(Client, team["kran"]).manager_id == team["oleg"]


def test_assign_from_the_card_in_place(app, client, team):
    card = client.get(f"/manager/clients/{team['kran']}").get_data(as_text=True)
    control = element(card, "assign-control")
    assert 'name="manager_id"' in control and 'name="view" value="card"' in control
    response = client.post(f"/manager/clients/{team['kran']}/assign", headers=HTMX,
                           data={"manager_id": str(team["oleg"]), "view": "card"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<form id="assign-control"')
    assert "Oleg Manager is now responsible for OOO Kran." in text(element(fragment, "assign-control"))
    # The name on the card changes with it (out of band).
    assert re.search(r'<dd data-testid="manager" id="client-manager" hx-swap-oob="true">Oleg Manager</dd>', fragment)

    plain = client.post(f"/manager/clients/{team['kran']}/assign", data={"manager_id": str(team["anna"])})
    assert plain.status_code == 303 and plain.location == f"/manager/clients/{team['kran']}"
    card = client.get(plain.location)
    assert re.search(r'data-testid="manager" id="client-manager">Anna Manager<', card.get_data(as_text=True))
    assert "Anna Manager is now responsible for OOO Kran." in page_text(card)
    # The card's history says who reassigned whom.
    history = re.findall(r'data-testid="assigned-history">([^<]*)<', card.get_data(as_text=True))
    assert [h.strip() for h in history] == ["— Oleg Manager → Anna Manager", "— Anna Manager → Oleg Manager"]


def test_a_manager_cannot_assign(app, team):
    anna = app.test_client()
    sign_in(anna, team["emails"]["anna"])
    assert anna.post(f"/manager/clients/{team['kran']}/assign", data={"manager_id": str(team["anna"])}).status_code \
        == 403
    card = anna.get(f"/manager/clients/{team['kran']}").get_data(as_text=True)
    assert "assign-control" not in card and "/assign" not in card
    assert "/assign" not in anna.get("/manager/clients").get_data(as_text=True)
    with app.app_context():
        stranger_client = make_client(make_staff("manager", name="Far"), "Far Away Ltd", phone="+79001110000")
        stranger_id = stranger_client.id
    boss = app.test_client()
    sign_in(boss, team["emails"]["boss"])
    assert boss.post(f"/manager/clients/{stranger_id}/assign", data={"manager_id": str(team["anna"])}).status_code \
        == 403
    assert boss.post("/manager/clients/999999/assign", data={"manager_id": str(team["anna"])}).status_code == 404
