"""The events a rule can wait for, the conditions and actions each one allows, and the labels
the rule form shows for them. Pure data: the engine and the rule validation read it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.models import OrderStatus

EVENTS = {
    "client_created": _l("A client is created"),
    "order_created": _l("An order is created"),
    "order_status_changed": _l("An order's status changes to"),
    "order_paid": _l("An order is paid"),
    "order_above_amount": _l("An order is above an amount"),
    "contract_renewal": _l("A contract renewal date is near"),
    "birthday": _l("A client's birthday"),
    "payment_due": _l("A deferred payment is due"),
    "task_no_answer": _l("A call task ends with “No answer”"),
}

CLIENT_EVENTS = ("client_created", "contract_renewal", "birthday")
ORDER_EVENTS = ("order_created", "order_status_changed", "order_paid", "order_above_amount", "payment_due")
TASK_EVENTS = ("task_no_answer",)
# Run by `flask worker` once a day (engine.run_date_rules), not by a business operation.
DATE_EVENTS = ("contract_renewal", "birthday", "payment_due")

# Which parameter each event takes (form field -> key in Rule.event_params).
EVENT_PARAMS = {
    "order_status_changed": "status",
    "order_above_amount": "amount",
    "contract_renewal": "days_before",
    "birthday": "days_before",
    "payment_due": "days_before",
}
MAX_DAYS_BEFORE = 365
# The statuses a status rule can wait for (a draft is only ever the start, and is reached again by
# reopening; it is allowed so a rule can react to "returned to draft").
STATUSES = tuple(status.value for status in OrderStatus)

ACTIONS = {
    "assign_manager": _l("Assign a manager of the team"),
    "apply_discount": _l("Apply an extra discount to the order"),
    "create_task": _l("Create a task for the responsible manager"),
    "send_sms": _l("Send an SMS to the client"),
    "notify_user": _l("Notify a user"),
}
# The order the rule form lists (and a rule from the form runs) its actions in: a manager is assigned
# before the task is set, so the task goes to the new one.
ACTION_ORDER = ("assign_manager", "apply_discount", "create_task", "send_sms", "notify_user")
ASSIGN_MODES = {"most_senior": _l("The most senior manager"), "least_loaded": _l("The least loaded manager")}
DUE_UNITS = {"hours": _l("hours"), "days": _l("days")}
NOTIFY_WHOM = {"manager": _l("The responsible manager"), "supervisor": _l("The supervisor"),
               "user": _l("A member of the team")}

# Conditions that read an order; with a client or date event about a client they have nothing to read.
ORDER_CONDITIONS = ("amount_gte", "channels", "section_ids")
CLIENT_CONDITIONS = ("client_kinds", "manager_ids")

# An extra discount can only be given while the order is still being prepared.
EDITABLE_STATUSES = (OrderStatus.DRAFT.value, OrderStatus.AWAITING_APPROVAL.value)


def has_order(event: str) -> bool:
    """The event is about an order (a task event may have one too, but need not)."""
    return event in ORDER_EVENTS


def allows_discount(event: str, params: dict) -> bool:
    """apply_discount makes sense only where the order is still editable when the event fires."""
    if event in ("order_created", "order_above_amount"):
        return True
    return event == "order_status_changed" and params.get("status") in EDITABLE_STATUSES


def object_kind(event: str) -> str:
    """The table of the object a run of this event is about."""
    if event in ORDER_EVENTS:
        return "orders"
    if event in TASK_EVENTS:
        return "tasks"
    return "clients"
