"""Conditions on fields (amount ≥, channel, client kind, catalogue section, manager), checked on the
real objects when the event fires; and the rule form's validation, keyed by the form's field names."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from portal.errors import Forbidden, NotFound, ValidationError
from portal.extensions import db
from portal.models import ClientKind, Section
from portal.services.automation import rules
from portal.services.automation.rules import RuleSpec

from .test_automation_events import make_rule, runs_of, web_sale
from .test_manager_orders import new_order, office  # noqa: F401


def test_amount_and_channel_conditions(office):
    big_manager = make_rule(office.boss, "order_created", conditions={"amount_gte": "2849.99", "channels": ["manager"]})
    any_web = make_rule(office.boss, "order_created", conditions={"channels": ["web"]})
    exact = new_order(office)  # 2 849.99 exactly: ≥ holds
    below = new_order(office, (("DRILL", 1),))  # 950.00
    sale = web_sale(office, qty=5)
    assert [r.object_id for r in runs_of(big_manager)] == [exact.id]
    assert below.id not in [r.object_id for r in runs_of(any_web)]
    assert [r.object_id for r in runs_of(any_web)] == [sale.id]


def test_client_kind_and_manager_conditions(office):
    legal = make_rule(office.boss, "order_created", conditions={"client_kinds": ["legal_entity"]})
    persons = make_rule(office.boss, "order_created", conditions={"client_kinds": ["private_person"]})
    colleagues = make_rule(office.boss, "order_created", conditions={"manager_ids": [office.colleague.id]})
    mine = make_rule(office.boss, "order_created", conditions={"manager_ids": [office.manager.id]})
    order = new_order(office)  # the office's client is a legal entity of office.manager
    assert office.client.kind is ClientKind.LEGAL_ENTITY
    assert [r.object_id for r in runs_of(legal)] == [order.id] and runs_of(persons) == []
    assert [r.object_id for r in runs_of(mine)] == [order.id] and runs_of(colleagues) == []


def test_section_condition_includes_subsections(office):
    tools = Section(name="Tools")
    db.session.add(tools)
    db.session.flush()
    drills = Section(name="Drills", parent_id=tools.id)
    pipes = Section(name="Pipes")
    db.session.add_all([drills, pipes])
    db.session.flush()
    office.products["DRILL"].section_id = drills.id
    office.products["PIPE"].section_id = pipes.id
    db.session.commit()
    on_tools = make_rule(office.boss, "order_created", conditions={"section_ids": [tools.id]})
    with_drill = new_order(office)
    pipes_only = new_order(office, (("PIPE", 1),))
    assert [r.object_id for r in runs_of(on_tools)] == [with_drill.id]
    assert pipes_only.id not in [r.object_id for r in runs_of(on_tools)]


def form(**values) -> MultiDict:
    data = MultiDict()
    for key, value in values.items():
        for v in value if isinstance(value, list) else [value]:
            data.add(key, v)
    return data


def test_the_form_round_trips_through_a_spec(office):
    spec, errors = rules.spec_from_form(form(
        name="  Big   web orders ", event="order_above_amount", event_amount="250 000,50",
        cond_channels=["web", "manager"], cond_client_kinds=["legal_entity"],
        cond_manager_ids=[str(office.manager.id)], act_create_task="on", task_title="Call {client_name}",
        task_due_in="3", task_due_unit="days", act_notify_user="on", notify_whom="supervisor",
        notify_text="Order {order_number} for {amount}", act_assign_manager="on", assign_mode="least_loaded"))
    assert errors == {}
    assert spec == RuleSpec("Big web orders", "order_above_amount", {"amount": "250000.50"},
                            {"channels": ["web", "manager"], "client_kinds": ["legal_entity"],
                             "manager_ids": [office.manager.id]},
                            [{"type": "assign_manager", "mode": "least_loaded"},
                             {"type": "create_task", "title": "Call {client_name}", "due_in": 3, "due_unit": "days"},
                             {"type": "notify_user", "whom": "supervisor", "user_id": None,
                              "text": "Order {order_number} for {amount}"}])
    rule = rules.create_rule(office.boss, spec)
    values = rules.form_values(rules.spec_of(rule))
    assert values["event_amount"] == "250000.50" and values["cond_manager_ids"] == [str(office.manager.id)]
    assert values["act_create_task"] and not values["act_send_sms"] and values["task_due_unit"] == "days"
    again, errors = rules.spec_from_form(form(**{k: v for k, v in values.items() if v not in (False, "", [])}))
    assert errors == {} and again == rules.spec_of(rule)


def test_validation_names_each_wrong_field(office):
    spec, errors = rules.spec_from_form(form(event="order_above_amount", event_amount="lots", task_due_in="x",
                                             act_create_task="on", act_apply_discount="on", discount_percent="abc"))
    assert set(errors) == {"event_amount", "task_due_in", "discount_percent"}
    bad = RuleSpec("", "client_created", {}, {"amount_gte": "10.00", "channels": ["fax"],
                                               "manager_ids": [office.stranger.id]},
                   [{"type": "send_sms", "text": "Hi {name}"},
                    {"type": "apply_discount", "percent": "7.5"},
                    {"type": "create_task", "title": "", "due_in": 5000, "due_unit": "weeks"},
                    {"type": "notify_user", "whom": "user", "user_id": office.stranger.id, "text": "x"}])
    assert set(rules.validate(office.boss, bad)) == {
        "name", "cond_amount_gte", "cond_channels", "cond_manager_ids", "sms_text", "act_apply_discount",
        "discount_percent", "task_title", "task_due_in", "task_due_unit", "notify_user_id"}
    assert "{client_name}" in str(rules.validate(office.boss, bad)["sms_text"])
    assert set(rules.validate(office.boss, RuleSpec("x", "order_status_changed", {"status": "lost"}, {}, []))) == {
        "event_status", "actions"}
    assert set(rules.validate(office.boss, RuleSpec("x", "birthday", {"days_before": 400}, {},
                                                    [{"type": "send_sms", "text": "{"}]))) == {
        "event_days_before", "sms_text"}
    assert rules.validate(office.boss, RuleSpec("x", "order_created", {}, {},
                                                [{"type": "apply_discount", "percent": "5"}])) == {}
    try:
        rules.create_rule(office.boss, bad)
        raise AssertionError("saved")
    except ValidationError as exc:
        assert "name" in exc.fields


def test_only_a_supervisor_sets_up_rules_and_only_their_own(office):
    rule = make_rule(office.boss, "client_created")
    for who, error in ((office.manager, Forbidden), (office.other_boss, NotFound)):
        try:
            rules.update_rule(who, rule.id, rules.spec_of(rule))
            raise AssertionError("changed")
        except error:
            pass
    try:
        rules.create_rule(office.manager, rules.spec_of(rule))
        raise AssertionError("created")
    except Forbidden:
        pass
    assert [r.id for r in rules.rules_of(office.boss)] == [rule.id] and rules.rules_of(office.other_boss) == []
    spec = rules.spec_of(rule)
    spec.name = "Renamed"
    rules.update_rule(office.boss, rule.id, spec)
    assert rules.rule_of(office.boss, rule.id).name == "Renamed"
