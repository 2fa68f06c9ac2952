"""Every event a rule can wait for fires from the real service that makes the change, inside its
transaction; a rule runs once per event and object (the same event twice: one task); paused rules
and other teams' rules do not run. (Shared helpers: `make_rule`, `runs_of`, `tasks_of`.)"""
from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.models import Channel, Order, OrderStatus, PaymentMethod, RuleRun, Task, TaskOutcome, utcnow
from portal.services import tasks
from portal.services.automation import engine, rules
from portal.services.automation.rules import RuleSpec
from portal.services.clients import changes, clients
from portal.services.orders import orders
from portal.services.sales import returns, sales
from portal.services.sales.returns import ReturnRequest
from portal.services.sales.sales import Sale, SaleLine

from .test_manager_orders import confirmed, draft, new_order, office, paid, submitted  # noqa: F401

TASK = {"type": "create_task", "title": "Look at {client_name} {order_number}", "due_in": 1, "due_unit": "hours"}


def make_rule(supervisor, event, params=None, conditions=None, actions=None, name=None):
    return rules.create_rule(supervisor, RuleSpec(name or f"on {event}", event, params or {}, conditions or {},
                                                  actions or [dict(TASK)]))


def runs_of(rule) -> list[RuleRun]:
    return list(db.session.scalars(db.select(RuleRun).where(RuleRun.rule_id == rule.id).order_by(RuleRun.id)))


def tasks_of(rule) -> list[Task]:
    return list(db.session.scalars(db.select(Task).where(Task.rule_id == rule.id).order_by(Task.id)))


def web_sale(office, qty=1, client=None):
    return sales.place_paid_order(Sale(channel=Channel.WEB, lines=[SaleLine(qty=qty, sku="DRILL")],
                                       location_id=office.warehouse.id, client_id=(client or office.client).id))


def test_client_created_fires_from_every_path_that_creates_a_client_of_a_team(office):
    rule = make_rule(office.boss, "client_created")
    by_manager = changes.create_client(office.manager, changes.NewClient(
        kind="private_person", name="Anna", phone="+79160002233"))
    by_supervisor = changes.create_client(office.boss, changes.NewClient(
        kind="private_person", name="Boris", phone="+79160002244", manager_id=office.colleague.id))
    registered = clients.register_client("Vera", "+79160002255", None, "RU", created_by_id=office.manager.id,
                                         manager_id=office.manager.id)
    walk_in = clients.register_client("Gleb", "+79160002266", None, "RU")  # the web shop: no team, no rules
    assert [(r.object_id, r.status) for r in runs_of(rule)] == [
        (by_manager.id, "done"), (by_supervisor.id, "done"), (registered.id, "done")]
    assert [t.assignee_id for t in tasks_of(rule)] == [office.manager.id, office.colleague.id, office.manager.id]
    assert walk_in.id not in [t.client_id for t in tasks_of(rule)]
    # Another team's rule never sees these clients.
    other = make_rule(office.other_boss, "client_created")
    changes.create_client(office.manager, changes.NewClient(
        kind="private_person", name="Dina", phone="+79160002277"))
    assert runs_of(other) == [] and len(runs_of(rule)) == 4


def test_order_created_fires_for_drafts_and_for_web_orders(office):
    rule = make_rule(office.boss, "order_created")
    order = new_order(office)
    sale = web_sale(office)
    assert [(r.object_type, r.object_id, r.event) for r in runs_of(rule)] == [
        ("orders", order.id, "order_created"), ("orders", sale.id, "order_created")]
    assert tasks_of(rule)[0].title == f"Look at {office.client.name} {order.number}"
    assert tasks_of(rule)[0].order_id == order.id and tasks_of(rule)[0].client_id == office.client.id


def test_status_changes_fire_the_rule_of_that_status_once_each(office):
    on = {status: make_rule(office.boss, "order_status_changed", {"status": status})
          for status in ("awaiting_confirmation", "confirmed", "paid", "completed", "draft", "cancelled",
                         "partially_returned")}
    order = paid(office)  # submitted -> awaiting confirmation -> confirmed -> paid
    orders.complete(office.manager, order.id)
    returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="automation-return")
    other = submitted(office)
    orders.reopen(office.manager, other.id)  # back to draft
    orders.cancel(office.manager, other.id)
    seen = {status: [(r.object_id, r.occurrence) for r in runs_of(rule)] for status, rule in on.items()}
    assert seen == {
        "awaiting_confirmation": [(order.id, "awaiting_confirmation"), (other.id, "awaiting_confirmation")],
        "confirmed": [(order.id, "confirmed")], "paid": [(order.id, "paid")], "completed": [(order.id, "completed")],
        "draft": [(other.id, "draft")], "cancelled": [(other.id, "cancelled")],
        "partially_returned": [(order.id, "partially_returned")]}
    assert len(tasks_of(on["awaiting_confirmation"])) == 2


def test_order_paid_fires_for_a_manager_order_and_a_web_order(office):
    rule = make_rule(office.boss, "order_paid")
    order = paid(office)
    sale = web_sale(office)
    assert [r.object_id for r in runs_of(rule)] == [order.id, sale.id]
    assert db.session.get(Order, sale.id).status is OrderStatus.PAID


def test_order_above_amount_fires_once_when_a_draft_grows_past_the_amount(office):
    rule = make_rule(office.boss, "order_above_amount", {"amount": "10000.00"})
    order = new_order(office)  # 2 849.99: below
    assert runs_of(rule) == []
    orders.update_draft(office.manager, order.id, draft(office, (("DRILL", 20),)))  # 19 000.00
    orders.update_draft(office.manager, order.id, draft(office, (("DRILL", 30),)))  # still above: no second run
    assert [r.object_id for r in runs_of(rule)] == [order.id] and len(tasks_of(rule)) == 1


def test_task_no_answer_fires_for_each_unanswered_task(office):
    rule = make_rule(office.boss, "task_no_answer", actions=[
        {"type": "create_task", "title": "Call back {client_name}", "due_in": 2, "due_unit": "hours"}])
    first = tasks.create_task(office.manager, "Call", utcnow() + timedelta(hours=1), client_id=office.client.id)
    tasks.complete(office.manager, first.id, TaskOutcome.NO_ANSWER)
    [back] = tasks_of(rule)
    tasks.complete(office.manager, back.id, TaskOutcome.NO_ANSWER)  # no answer again: one more call-back
    assert [r.object_id for r in runs_of(rule)] == [first.id, back.id]
    assert len(tasks_of(rule)) == 2


def test_the_same_event_twice_creates_one_task(office):
    rule = make_rule(office.boss, "order_created")
    order = new_order(office)
    engine.fire("order_created", order, actor=office.manager)  # the event again, e.g. a retried request
    db.session.commit()
    engine.fire("order_created", db.session.get(Order, order.id), actor=office.manager)
    db.session.commit()
    assert len(runs_of(rule)) == 1 and len(tasks_of(rule)) == 1


def test_a_paused_rule_does_not_run_and_runs_again_when_resumed(office):
    rule = make_rule(office.boss, "order_created")
    rules.set_active(office.boss, rule.id, False)
    new_order(office)
    assert runs_of(rule) == []
    rules.set_active(office.boss, rule.id, True)
    order = new_order(office)
    assert [r.object_id for r in runs_of(rule)] == [order.id]


def test_payment_recorded_by_1c_fires_paid_too(office):
    from portal.integrations.onec import order_status
    rule = make_rule(office.boss, "order_paid")
    order = confirmed(office)
    note = order_status.apply_report(order_status.StatusReport(number=order.number, paid=True))
    assert note.endswith("paid")
    assert [r.object_id for r in runs_of(rule)] == [order.id]
    assert db.session.get(Order, order.id).payments[0].method is PaymentMethod.BANK_TRANSFER
