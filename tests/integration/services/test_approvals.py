"""The supervisor's approval queue (services/approvals): what waits, in which order, for whom, with the
client's context; deciding one or many; the 1C outbox on approved client changes; the assignment's
history. Exact values throughout.

The `office` fixture and the order helpers come from test_manager_orders (the client "ООО «Ромашка»"
of Max Manager has an approved 5 % discount, a 10 000.00 credit limit and 14 days of deferral).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import (
    AuditEvent,
    ChangeRequest,
    ChangeStatus,
    Client,
    Notification,
    Order,
    OrderStatus,
    OutboxEvent,
    PaymentTerms,
)
from portal.services.clients import assignment
from portal.services.clients import changes as client_changes
from portal.services.clients.changes import ClientChange, NewClient
from portal.services.orders import approvals, orders

from ...factories import make_client, make_staff
from .test_manager_orders import confirmed, draft, office, submitted  # noqa: F401

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def change_of(client: Client, **overrides) -> ClientChange:
    data = {"kind": client.kind.value, "name": client.name, "tax_id": client.tax_id or "", "discount_bp": client.discount_bp,
                "credit_limit": client.credit_limit, "deferral_days": client.deferral_days}
    data.update(overrides)
    return ClientChange(**data)


def sent_at(obj, when: datetime) -> None:
    """Pretend the item was sent for approval at `when` (a request's creation, an order's request event)."""
    if isinstance(obj, ChangeRequest):
        db.session.get(ChangeRequest, obj.id).created_at = when
    else:
        db.session.execute(sa.update(AuditEvent).where(
            AuditEvent.object_type == "orders", AuditEvent.object_id == obj.id,
            AuditEvent.action == "order_approval_requested").values(at=when))
    db.session.commit()


def notes(user, kind: str) -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id,
                                                                 Notification.kind == kind)))


def keys(items) -> list[str]:
    return [i.key for i in items]


@pytest.fixture
def waiting(office):
    """Three items for Sonia Boss — an order discount (oldest), a discount change, a new client (newest) —
    and one for another team's supervisor."""
    client = office.client
    debt_order = confirmed(office, [("PIPE", 1)], payment_terms=PaymentTerms.DEFERRED,
                           now=datetime.now(UTC) - timedelta(days=30))
    old_draft = orders.create_draft(office.manager, draft(office, [("DRILL", 1)]))
    discount_order = submitted(office, [("DRILL", 2, 700), ("PIPE", 3)])
    assert discount_order.status is OrderStatus.AWAITING_APPROVAL
    change = client_changes.propose_change(office.manager, client.id, change_of(client, discount_bp=800,
                                                                                  deferral_days=30))
    newcomer = client_changes.create_client(office.colleague, NewClient(
        kind="private_person", name="Petrov Ivan", phone="+79160000077", discount_bp=300, credit_limit=0,
        deferral_days=0))
    new_request = client_changes.pending_request_of(newcomer.id)
    sent_at(discount_order, T0)
    sent_at(change, T0 + timedelta(minutes=5))
    sent_at(new_request, T0 + timedelta(minutes=10))
    strangers_client = make_client(office.stranger, name="Far Away Ltd", discount_bp=100)
    elsewhere = client_changes.propose_change(office.stranger, strangers_client.id,
                                              change_of(strangers_client, discount_bp=200))
    return {"debt_order": debt_order, "old_draft": old_draft, "order": discount_order, "change": change,
            "newcomer": newcomer, "new_request": new_request, "elsewhere": elsewhere,
            "strangers_client": strangers_client}


# --- the queue -------------------------------------------------------------------------------------

def test_the_queue_holds_the_teams_changes_and_order_discounts_oldest_first_with_the_clients_context(office,
                                                                                                     waiting):
    items = approvals.queue(office.boss)
    assert keys(items) == [f"order-{waiting['order'].id}", f"change-{waiting['change'].id}",
                           f"change-{waiting['new_request'].id}"]
    order_item, change_item, new_item = items

    # The order: each line above the approved rate (PIPE at the client's 5 % is not), and the total.
    assert (order_item.kind, order_item.what, order_item.at) == ("order", approvals.ORDER_DISCOUNT, T0)
    assert (order_item.client.id, order_item.author.id, order_item.order_number) == (
        office.client.id, office.manager.id, waiting["order"].number)
    assert order_item.lines_over == [approvals.LineOverRate(sku="DRILL", name="Product DRILL", qty=2, price=1_000_00,
                                                            discount=140_00, discount_bp=700, approved_bp=500)]
    # 2 000.00 + 999.99 − 140.00 − 50.00
    assert order_item.order_total == 2_809_99

    # The change: only the fields that change, before and after, as plain values.
    assert (change_item.kind, change_item.what, change_item.author.id) == ("change", approvals.TERMS,
                                                                          office.manager.id)
    assert change_item.at == T0 + timedelta(minutes=5)
    assert (change_item.before, change_item.after) == ({"discount_bp": 500, "deferral_days": 14},
                                                       {"discount_bp": 800, "deferral_days": 30})

    # The client's context: the terms in force, the debt (the deferred order confirmed 30 days ago
    # was due 16 days ago: 333.33 − 5 % = 316.66), the three newest orders.
    client = change_item.client
    assert (client.discount_bp, client.credit_limit, client.deferral_days) == (500, 10_000_00, 14)
    assert (change_item.debt.open, change_item.debt.overdue, change_item.debt.days_overdue) == (316_66, 316_66, 16)
    newest = [waiting["order"], waiting["old_draft"], waiting["debt_order"]]
    assert [(o.id, o.number, o.total, o.status) for o in change_item.recent_orders] == [
        (o.id, o.number, o.subtotal - o.discount, o.status) for o in newest]
    assert [o.status for o in change_item.recent_orders] == [OrderStatus.AWAITING_APPROVAL, OrderStatus.DRAFT,
                                                            OrderStatus.CONFIRMED]
    assert order_item.recent_orders == change_item.recent_orders and order_item.debt == change_item.debt

    # A new client: the terms asked for, no debt, no orders.
    assert (new_item.what, new_item.client.id, new_item.author.id) == (
        approvals.NEW_CLIENT, waiting["newcomer"].id, office.colleague.id)
    assert (new_item.before, new_item.after) == ({"discount_bp": 0, "credit_limit": 0, "deferral_days": 0},
                                                 {"discount_bp": 300, "credit_limit": 0, "deferral_days": 0})
    assert (new_item.debt.open, new_item.recent_orders) == (0, [])
    assert approvals.pending_count(office.boss) == 3


def test_only_the_supervisors_team_is_in_the_queue(office, waiting):
    other = approvals.queue(office.other_boss)
    assert keys(other) == [f"change-{waiting['elsewhere'].id}"]
    assert approvals.pending_count(office.other_boss) == 1
    assert f"change-{waiting['elsewhere'].id}" not in keys(approvals.queue(office.boss))
    # Nobody but an active supervisor has a queue.
    assert approvals.queue(office.manager) == [] and approvals.pending_count(office.manager) == 0
    assert approvals.item(office.other_boss, "order", waiting["order"].id) is None
    assert approvals.item(office.boss, "order", waiting["order"].id).key == f"order-{waiting['order'].id}"


def test_requisites_and_mixed_changes_are_named_as_such(office):
    client = office.client
    request = client_changes.propose_change(office.manager, client.id, change_of(client, name="ООО «Ромашка-2»"))
    assert approvals.item(office.boss, "change", request.id).what == approvals.REQUISITES
    client_changes.reject_change(office.boss, request.id, "no")
    request = client_changes.propose_change(office.manager, client.id, change_of(client, name="X", credit_limit=1))
    assert approvals.item(office.boss, "change", request.id).what == approvals.TERMS_AND_REQUISITES


def test_the_queue_reads_in_the_same_number_of_queries_whatever_its_length(app, office):
    def statements() -> int:
        """The SELECTs that reading the queue (and everything its page shows) takes."""
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            items = approvals.queue(db.session.merge(office.boss))
            for i in items:  # everything a page shows
                (i.client.name, i.client.discount_bp, i.author.name if i.author else None, i.debt.open,
                 [o.number for o in i.recent_orders], i.lines_over)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    client = office.client
    client_changes.propose_change(office.manager, client.id, change_of(client, discount_bp=800))
    submitted(office, [("DRILL", 1, 900)])
    few = statements()
    for n in range(6):
        other = make_client(office.colleague if n % 2 else office.manager, name=f"Client {n}",
                            discount_bp=100)
        author = office.colleague if n % 2 else office.manager
        client_changes.propose_change(author, other.id, change_of(other, discount_bp=900))
        orders.submit(author, orders.create_draft(author, draft(office, [("PIPE", 1, 900)], client=other)).id)
    assert len(approvals.queue(office.boss)) == 14
    assert statements() == few


# --- deciding --------------------------------------------------------------------------------------

def test_a_decided_item_leaves_the_queue_and_the_author_is_told(office, waiting):
    change, order = waiting["change"], waiting["order"]
    decision = approvals.decide(office.boss, "change", change.id, True, "ok")
    assert (decision.key, decision.approved, decision.what, decision.client_name, decision.author_name,
            decision.comment) == (f"change-{change.id}", True, approvals.TERMS, "ООО «Ромашка»", "Max Manager", "ok")
    note, = notes(office.manager, "change_request_approved")
    assert note.params == {"by": "Sonia Boss", "client": "ООО «Ромашка»", "comment": "ok"}
    assert db.session.get(Client, office.client.id).discount_bp == 800

    decision = approvals.decide(office.boss, "order", order.id, False, "  7 % is too much ")
    assert (decision.approved, decision.order_number, decision.comment) == (False, order.number, "7 % is too much")
    assert db.session.get(Order, order.id).status is OrderStatus.DRAFT
    note, = notes(office.manager, "order_rejected")
    assert note.params == {"by": "Sonia Boss", "number": order.number, "comment": "7 % is too much"}

    assert keys(approvals.queue(office.boss)) == [f"change-{waiting['new_request'].id}"]
    assert approvals.pending_count(office.boss) == 1


def test_a_rejection_needs_a_comment_and_the_item_stays(office, waiting):
    for kind, item_id in (("change", waiting["change"].id), ("order", waiting["order"].id)):
        with pytest.raises(ValidationError) as refused:
            approvals.decide(office.boss, kind, item_id, False, "  ")
        assert set(refused.value.fields) == {"comment"}
    assert approvals.pending_count(office.boss) == 3
    with pytest.raises(NotFound):
        approvals.decide(office.boss, "invoice", 1, True)
    with pytest.raises(DomainError):  # another team's request
        approvals.decide(office.other_boss, "change", waiting["change"].id, True)
    with pytest.raises(DomainError):  # a manager decides nothing
        approvals.decide(office.manager, "order", waiting["order"].id, True)
    assert approvals.pending_count(office.boss) == 3


def test_approving_many_approves_each_and_reports_the_one_that_failed(office, waiting):
    change, order, new_request = waiting["change"], waiting["order"], waiting["new_request"]
    client_changes.reject_change(office.boss, new_request.id, "we have this one already")  # decided meanwhile
    outcome = approvals.decide_many(office.boss, [f"change-{change.id}", f"change-{new_request.id}",
                                                  f"order-{order.id}", f"order-{order.id}", "junk", "order-x"])
    assert [d.key for d in outcome.decided] == [f"change-{change.id}", f"order-{order.id}"]
    assert all(d.approved for d in outcome.decided)
    failure, = outcome.failed
    assert (failure.key, failure.label, failure.message) == (
        f"change-{new_request.id}", "Petrov Ivan", "This change has already been decided.")
    db.session.expire_all()
    assert db.session.get(ChangeRequest, change.id).status is ChangeStatus.APPROVED
    assert db.session.get(ChangeRequest, new_request.id).status is ChangeStatus.REJECTED
    assert db.session.get(Order, order.id).status is OrderStatus.AWAITING_CONFIRMATION
    assert len(notes(office.manager, "change_request_approved")) == 1
    assert len(notes(office.manager, "order_approved")) == 1
    assert approvals.queue(office.boss) == []


def test_approving_many_reports_another_teams_item_and_goes_on(office, waiting):
    outcome = approvals.decide_many(office.boss, [f"change-{waiting['elsewhere'].id}",
                                                  f"change-{waiting['change'].id}"])
    assert [d.key for d in outcome.decided] == [f"change-{waiting['change'].id}"]
    failure, = outcome.failed
    # Named by its key only: another team's client is not this supervisor's to read.
    assert (failure.label, failure.message) == (
        f"#{waiting['elsewhere'].id}", "Only the supervisor of the change's author can decide on it.")
    assert db.session.get(ChangeRequest, waiting["elsewhere"].id).status is ChangeStatus.PENDING


# --- the 1C outbox ---------------------------------------------------------------------------------

def outbox_rows() -> list[OutboxEvent]:
    return list(db.session.scalars(db.select(OutboxEvent).where(OutboxEvent.topic == "1c.client")
                                   .order_by(OutboxEvent.id)))


def audit_id(client_id: int, action: str) -> int:
    return db.session.scalar(db.select(AuditEvent.id).where(
        AuditEvent.object_type == "clients", AuditEvent.object_id == client_id, AuditEvent.action == action)
        .order_by(AuditEvent.id.desc()).limit(1))


def test_an_approved_change_goes_to_the_1c_outbox_with_the_clients_card(office):
    client = office.client
    request = client_changes.propose_change(office.manager, client.id, change_of(client, discount_bp=750,
                                                                                 name="ООО «Ромашка» Плюс"))
    assert outbox_rows() == []  # a proposal is not a fact for 1C yet
    approvals.decide(office.boss, "change", request.id, True)
    event, = outbox_rows()
    assert event.key == f"1c:client:{client.id}:change:{audit_id(client.id, 'client_change_approved')}"
    assert event.payload == {
        "id": client.id, "kind": "legal_entity", "name": "ООО «Ромашка» Плюс", "tax_id": "7707083893",
        "discount_bp": 750, "credit_limit": 10_000_00, "deferral_days": 14, "phones": [client.phones[0].number],
        "manager_email": office.manager.email}
    assert event.delivered_at is None

    # A rejection sends nothing.
    request = client_changes.propose_change(office.manager, client.id, change_of(db.session.get(Client, client.id),
                                                                                 discount_bp=900))
    client_changes.reject_change(office.boss, request.id, "no")
    assert len(outbox_rows()) == 1


def test_an_approved_new_client_and_a_supervisors_own_changes_go_to_1c(office):
    newcomer = client_changes.create_client(office.manager, NewClient(
        kind="private_person", name="Petrov Ivan", phone="+79160000077", discount_bp=300))
    assert outbox_rows() == []  # waiting for approval: not in 1C yet
    client_changes.approve_change(office.boss, client_changes.pending_request_of(newcomer.id).id)
    approved, = outbox_rows()
    assert approved.key == f"1c:client:{newcomer.id}:change:{audit_id(newcomer.id, 'client_change_approved')}"
    assert approved.payload == {"id": newcomer.id, "kind": "private_person", "name": "Petrov Ivan", "tax_id": "",
                                "discount_bp": 300, "credit_limit": 0, "deferral_days": 0,
                                "phones": ["+79160000077"], "manager_email": office.manager.email}

    direct = client_changes.create_client(office.boss, NewClient(
        kind="private_person", name="Sidorova Anna", phone="+79160000088", discount_bp=200, credit_limit=5_000_00,
        deferral_days=7, manager_id=office.colleague.id))
    client_changes.apply_change(office.boss, direct.id, change_of(direct, deferral_days=10))
    unassigned = client_changes.create_client(office.boss, NewClient(kind="private_person", name="Nobody's",
                                                                     phone="+79160000099"))
    rows = outbox_rows()
    assert [(r.key, r.payload["deferral_days"], r.payload["manager_email"]) for r in rows[1:]] == [
        (f"1c:client:{direct.id}:change:{audit_id(direct.id, 'client_created')}", 7, office.colleague.email),
        (f"1c:client:{direct.id}:change:{audit_id(direct.id, 'client_updated')}", 10, office.colleague.email),
        (f"1c:client:{unassigned.id}:change:{audit_id(unassigned.id, 'client_created')}", 0, None),
    ]
    assert rows[1].payload == {"id": direct.id, "kind": "private_person", "name": "Sidorova Anna", "tax_id": "",
                               "discount_bp": 200, "credit_limit": 5_000_00, "deferral_days": 7,
                               "phones": ["+79160000088"], "manager_email": office.colleague.email}


def test_a_failed_approval_leaves_nothing_in_the_outbox(office):
    client = office.client
    request = client_changes.propose_change(office.manager, client.id, change_of(client, discount_bp=750))
    with pytest.raises(DomainError):
        client_changes.approve_change(office.other_boss, request.id)
    assert outbox_rows() == []


# --- assignment ------------------------------------------------------------------------------------

def test_the_assignment_history_names_who_reassigned_whom(office):
    client = office.client
    assignment.assign_manager(office.boss, client.id, office.colleague.id)
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.object_type == "clients", AuditEvent.object_id == client.id, AuditEvent.action == "client_assigned"))
    assert (event.actor_id, event.before, event.after) == (
        office.boss.id, {"manager_id": office.manager.id, "manager": "Max Manager"},
        {"manager_id": office.colleague.id, "manager": "Carl Colleague"})
    note, = notes(office.colleague, "client_assigned")
    assert note.params == {"by": "Sonia Boss", "client": "ООО «Ромашка»"}

    nobodys = make_client(name="Nobody's")
    assignment.assign_manager(office.boss, nobodys.id, office.manager.id)
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.object_id == nobodys.id, AuditEvent.action == "client_assigned"))
    assert (event.before, event.after) == ({"manager_id": None, "manager": None},
                                           {"manager_id": office.manager.id, "manager": "Max Manager"})


def test_a_supervisors_own_order_for_a_team_client_waits_in_their_queue(office):
    order = submitted(office, [("DRILL", 1, 900)], actor=office.boss)
    assert order.status is OrderStatus.AWAITING_APPROVAL
    item, = approvals.queue(office.boss)
    assert (item.key, item.author.id) == (f"order-{order.id}", office.boss.id)
    assert approvals.queue(make_staff("supervisor")) == []
