"""Each action done for real, and what happens when one fails: the failure is rolled back alone,
written to the run, and the sale or order that fired it commits as if no rule existed."""
from __future__ import annotations

from datetime import date, timedelta

from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import AuditEvent, Client, ClientPhone, Notification, Order, OrderStatus, OutboxEvent, Rule, utcnow
from portal.services.automation import actions, rules
from portal.services.automation.rules import RuleSpec
from portal.services.messaging.worker import Worker
from portal.services.orders import orders
from portal.web.common.notifications import notification_text

from ...factories import make_client
from .test_automation_events import make_rule, runs_of, tasks_of
from .test_manager_orders import confirmed, draft, new_order, office, paid, submitted  # noqa: F401


def stored_rule(supervisor, event, params, actions_list) -> Rule:
    """A rule as it may sit in the database after the rules for texts or limits changed (not
    validated again): the engine must cope with it."""
    rule = Rule(supervisor_id=supervisor.id, created_by_id=supervisor.id, name="old rule", event=event,
                event_params=params, conditions={}, actions=actions_list, active=True)
    db.session.add(rule)
    db.session.commit()
    return rule


def test_create_task_is_due_in_days_for_the_responsible_manager(office):
    rule = make_rule(office.boss, "order_created", actions=[
        {"type": "create_task", "title": "Check {order_number} ({amount}) of {client_name} by {manager_name}",
         "due_in": 3, "due_unit": "days"}])
    order = new_order(office, actor=office.boss)  # made by the supervisor, the client is office.manager's
    [task] = tasks_of(rule)
    assert task.assignee_id == office.manager.id
    assert task.title == f"Check {order.number} (2,849.99 ₽) of {office.client.name} by Max Manager"  # spaces folded
    assert task.due_at - runs_of(rule)[0].at == timedelta(days=3)


def test_assign_the_least_loaded_manager_and_tell_them(office):
    make_client(manager=office.manager)  # office.manager: 2 clients, colleague: none
    rule = make_rule(office.boss, "order_created", actions=[{"type": "assign_manager", "mode": "least_loaded"}])
    new_order(office)
    assert db.session.get(Client, office.client.id).manager_id == office.colleague.id
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == office.colleague.id,
                                                           Notification.kind == "client_assigned"))
    assert note is not None
    assert runs_of(rule)[0].actions_done[0]["user_id"] == office.colleague.id


def test_most_senior_is_the_earliest_hired_then_the_lowest_id(office):
    office.manager.hired_on = date(2019, 1, 1)
    office.colleague.hired_on = date(2019, 1, 1)
    db.session.commit()
    assert actions.choose_manager(office.boss, "most_senior").id == min(office.manager.id, office.colleague.id)
    office.colleague.hired_on = date(2018, 12, 31)
    db.session.commit()
    assert actions.choose_manager(office.boss, "most_senior").id == office.colleague.id


def test_sms_goes_through_the_outbox_and_the_worker_sends_it(office):
    rule = make_rule(office.boss, "order_created", actions=[
        {"type": "send_sms", "text": "{company}: order {order_number} for {amount} by {manager_name}"}])
    order = new_order(office)
    event = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.key.like("sms:rule:%")))
    assert event.delivered_at is None and sent_messages(office.sms) == []  # never sent inline
    Worker(idle_seconds=0).run_once()
    [sent] = sent_messages(office.sms)
    assert sent["phone"] == office.client.primary_phone
    assert sent["text"] == f"Portal: order {order.number} for 2,849.99\u00a0₽ by Max Manager"
    assert runs_of(rule)[0].actions_done[0]["outbox_id"] == event.id


def test_notify_the_supervisor_or_a_member_of_the_team(office):
    make_rule(office.boss, "order_created", actions=[
        {"type": "notify_user", "whom": "supervisor", "user_id": None, "text": "New order {order_number}"}])
    make_rule(office.boss, "order_created", actions=[
        {"type": "notify_user", "whom": "user", "user_id": office.colleague.id, "text": "Help {manager_name}"}])
    order = new_order(office)
    boss_note = db.session.scalar(db.select(Notification).where(Notification.user_id == office.boss.id,
                                                                Notification.kind == "automation_notice"))
    assert notification_text(boss_note) == f"Rule “on order_created”: New order {order.number}"
    assert boss_note.link == f"/manager/orders/{order.id}"
    colleague_note = db.session.scalar(db.select(Notification).where(Notification.user_id == office.colleague.id,
                                                                     Notification.kind == "automation_notice"))
    assert colleague_note.params["text"] == "Help Max Manager"


def test_extra_discount_within_the_limit_with_exact_amounts(office):
    # DRILL × 1 + PIPE × 3 at the client's 5 % + 2.5 %: 7.5 % of 1 000.00 = 75.00, of 999.99 = 74.99925 -> 75.00
    rule = make_rule(office.boss, "order_created", actions=[{"type": "apply_discount", "percent": "2.5"}])
    order = new_order(office, (("DRILL", 1), ("PIPE", 3), ("VALVE", 2)))
    order = db.session.get(Order, order.id)
    assert [line.discount_bp for line in order.lines] == [750, 750, 0]
    assert [line.discount for line in order.lines] == [75_00, 75_00, 0]
    assert (order.subtotal, order.discount, order.paid) == (2_199_97, 150_00, 2_049_97)
    assert runs_of(rule)[0].status == "done"
    # The order now needs the supervisor's approval like any discount above the approved rate.
    assert orders.submit(office.manager, order.id).status is OrderStatus.AWAITING_APPROVAL


def test_extra_discount_on_an_order_no_longer_editable_is_a_clean_error(office):
    rule = make_rule(office.boss, "order_status_changed", {"status": "draft"},
                     actions=[{"type": "apply_discount", "percent": "3"}])
    stale = stored_rule(office.boss, "order_status_changed", {"status": "awaiting_confirmation"},
                        [{"type": "apply_discount", "percent": "3"}])
    order = submitted(office)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION and order.discount == 150_00
    [run] = runs_of(stale)
    assert run.status == "failed" and run.errors == [
        {"type": "apply_discount", "message": "the order is awaiting_confirmation and can no longer be changed"}]
    orders.reopen(office.manager, order.id)  # back to draft: now the rule of "draft" gives it
    assert db.session.get(Order, order.id).discount == 240_00  # 8 % of 2 000.00 = 160.00 + of 999.99 = 80.00
    assert runs_of(rule)[0].status == "done"


def test_a_discount_over_the_limit_is_refused_when_saved_and_when_run(office):
    errors = rules.validate(office.boss, RuleSpec("x", "order_created", {}, {},
                                                  [{"type": "apply_discount", "percent": "5.01"}]))
    assert set(errors) == {"discount_percent"}
    over = stored_rule(office.boss, "order_created", {}, [{"type": "apply_discount", "percent": "12"}])
    order = new_order(office)
    assert db.session.get(Order, order.id).discount == 150_00
    assert runs_of(over)[0].errors[0]["message"] == "12 % is over the limit of 5 %"


def test_a_failing_sms_does_not_roll_back_the_order(office):
    """The client has no phone: the SMS action fails, the payment and the other action stand."""
    rule = make_rule(office.boss, "order_status_changed", {"status": "paid"}, actions=[
        {"type": "send_sms", "text": "Order {order_number}: {status}"},
        {"type": "notify_user", "whom": "manager", "user_id": None, "text": "Paid {order_number}"}])
    order = confirmed(office)
    db.session.execute(db.delete(ClientPhone).where(ClientPhone.client_id == office.client.id))
    db.session.commit()
    order = _pay(office, order)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.PAID
    [run] = runs_of(rule)
    assert run.status == "partly"
    assert run.errors == [{"type": "send_sms", "message": "the client has no phone"}]
    assert [a["type"] for a in run.actions_done] == ["notify_user"]
    assert db.session.scalar(db.select(db.func.count(OutboxEvent.id)).where(OutboxEvent.key.like("sms:rule:%"))) == 0


def test_an_sms_text_that_cannot_be_filled_in_fails_alone(office):
    rule = stored_rule(office.boss, "order_created", {}, [
        {"type": "send_sms", "text": "Dear {first_name}"},
        {"type": "create_task", "title": "Call", "due_in": 1, "due_unit": "hours"}])
    order = new_order(office)
    assert db.session.get(Order, order.id).status is OrderStatus.DRAFT
    [run] = runs_of(rule)
    assert run.status == "partly"
    assert run.errors == [{"type": "send_sms", "message": "the text cannot be filled in: unknown placeholder first_name"}]
    assert len(tasks_of(rule)) == 1


def test_an_action_raising_an_exception_is_rolled_back_alone_and_logged(office):
    """A task due 10^9 days ahead overflows the date: a real exception inside the action."""
    rule = stored_rule(office.boss, "order_status_changed", {"status": "paid"}, [
        {"type": "create_task", "title": "Never", "due_in": 10 ** 9, "due_unit": "days"}])
    order = paid(office)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.PAID
    assert db.session.get(Order, order.id).accrual > 0  # the bonus accrual of the payment is there
    [run] = runs_of(rule)
    assert run.status == "failed" and run.errors[0]["type"] == "create_task"
    assert run.errors[0]["message"].startswith("OverflowError")
    assert tasks_of(rule) == []
    assert db.session.scalar(db.select(AuditEvent.action).where(
        AuditEvent.object_type == "orders", AuditEvent.object_id == order.id, AuditEvent.action == "order_paid"))


def _pay(office, order):
    from portal.models import PaymentMethod
    from portal.services.orders import payments
    return payments.record_payment(office.manager, order.id, PaymentMethod.BANK_TRANSFER, order.outstanding,
                                         expected_outstanding=order.outstanding, now=utcnow())


def test_run_counts_and_the_log_of_runs(office):
    good = make_rule(office.boss, "order_created")
    bad = stored_rule(office.boss, "order_created", {}, [{"type": "send_sms", "text": "{nope}"}])
    _first, second = new_order(office), new_order(office)
    assert rules.run_counts([good.id, bad.id]) == {good.id: (2, 0), bad.id: (0, 2)}
    page = rules.runs(office.boss)
    assert page.total == 4 and [r.object_id for r in page.items][:2] == [second.id, second.id]
    assert rules.runs(office.boss, rule_id=good.id).total == 2 and rules.runs(office.other_boss).total == 0
