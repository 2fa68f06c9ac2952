"""Each of the seven ready templates (six CRM scenarios), enabled with one click and run end to end
through the real services: the rule's effect and its RuleRun in the log.

Figures (the client has an approved 5 % discount; DRILL 1 000.00, PIPE 333.33, VALVE 99.99 without
discounts):
    DRILL × 100 + PIPE × 30 + VALVE × 1: subtotal 110 099.89, 5 % = 5 000.00 + 500.00 (499.995 half-up)
    = 5 500.00, total 104 599.89 ≥ 100 000.00 -> template 3 adds 3 %: 8 % = 8 000.00 + 799.99 (799.992)
    = 8 799.99, total 101 299.90.
"""
from __future__ import annotations

from datetime import date, timedelta

from portal.clock import local_date
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import (
    AuditEvent,
    Client,
    Notification,
    OrderStatus,
    OutboxEvent,
    Rule,
    RuleRun,
    Task,
    TaskOutcome,
    TaskStatus,
    utcnow,
)
from portal.services import tasks
from portal.services.automation import TEMPLATES, enable_template, enabled_templates, rules
from portal.services.automation.engine import run_date_rules
from portal.services.clients import changes
from portal.services.messaging.worker import Worker
from portal.services.orders import orders

from .test_manager_orders import draft, new_order, office, paid  # noqa: F401


def runs_of(rule: Rule) -> list[RuleRun]:
    return list(db.session.scalars(db.select(RuleRun).where(RuleRun.rule_id == rule.id).order_by(RuleRun.id)))


def rule_sms() -> list[OutboxEvent]:
    return list(db.session.scalars(db.select(OutboxEvent).where(OutboxEvent.key.like("sms:rule:%"))
                                   .order_by(OutboxEvent.id)))


def test_there_are_seven_templates_and_enabling_one_twice_gives_the_same_rule(office):
    assert [t.code for t in TEMPLATES] == ["new_client_call", "no_answer_call_back", "big_order_discount",
                                           "contract_renewal", "birthday_sms", "order_status_sms", "big_deal_senior"]
    rule = enable_template(office.boss, "new_client_call")
    assert rule.active and rule.template == "new_client_call" and rule.supervisor_id == office.boss.id
    assert enable_template(office.boss, "new_client_call").id == rule.id
    rules.set_active(office.boss, rule.id, False)
    again = enable_template(office.boss, "new_client_call")  # enabling a paused template resumes it
    assert again.id == rule.id and again.active
    assert enabled_templates(office.boss) == {"new_client_call"}
    assert enabled_templates(office.other_boss) == set()
    # Every template's rule passes the same validation as a rule from the form.
    for template in TEMPLATES:
        assert rules.validate(office.boss, template.spec()) == {}, template.code
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action.in_(["rule_created", "rule_paused", "rule_resumed"]))) == 3


def test_1_new_client_gets_a_call_task_for_the_responsible_manager(office):
    rule = enable_template(office.boss, "new_client_call")
    client = changes.create_client(office.manager, changes.NewClient(
        kind="private_person", name="Ivan Petrov", phone="+79160001122"))
    task = db.session.scalar(db.select(Task).where(Task.client_id == client.id))
    assert task.title == "Call the new client Ivan Petrov"
    assert task.assignee_id == office.manager.id and task.rule_id == rule.id and task.set_by_id is None
    [run] = runs_of(rule)
    assert (run.event, run.object_type, run.object_id, run.status) == ("client_created", "clients", client.id, "done")
    assert run.actions_done[0]["task_id"] == task.id and run.errors == []
    assert task.due_at - run.at == timedelta(days=1)


def test_2_no_answer_sets_a_call_back_in_two_hours(office):
    rule = enable_template(office.boss, "no_answer_call_back")
    first = tasks.create_task(office.manager, "Call about the offer", utcnow() + timedelta(hours=1),
                              client_id=office.client.id)
    tasks.complete(office.manager, first.id, TaskOutcome.NO_ANSWER)
    back = db.session.scalar(db.select(Task).where(Task.rule_id == rule.id))
    assert back.title == f"Call back {office.client.name}" and back.status is TaskStatus.OPEN
    assert back.assignee_id == office.manager.id and back.client_id == office.client.id
    [run] = runs_of(rule)
    assert (run.object_type, run.object_id) == ("tasks", first.id)
    assert back.due_at - run.at == timedelta(hours=2)
    # Closing the call-back as done sets nothing more.
    tasks.complete(office.manager, back.id, TaskOutcome.DONE)
    assert len(runs_of(rule)) == 1


def test_3_a_big_managers_order_gets_the_extra_discount_with_exact_amounts(office):
    rule = enable_template(office.boss, "big_order_discount")
    order = new_order(office, (("DRILL", 100), ("PIPE", 30), ("VALVE", 1)))
    db.session.expire_all()
    assert order.subtotal == 110_099_89
    assert [line.discount_bp for line in order.lines] == [800, 800, 0]
    assert [line.discount for line in order.lines] == [8_000_00, 799_99, 0]
    assert order.discount == 8_799_99 and order.total == 101_299_90 and order.paid == 101_299_90
    [run] = runs_of(rule)
    assert run.status == "done"
    assert (run.actions_done[0]["discount_before"], run.actions_done[0]["discount_after"]) == (5_500_00, 8_799_99)
    assert orders.order_for(office.manager, order.id).status is OrderStatus.DRAFT
    # The history says a rule gave it; a small order gets nothing.
    assert db.session.scalar(db.select(AuditEvent.action).where(
        AuditEvent.object_type == "orders", AuditEvent.object_id == order.id,
        AuditEvent.action == "order_discount_by_rule")) == "order_discount_by_rule"
    small = new_order(office)
    assert small.discount == 150_00 and len(runs_of(rule)) == 1


def test_4a_contract_renewal_30_days_ahead_sets_a_task_once(office):
    rule = enable_template(office.boss, "contract_renewal")
    today = local_date()
    office.client.contract_renewal_on = today + timedelta(days=30)
    db.session.commit()
    assert run_date_rules(today) == 1
    assert run_date_rules(today) == 0
    task = db.session.scalar(db.select(Task).where(Task.rule_id == rule.id))
    assert task.assignee_id == office.manager.id and task.client_id == office.client.id
    assert task.title.startswith(f"Renew the contract of {office.client.name} by ")
    assert run_date_rules(today + timedelta(days=1)) == 0
    [run] = runs_of(rule)
    assert run.occurrence == today.isoformat() and run.event == "contract_renewal"


def test_4b_birthday_greeting_goes_out_by_sms_through_the_worker(office):
    rule = enable_template(office.boss, "birthday_sms")
    today = local_date()
    born = date(1988, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)
    office.client.birthday = born
    db.session.commit()
    Worker(idle_seconds=0).run_once()  # the worker runs the day's date rules, then delivers
    [run] = runs_of(rule)
    assert run.status == "done" and run.occurrence == today.isoformat()
    texts = [m["text"] for m in sent_messages(office.sms) if m["phone"] == office.client.primary_phone]
    assert texts == [f"Happy birthday, {office.client.name}! Best wishes from Portal."]


def test_5_the_client_is_told_by_sms_when_the_order_is_paid(office):
    rule = enable_template(office.boss, "order_status_sms")
    order = paid(office)
    [run] = runs_of(rule)
    assert (run.event, run.occurrence, run.object_id, run.status) == ("order_status_changed", "paid", order.id, "done")
    [event] = rule_sms()
    assert event.payload["text"] == f"Order {order.number}: Paid"
    assert event.payload["phone"] == office.client.primary_phone


def test_6_a_big_deal_goes_to_the_most_senior_manager_with_a_task(office):
    office.manager.hired_on = date(2021, 3, 1)
    office.colleague.hired_on = date(2015, 6, 1)  # the most senior of the team
    db.session.commit()
    rule = enable_template(office.boss, "big_deal_senior")
    order = new_order(office, (("DRILL", 600),))  # 600 000.00 - 5 % = 570 000.00 > 500 000.00
    client = db.session.get(Client, office.client.id)
    assert client.manager_id == office.colleague.id
    task = db.session.scalar(db.select(Task).where(Task.rule_id == rule.id))
    assert task.assignee_id == office.colleague.id and task.order_id == order.id
    assert task.title == f"Big order {order.number} of {client.name}: get in touch"
    history = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.object_type == "clients", AuditEvent.object_id == client.id, AuditEvent.action == "client_assigned"))
    assert history.before == {"manager_id": office.manager.id, "manager": "Max Manager"}
    assert history.after == {"manager_id": office.colleague.id, "manager": "Carl Colleague"}
    told = db.session.scalar(db.select(Notification).where(Notification.user_id == office.colleague.id,
                                                           Notification.kind == "client_assigned"))
    assert told.params == {"by": office.boss.name, "client": client.name}
    [run] = runs_of(rule)
    assert [a["type"] for a in run.actions_done] == ["assign_manager", "create_task"] and run.status == "done"


def test_templates_enabled_in_russian_and_ukrainian_keep_their_placeholders(office):
    from flask_babel import force_locale
    for lang, boss in (("ru", office.boss), ("uk", office.other_boss)):
        with force_locale(lang):
            for template in TEMPLATES:
                spec = template.spec()
                assert rules.validate(boss, spec) == {}, (lang, template.code)
            rule = enable_template(boss, "new_client_call")
        assert "{client_name}" in rule.actions[0]["title"] and rule.actions[0]["title"] != "Call the new client {client_name}"
