"""Creating and changing clients: proposals, approvals, contacts, assignment — with exact values."""
from __future__ import annotations

import pytest

from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.models import (
    AuditEvent,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Client,
    ClientKind,
    ClientPhone,
    ClientStatus,
    Notification,
)
from portal.services.clients import assignment, changes
from portal.services.clients import contacts as client_contacts
from portal.services.clients.changes import ClientChange, NewClient
from portal.services.clients.contacts import AddressInput, Contacts
from portal.services.clients.directory import NotVisible

from ...factories import make_client, make_staff

INN_LEGAL = "7707083893"        # RU, 10 digits
INN_PERSON = "500100732259"     # RU, 12 digits


@pytest.fixture
def people(ctx):
    boss = make_staff("supervisor", name="Boss Bossov")
    anna = make_staff("manager", supervisor=boss, name="Anna Manager")
    oleg = make_staff("manager", supervisor=boss, name="Oleg Manager")
    stranger_boss = make_staff("supervisor", name="Other Boss")
    stranger = make_staff("manager", supervisor=stranger_boss, name="Stranger Manager")
    return {"boss": boss, "anna": anna, "oleg": oleg, "stranger_boss": stranger_boss, "stranger": stranger}


def new_client(**overrides) -> NewClient:
    data = {"kind": "legal_entity", "name": "  OOO   Kran  ", "tax_id": INN_LEGAL, "discount_bp": 750,
                "credit_limit": 150_000_00, "deferral_days": 14, "phone": "8 (916) 123-45-67", "email": "Buyer@Example.com",
                "legal_address": "Moscow, Lenina 1", "delivery_address": "Moscow, Warehouse 5"}
    data.update(overrides)
    return NewClient(**data)


def change_of(client: Client, **overrides) -> ClientChange:
    data = {"kind": client.kind.value, "name": client.name, "tax_id": client.tax_id or "", "discount_bp": client.discount_bp,
                "credit_limit": client.credit_limit, "deferral_days": client.deferral_days}
    data.update(overrides)
    return ClientChange(**data)


def events(client: Client, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.object_type == "clients", AuditEvent.object_id == client.id, AuditEvent.action == action)
        .order_by(AuditEvent.id)))


def notes(user, kind: str) -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id,
                                                                 Notification.kind == kind)))


def requests_of(client: Client) -> list[ChangeRequest]:
    return list(db.session.scalars(db.select(ChangeRequest).where(ChangeRequest.client_id == client.id)
                                   .order_by(ChangeRequest.id)))


# --- a new client ----------------------------------------------------------------------------------

def test_a_managers_new_client_is_pending_with_zero_terms_and_a_request_for_the_terms(people):
    anna, boss = people["anna"], people["boss"]
    client = changes.create_client(anna, new_client())

    assert (client.status, client.kind, client.name, client.tax_id) == (
        ClientStatus.PENDING, ClientKind.LEGAL_ENTITY, "OOO Kran", INN_LEGAL)
    assert (client.discount_bp, client.credit_limit, client.deferral_days) == (0, 0, 0)
    assert (client.manager_id, client.created_by_id) == (anna.id, anna.id)
    assert [p.number for p in client.phones] == ["+79161234567"]
    assert [e.address for e in client.emails] == ["Buyer@example.com"]
    assert [(a.kind.value, a.text) for a in client.addresses] == [
        ("legal", "Moscow, Lenina 1"), ("delivery", "Moscow, Warehouse 5")]

    request, = requests_of(client)
    assert (request.kind, request.status, request.author_id) == (ChangeKind.NEW_CLIENT, ChangeStatus.PENDING, anna.id)
    assert request.before == {"discount_bp": 0, "credit_limit": 0, "deferral_days": 0}
    assert request.after == {"discount_bp": 750, "credit_limit": 150_000_00, "deferral_days": 14}
    assert changes.pending_request_of(client.id).id == request.id

    created, = events(client, "client_created")
    assert created.actor_id == anna.id and created.before is None
    assert created.after == {"kind": "legal_entity", "name": "OOO Kran", "tax_id": INN_LEGAL, "discount_bp": 0,
                             "credit_limit": 0, "deferral_days": 0, "manager_id": anna.id, "status": "pending",
                             "phones": ["+79161234567"], "emails": ["Buyer@example.com"],
                             "addresses": [{"kind": "legal", "text": "Moscow, Lenina 1"},
                                           {"kind": "delivery", "text": "Moscow, Warehouse 5"}]}
    proposed, = events(client, "client_change_proposed")
    assert (proposed.before, proposed.after) == (request.before, request.after)

    note, = notes(boss, "change_request_submitted")
    assert note.params == {"by": "Anna Manager", "client": "OOO Kran"}
    assert note.link == f"/manager/clients/{client.id}"


def test_a_supervisors_new_client_is_active_with_its_terms_and_the_manager_is_told(people):
    boss, oleg = people["boss"], people["oleg"]
    client = changes.create_client(boss, new_client(manager_id=oleg.id))
    assert client.status is ClientStatus.ACTIVE
    assert (client.discount_bp, client.credit_limit, client.deferral_days) == (750, 150_000_00, 14)
    assert (client.manager_id, client.created_by_id) == (oleg.id, boss.id)
    assert requests_of(client) == []
    assert events(client, "client_created")[0].after["status"] == "active"
    note, = notes(oleg, "client_assigned")
    assert note.params == {"by": "Boss Bossov", "client": "OOO Kran"}
    assert note.link == f"/manager/clients/{client.id}"


def test_a_supervisors_new_client_may_stay_unassigned_but_not_go_to_another_team(people):
    boss = people["boss"]
    unassigned = changes.create_client(boss, new_client(manager_id=None))
    assert unassigned.manager_id is None and unassigned.status is ClientStatus.ACTIVE
    with pytest.raises(ValidationError) as refused:
        changes.create_client(boss, new_client(manager_id=people["stranger"].id, phone="+79160000001"))
    assert set(refused.value.fields) == {"manager_id"}


def test_every_wrong_field_is_reported_at_once_and_nothing_is_written(people):
    with pytest.raises(ValidationError) as refused:
        changes.create_client(people["anna"], new_client(
            kind="alien", name=" ", tax_id="123", discount_bp=10_001, credit_limit=-1, deferral_days=366,
            phone="12345", email="not-an-e-mail"))
    assert set(refused.value.fields) == {"kind", "name", "discount", "credit_limit", "deferral_days", "phone",
                                         "email"}
    assert str(refused.value.fields["discount"]) == "The discount must be from 0 to 100 percent."
    assert str(refused.value.fields["deferral_days"]) == "The deferral must be from 0 to 365 days."
    assert str(refused.value.fields["phone"]) == "This is not a valid phone number."
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


@pytest.mark.parametrize("country, kind, tax_id, message", [
    ("RU", "legal_entity", "7707083894", "The tax ID's check digit is wrong."),
    ("RU", "legal_entity", "770708389", "The tax ID must be 10 digits."),
    ("RU", "legal_entity", INN_PERSON, "The tax ID must be 10 digits."),
    ("RU", "sole_proprietor", "500100732258", "The tax ID's check digit is wrong."),
    ("RU", "sole_proprietor", INN_LEGAL, "The tax ID must be 12 digits."),
    ("RU", "private_person", "50010073225A", "The tax ID must be 12 digits."),
    ("UA", "legal_entity", "14360571", "The tax ID's check digit is wrong."),
    ("UA", "legal_entity", "1234567899", "The tax ID must be 8 digits."),
    ("UA", "private_person", "1234567898", "The tax ID's check digit is wrong."),
    ("UA", "sole_proprietor", "14360570", "The tax ID must be 10 digits."),
    ("RU", "legal_entity", "", "Enter the tax ID: a company or a sole proprietor has one."),
    ("UA", "sole_proprietor", " ", "Enter the tax ID: a company or a sole proprietor has one."),
])
def test_tax_ids_are_checked_by_the_countrys_rules(app, people, country, kind, tax_id, message):
    app.config["PORTAL_COUNTRY"] = country
    phone = "+79161234567" if country == "RU" else "+380501234567"
    with pytest.raises(ValidationError) as refused:
        changes.create_client(people["boss"], new_client(kind=kind, tax_id=tax_id, phone=phone))
    assert {k: str(v) for k, v in refused.value.fields.items()} == {"tax_id": message}


@pytest.mark.parametrize("country, kind, tax_id, phone", [
    ("RU", "legal_entity", "77 0708 3893", "8 916 123 45 67"),
    ("RU", "sole_proprietor", INN_PERSON, "+7 (916) 123-45-67"),
    ("UA", "legal_entity", "14360570", "050 123 4567"),
    ("UA", "private_person", "1234567899", "+38 050 123 45 67"),
    ("UA", "private_person", "", "0501234567"),  # a person may have no tax ID
])
def test_valid_tax_ids_and_phones_per_country(app, people, country, kind, tax_id, phone):
    app.config["PORTAL_COUNTRY"] = country
    client = changes.create_client(people["boss"], new_client(kind=kind, tax_id=tax_id, phone=phone))
    assert client.tax_id == (tax_id.replace(" ", "") or None)
    assert client.phones[0].number == ("+79161234567" if country == "RU" else "+380501234567")


def test_a_phone_belongs_to_one_client(people):
    make_client(phone="+79161234567", name="First")
    with pytest.raises(ValidationError) as refused:
        changes.create_client(people["anna"], new_client(phone="8 916 123-45-67"))
    assert str(refused.value.fields["phone"]) == "Another client already has this phone number."
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 1


def test_only_staff_of_the_client_side_create_clients(ctx):
    cashier = make_staff("cashier")
    with pytest.raises(DomainError):
        changes.create_client(cashier, new_client())


# --- a manager's proposed change ---------------------------------------------------------------------

@pytest.fixture
def kran(people):
    return make_client(manager=people["anna"], name="OOO Kran", kind=ClientKind.LEGAL_ENTITY, tax_id=INN_LEGAL,
                       discount_bp=500, credit_limit=100_000_00, deferral_days=10, phone="+79161112233")


def test_a_proposal_holds_exactly_the_changed_fields_and_the_card_keeps_its_values(people, kran):
    anna, boss = people["anna"], people["boss"]
    request = changes.propose_change(anna, kran.id, change_of(kran, discount_bp=750))
    assert (request.kind, request.status) == (ChangeKind.CHANGE, ChangeStatus.PENDING)
    assert (request.before, request.after) == ({"discount_bp": 500}, {"discount_bp": 750})
    db.session.expire_all()
    kran = db.session.get(Client, kran.id)
    assert (kran.discount_bp, kran.credit_limit, kran.deferral_days, kran.status) == (
        500, 100_000_00, 10, ClientStatus.ACTIVE)
    proposed, = events(kran, "client_change_proposed")
    assert (proposed.actor_id, proposed.before, proposed.after) == (anna.id, {"discount_bp": 500},
                                                                    {"discount_bp": 750})
    assert [n.params for n in notes(boss, "change_request_submitted")] == [{"by": "Anna Manager",
                                                                           "client": "OOO Kran"}]


def test_a_proposal_of_requisites_and_terms(people, kran):
    request = changes.propose_change(people["anna"], kran.id, change_of(
        kran, kind="sole_proprietor", name="IP Kranov", tax_id=INN_PERSON, credit_limit=250_000_50,
        deferral_days=30))
    assert request.before == {"kind": "legal_entity", "name": "OOO Kran", "tax_id": INN_LEGAL,
                              "credit_limit": 100_000_00, "deferral_days": 10}
    assert request.after == {"kind": "sole_proprietor", "name": "IP Kranov", "tax_id": INN_PERSON,
                             "credit_limit": 250_000_50, "deferral_days": 30}


def test_nothing_changed_is_no_proposal(people, kran):
    with pytest.raises(changes.NothingChanged):
        changes.propose_change(people["anna"], kran.id, change_of(kran, name=" OOO  Kran "))
    assert requests_of(kran) == []


def test_a_proposal_is_checked_like_a_new_client(people, kran):
    with pytest.raises(ValidationError) as refused:
        changes.propose_change(people["anna"], kran.id, change_of(kran, tax_id="7707083890", discount_bp=None))
    assert set(refused.value.fields) == {"tax_id", "discount"}
    assert requests_of(kran) == []


def test_a_second_proposal_while_one_waits_is_refused(people, kran):
    changes.propose_change(people["anna"], kran.id, change_of(kran, discount_bp=750))
    with pytest.raises(DomainError) as refused:
        changes.propose_change(people["anna"], kran.id, change_of(kran, deferral_days=20))
    assert "already waiting for approval" in str(refused.value.message)
    # A supervisor is asked to decide first rather than change the card under the request.
    with pytest.raises(DomainError) as also_refused:
        changes.apply_change(people["boss"], kran.id, change_of(kran, deferral_days=20))
    assert "approve or reject it first" in str(also_refused.value.message)
    assert len(requests_of(kran)) == 1


def test_a_manager_cannot_touch_another_managers_client(people, kran):
    with pytest.raises(NotVisible):
        changes.propose_change(people["oleg"], kran.id, change_of(kran, discount_bp=900))
    with pytest.raises(NotVisible):
        client_contacts.update_contacts(people["oleg"], kran.id, Contacts(phones=["+79160000000"]))
    with pytest.raises(NotVisible):
        changes.apply_change(people["stranger_boss"], kran.id, change_of(kran, discount_bp=900))
    assert requests_of(kran) == []


def test_a_manager_does_not_change_a_client_directly(people, kran):
    with pytest.raises(DomainError):
        changes.apply_change(people["anna"], kran.id, change_of(kran, discount_bp=900))
    assert changes.change_client(people["anna"], kran.id, change_of(kran, discount_bp=900)).after == {
        "discount_bp": 900}


# --- the supervisor's decision ---------------------------------------------------------------------

def test_approval_applies_the_change_audits_and_tells_the_author(people, kran):
    anna, boss = people["anna"], people["boss"]
    request = changes.propose_change(anna, kran.id, change_of(kran, discount_bp=750, name="OOO Kran-Service"))
    decided = changes.approve_change(boss, request.id, comment="  fine  ")
    assert (decided.status, decided.decided_by_id, decided.comment) == (ChangeStatus.APPROVED, boss.id, "fine")
    assert decided.decided_at is not None
    db.session.expire_all()
    kran = db.session.get(Client, kran.id)
    assert (kran.discount_bp, kran.name, kran.credit_limit) == (750, "OOO Kran-Service", 100_000_00)
    assert changes.pending_request_of(kran.id) is None
    approved, = events(kran, "client_change_approved")
    assert (approved.actor_id, approved.before, approved.after) == (
        boss.id, {"name": "OOO Kran", "discount_bp": 500}, {"name": "OOO Kran-Service", "discount_bp": 750})
    note, = notes(anna, "change_request_approved")
    assert note.params == {"by": "Boss Bossov", "client": "OOO Kran-Service", "comment": "fine"}
    assert note.link == f"/manager/clients/{kran.id}"


def test_approving_a_new_client_activates_it_with_the_terms(people):
    client = changes.create_client(people["anna"], new_client())
    request = changes.pending_request_of(client.id)
    changes.approve_change(people["boss"], request.id)
    db.session.expire_all()
    client = db.session.get(Client, client.id)
    assert (client.status, client.discount_bp, client.credit_limit, client.deferral_days) == (
        ClientStatus.ACTIVE, 750, 150_000_00, 14)


def test_rejection_needs_a_comment_keeps_the_card_and_tells_the_author(people, kran):
    anna, boss = people["anna"], people["boss"]
    request = changes.propose_change(anna, kran.id, change_of(kran, credit_limit=900_000_00))
    with pytest.raises(ValidationError) as no_comment:
        changes.reject_change(boss, request.id, "   ")
    assert set(no_comment.value.fields) == {"comment"}
    assert db.session.get(ChangeRequest, request.id).status is ChangeStatus.PENDING

    changes.reject_change(boss, request.id, "Too much for a new customer")
    db.session.expire_all()
    request = db.session.get(ChangeRequest, request.id)
    kran = db.session.get(Client, kran.id)
    assert (request.status, request.comment, request.decided_by_id) == (
        ChangeStatus.REJECTED, "Too much for a new customer", boss.id)
    assert (kran.credit_limit, kran.status) == (100_000_00, ClientStatus.ACTIVE)
    rejected, = events(kran, "client_change_rejected")
    assert (rejected.before, rejected.after) == ({"credit_limit": 100_000_00}, {"credit_limit": 900_000_00})
    note, = notes(anna, "change_request_rejected")
    assert note.params == {"by": "Boss Bossov", "client": "OOO Kran", "comment": "Too much for a new customer"}
    assert note.link == f"/manager/clients/{kran.id}"
    # The manager may propose again once the supervisor has decided.
    assert changes.propose_change(anna, kran.id, change_of(kran, credit_limit=200_000_00)).after == {
        "credit_limit": 200_000_00}


def test_a_rejected_new_client_keeps_its_card_and_can_be_proposed_again(people):
    anna, boss = people["anna"], people["boss"]
    client = changes.create_client(anna, new_client())
    changes.reject_change(boss, changes.pending_request_of(client.id).id, "No such company")
    db.session.expire_all()
    client = db.session.get(Client, client.id)
    assert client.status is ClientStatus.REJECTED
    assert (client.discount_bp, client.credit_limit, client.name) == (0, 0, "OOO Kran")

    again = changes.propose_change(anna, client.id, change_of(client, discount_bp=300))
    assert again.kind is ChangeKind.NEW_CLIENT
    assert (again.before, again.after) == ({"discount_bp": 0, "credit_limit": 0, "deferral_days": 0},
                                           {"discount_bp": 300, "credit_limit": 0, "deferral_days": 0})
    assert db.session.get(Client, client.id).status is ClientStatus.PENDING


def test_only_the_authors_supervisor_decides_and_only_once(people, kran):
    request = changes.propose_change(people["anna"], kran.id, change_of(kran, discount_bp=750))
    for outsider in (people["stranger_boss"], people["anna"], people["oleg"]):
        with pytest.raises(DomainError) as refused:
            changes.approve_change(outsider, request.id)
        assert refused.value.code == "forbidden"
        with pytest.raises(DomainError):
            changes.reject_change(outsider, request.id, "no")
    assert db.session.get(ChangeRequest, request.id).status is ChangeStatus.PENDING
    changes.approve_change(people["boss"], request.id)
    with pytest.raises(DomainError) as twice:
        changes.reject_change(people["boss"], request.id, "changed my mind")
    assert "already been decided" in str(twice.value.message)
    with pytest.raises(DomainError):
        changes.approve_change(people["boss"], request.id)
    assert db.session.get(ChangeRequest, request.id).status is ChangeStatus.APPROVED
    assert len(notes(people["anna"], "change_request_approved")) == 1


def test_a_supervisor_changes_a_client_directly(people, kran):
    boss = people["boss"]
    changes.apply_change(boss, kran.id, change_of(kran, discount_bp=1_250, deferral_days=45))
    db.session.expire_all()
    kran = db.session.get(Client, kran.id)
    assert (kran.discount_bp, kran.deferral_days) == (1_250, 45)
    assert requests_of(kran) == []
    updated, = events(kran, "client_updated")
    assert (updated.actor_id, updated.before, updated.after) == (
        boss.id, {"discount_bp": 500, "deferral_days": 10}, {"discount_bp": 1_250, "deferral_days": 45})


def test_a_supervisor_activates_a_rejected_client_by_changing_it(people):
    client = changes.create_client(people["anna"], new_client())
    changes.reject_change(people["boss"], changes.pending_request_of(client.id).id, "check the name")
    changes.apply_change(people["boss"], client.id, change_of(client, name="OOO Kran Plus"))
    db.session.expire_all()
    client = db.session.get(Client, client.id)
    assert (client.status, client.name) == (ClientStatus.ACTIVE, "OOO Kran Plus")
    updated, = events(client, "client_updated")
    assert (updated.before, updated.after) == ({"name": "OOO Kran", "status": "rejected"},
                                               {"name": "OOO Kran Plus", "status": "active"})


# --- contacts ----------------------------------------------------------------------------------------

def test_contacts_are_edited_directly_normalised_and_audited(people, kran):
    anna = people["anna"]
    client_contacts.update_contacts(anna, kran.id, Contacts(
        phones=["+7 916 111-22-33", "", "8 (903) 555-00-11"], emails=["sales@kran.example", ""],
        addresses=[AddressInput("legal", " Moscow,  Lenina 1 "), AddressInput("delivery", "Khimki, Store 2"),
                   AddressInput("delivery", "")]))
    db.session.expire_all()
    kran = db.session.get(Client, kran.id)
    assert [p.number for p in kran.phones] == ["+79161112233", "+79035550011"]
    assert [e.address for e in kran.emails] == ["sales@kran.example"]
    assert [(a.kind.value, a.text) for a in kran.addresses] == [("legal", "Moscow, Lenina 1"),
                                                                ("delivery", "Khimki, Store 2")]
    updated, = events(kran, "client_contacts_updated")
    assert updated.before == {"phones": ["+79161112233"], "emails": [], "addresses": []}
    assert updated.after == {"phones": ["+79161112233", "+79035550011"], "emails": ["sales@kran.example"],
                             "addresses": [{"kind": "legal", "text": "Moscow, Lenina 1"},
                                           {"kind": "delivery", "text": "Khimki, Store 2"}]}
    assert requests_of(kran) == []

    # Removing and editing: the old main phone goes, a new one comes; the same list again changes nothing.
    client_contacts.update_contacts(anna, kran.id, Contacts(phones=["+79035550011", "+79161112244"], emails=[],
                                                    addresses=[AddressInput("delivery", "Khimki, Store 2")]))
    db.session.expire_all()
    kran = db.session.get(Client, kran.id)
    assert sorted(p.number for p in kran.phones) == ["+79035550011", "+79161112244"]
    assert kran.emails == [] and [a.text for a in kran.addresses] == ["Khimki, Store 2"]
    client_contacts.update_contacts(anna, kran.id, Contacts(phones=["+79035550011", "+79161112244"], emails=[],
                                                    addresses=[AddressInput("delivery", "Khimki, Store 2")]))
    assert len(events(kran, "client_contacts_updated")) == 2
    # The phone given up is free for another client now.
    assert db.session.scalar(db.select(ClientPhone).where(ClientPhone.number == "+79161112233")) is None


def test_contact_errors_name_the_entry(people, kran):
    make_client(manager=people["oleg"], phone="+79035550011", name="Someone else")
    with pytest.raises(ValidationError) as refused:
        client_contacts.update_contacts(people["anna"], kran.id, Contacts(
            phones=["+79161112233", "8 903 555 00 11", "123", "+7 916 111 22 33"], emails=["x@", "a@b.example"],
            addresses=[AddressInput("legal", "One"), AddressInput("legal", "Two"), AddressInput("moon", "Three")]))
    fields = {k: str(v) for k, v in refused.value.fields.items()}
    assert fields == {
        "phones-1": "Another client already has this phone number.",
        "phones-2": "This is not a valid phone number.",
        "phones-3": "This phone number is entered twice.",
        "emails-0": "Enter a valid e-mail address.",
        "addresses-1-kind": "A client has one legal address.",
        "addresses-2-kind": "Choose the type of address.",
    }
    with pytest.raises(ValidationError) as no_phone:
        client_contacts.update_contacts(people["anna"], kran.id, Contacts(phones=["", " "]))
    assert set(no_phone.value.fields) == {"phones-0"}
    db.session.expire_all()
    assert [p.number for p in db.session.get(Client, kran.id).phones] == ["+79161112233"]
    assert events(kran, "client_contacts_updated") == []


# --- the responsible manager -----------------------------------------------------------------------

def test_assigning_a_manager_notifies_them_and_is_audited(people, kran):
    boss, oleg = people["boss"], people["oleg"]
    assignment.assign_manager(boss, kran.id, oleg.id)
    db.session.expire_all()
    assert db.session.get(Client, kran.id).manager_id == oleg.id
    assigned, = events(kran, "client_assigned")
    assert (assigned.actor_id, assigned.before, assigned.after) == (
        boss.id, {"manager_id": people["anna"].id, "manager": people["anna"].name},
        {"manager_id": oleg.id, "manager": oleg.name})
    note, = notes(oleg, "client_assigned")
    assert note.params == {"by": "Boss Bossov", "client": "OOO Kran"}
    assert note.link == f"/manager/clients/{kran.id}"
    # Again to the same manager: nothing more happens.
    assignment.assign_manager(boss, kran.id, oleg.id)
    assert len(events(kran, "client_assigned")) == 1 and len(notes(oleg, "client_assigned")) == 1


def test_an_unassigned_client_gets_a_manager(people):
    client = make_client(name="Nobody's")
    assignment.assign_manager(people["boss"], client.id, people["anna"].id)
    assert db.session.get(Client, client.id).manager_id == people["anna"].id


def test_only_an_active_manager_of_the_team_can_be_assigned(people, kran):
    from portal.services.staff import staff as staff_service
    boss = people["boss"]
    with pytest.raises(ValidationError):
        assignment.assign_manager(boss, kran.id, people["stranger"].id)
    with pytest.raises(ValidationError):
        assignment.assign_manager(boss, kran.id, boss.id)
    staff_service.set_active(boss, people["oleg"].id, False)
    with pytest.raises(ValidationError):
        assignment.assign_manager(boss, kran.id, people["oleg"].id)
    with pytest.raises(DomainError):
        assignment.assign_manager(people["anna"], kran.id, people["anna"].id)
    with pytest.raises(NotVisible):
        assignment.assign_manager(people["stranger_boss"], kran.id, people["stranger"].id)
    assert db.session.get(Client, kran.id).manager_id == people["anna"].id
    assert events(kran, "client_assigned") == []


def test_two_proposals_at_the_same_moment_make_one_request(app, people, kran):
    """Two browsers send a change of one client at once: one request is made, the other is refused."""
    import threading

    from portal.models import User
    anna_id, client_id = people["anna"].id, kran.id
    data = change_of(kran, discount_bp=800)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def propose():
        with app.app_context():
            manager = db.session.get(User, anna_id)
            start.wait()
            try:
                changes.propose_change(manager, client_id, data)
                outcomes.append("made")
            except DomainError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=propose) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["made", "refused"]
    db.session.rollback()  # end this thread's own read snapshot
    assert len(requests_of(kran)) == 1
