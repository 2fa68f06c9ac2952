"""Ready rules a supervisor enables with one click (SPEC §8, the six CRM scenarios; the fourth is two
templates: contract renewal and birthday). A template's texts are written in the supervisor's language
when it is enabled; the rule can then be edited like any other."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.errors import NotFound
from portal.extensions import db
from portal.models import Rule, User
from portal.services.automation.rules import RuleSpec, create_rule_in_transaction, set_active
from portal.services.transactions import one_transaction


@dataclass(frozen=True)
class Template:
    code: str
    title: object  # lazy translation
    description: object
    spec: Callable[[], RuleSpec]


def _new_client() -> RuleSpec:
    return RuleSpec(_("New client: call"), "client_created", {}, {},
                    [{"type": "create_task", "title": _("Call the new client {client_name}"), "due_in": 1,
                      "due_unit": "days"}])


def _call_back() -> RuleSpec:
    return RuleSpec(_("No answer: call back in 2 hours"), "task_no_answer", {}, {},
                    [{"type": "create_task", "title": _("Call back {client_name}"), "due_in": 2,
                      "due_unit": "hours"}])


def _big_order_discount() -> RuleSpec:
    return RuleSpec(_("Manager's order from %(amount)s: extra %(percent)s %%", amount="100 000", percent="3"),
                    "order_created", {},
                    {"amount_gte": "100000.00", "channels": ["manager"]},
                    [{"type": "apply_discount", "percent": "3"}])


def _contract_renewal() -> RuleSpec:
    return RuleSpec(_("Contract renewal in 30 days"), "contract_renewal", {"days_before": 30}, {},
                    [{"type": "create_task", "title": _("Renew the contract of {client_name} by {due_date}"),
                      "due_in": 3, "due_unit": "days"}])


def _birthday() -> RuleSpec:
    return RuleSpec(_("Birthday greeting"), "birthday", {"days_before": 0}, {},
                    [{"type": "send_sms", "text": _("Happy birthday, {client_name}! Best wishes from {company}.")}])


def _status_sms() -> RuleSpec:
    return RuleSpec(_("SMS to the client: order paid"), "order_status_changed", {"status": "paid"}, {},
                    [{"type": "send_sms", "text": _("Order {order_number}: {status}")}])


def _big_deal() -> RuleSpec:
    return RuleSpec(_("Big deal to the most senior manager"), "order_above_amount", {"amount": "500000.00"}, {},
                    [{"type": "assign_manager", "mode": "most_senior"},
                     {"type": "create_task", "title": _("Big order {order_number} of {client_name}: get in touch"),
                      "due_in": 4, "due_unit": "hours"}])


TEMPLATES: list[Template] = [
    Template("new_client_call", _l("New client → call task"),
             _l("When a client is created, the responsible manager gets a task to call them within a day."),
             _new_client),
    Template("no_answer_call_back", _l("Missed call → call back in 2 hours"),
             _l("When a call task is closed with “No answer”, a “Call back” task is set for 2 hours later."),
             _call_back),
    Template("big_order_discount", _l("Big order → extra discount"),
             _l("A manager's order of %(amount)s or more gets an extra %(percent)s %% discount while it is a draft.",
                amount="100 000.00", percent="3"),
             _big_order_discount),
    Template("contract_renewal", _l("Contract renewal reminder"),
             _l("30 days before a client's contract renewal date, the manager gets a task to renew it."),
             _contract_renewal),
    Template("birthday_sms", _l("Birthday greeting by SMS"),
             _l("On a client's birthday, an SMS greeting is sent."), _birthday),
    Template("order_status_sms", _l("Order status by SMS"),
             _l("When an order is paid, the client gets an SMS with its number and status."), _status_sms),
    Template("big_deal_senior", _l("Big deal → most senior manager"),
             _l("An order above 500 000.00 goes to the most senior manager of the team, with a task."),
             _big_deal),
]
BY_CODE = {template.code: template for template in TEMPLATES}


def enabled_templates(supervisor: User) -> set[str]:
    """The codes of the templates the supervisor has enabled (paused ones included)."""
    return set(db.session.scalars(db.select(Rule.template).where(
        Rule.supervisor_id == supervisor.id, Rule.template.is_not(None))))


def enable_template(supervisor: User, code: str) -> Rule:
    """Create the template's rule, active. Enabled already: that rule (resumed if it was paused)."""
    template = BY_CODE.get(code)
    if template is None:
        raise NotFound(_l("No such template."))
    existing = db.session.scalar(db.select(Rule).where(Rule.supervisor_id == supervisor.id, Rule.template == code)
                                 .order_by(Rule.id).limit(1))
    if existing is not None:
        return existing if existing.active else set_active(supervisor, existing.id, True)

    def run() -> Rule:
        return create_rule_in_transaction(supervisor, template.spec(), template=code)
    return one_transaction(run)


__all__ = ["TEMPLATES", "Template", "enable_template", "enabled_templates"]
