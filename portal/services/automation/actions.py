"""What a rule's actions do, each inside the engine's SAVEPOINT of the triggering transaction.

An action returns what it did as a dict for RuleRun.actions_done ({"type", "result", ...ids}) or
raises: ActionFailed (a clean reason: no phone, order no longer editable, ...) or any other error;
the engine records either in RuleRun.errors and the business operation goes on."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Client, Product, Role, User
from portal.services import audit, tasks
from portal.services.automation import events as ev
from portal.services.automation import placeholders
from portal.services.automation.rules import max_discount_percent, percent_to_bp
from portal.services.clients import assignment
from portal.services.messaging import sms
from portal.services.orders import orders
from portal.services.staff import team


class ActionFailed(DomainError):
    code = "action_failed"


def _responsible(ctx) -> User:
    """Who a rule's task or notice goes to: the client's responsible manager; else the manager who
    made the order or holds the task; else the rule's supervisor."""
    client = ctx.client
    if client is not None and client.manager_id is not None:
        manager = db.session.get(User, client.manager_id)
        if manager is not None and manager.active:
            return manager
    for person in (ctx.manager, ctx.actor):
        if person is not None and person.active and person.role is Role.MANAGER:
            return person
    return ctx.rule.supervisor


def _render(text: str, ctx) -> str:
    try:
        return placeholders.render(text or "", placeholders.values_for(ctx)).strip()
    except placeholders.PlaceholderError as exc:
        raise ActionFailed(f"the text cannot be filled in: {exc}") from None


def _link(ctx) -> str:
    if ctx.order is not None:
        return f"/manager/orders/{ctx.order.id}"
    if ctx.client is not None:
        return f"/manager/clients/{ctx.client.id}"
    return ""


def create_task(action: dict, ctx, run) -> dict:
    assignee = _responsible(ctx)
    unit = action.get("due_unit", "hours")
    delta = timedelta(days=action.get("due_in", 0)) if unit == "days" else timedelta(hours=action.get("due_in", 0))
    title = _render(action.get("title", ""), ctx)
    if not title:
        raise ActionFailed("the task title came out empty")
    task = tasks.create_task_in_transaction(
        title=title, due_at=ctx.now + delta, assignee_id=assignee.id,
        client_id=ctx.client.id if ctx.client is not None else None,
        order_id=ctx.order.id if ctx.order is not None else None, rule_id=ctx.rule.id)
    return {"type": "create_task", "task_id": task.id, "user_id": assignee.id,
            "result": f"task #{task.id} for {assignee.name}"}


def _team_managers(supervisor: User) -> list[User]:
    return [m for m in team.team_members(supervisor) if m.active]


def choose_manager(supervisor: User, mode: str) -> User | None:
    """The most senior (earliest hired_on, never-dated last, ties by id) or the least loaded (fewest
    clients responsible for, ties by id) active manager of the team."""
    managers = _team_managers(supervisor)
    if not managers:
        return None
    if mode == "least_loaded":
        load = dict(db.session.execute(db.select(Client.manager_id, db.func.count(Client.id))
                                       .where(Client.manager_id.in_([m.id for m in managers]))
                                       .group_by(Client.manager_id)).all())
        return min(managers, key=lambda m: (load.get(m.id, 0), m.id))
    return min(managers, key=lambda m: (m.hired_on or date.max, m.id))


def assign_manager(action: dict, ctx, run) -> dict:
    if ctx.client is None:
        raise ActionFailed("there is no client to assign")
    supervisor = ctx.rule.supervisor
    if not supervisor.active:
        raise ActionFailed("the rule's supervisor is not active")
    manager = choose_manager(supervisor, action.get("mode", "most_senior"))
    if manager is None:
        raise ActionFailed("the team has no active manager")
    before = ctx.client.manager_id
    assignment.assign_manager_in_transaction(supervisor, ctx.client, manager)
    if before == manager.id:
        return {"type": "assign_manager", "user_id": manager.id, "result": f"{manager.name} is already responsible"}
    return {"type": "assign_manager", "user_id": manager.id, "previous_id": before,
            "result": f"{manager.name} is now responsible"}


def send_sms(action: dict, ctx, run, index: int) -> dict:
    client = ctx.client
    if client is None:
        raise ActionFailed("there is no client to send the SMS to")
    phone = client.primary_phone
    if not phone:
        raise ActionFailed("the client has no phone")
    text = _render(action.get("text", ""), ctx)
    if not text:
        raise ActionFailed("the SMS text came out empty")
    # Through the outbox: sent by `flask worker` after this transaction commits, retried on failure.
    event = sms.queue(phone, text, key=f"sms:rule:{ctx.rule.id}:run:{run.id}:{index}")
    db.session.flush()
    return {"type": "send_sms", "outbox_id": event.id, "result": f"SMS to {phone} queued"}


def notify_user(action: dict, ctx, run) -> dict:
    whom = action.get("whom", "manager")
    if whom == "supervisor":
        person = ctx.rule.supervisor
    elif whom == "user":
        person = db.session.get(User, action.get("user_id")) if action.get("user_id") else None
    else:
        person = _responsible(ctx)
    if person is None or not person.active:
        raise ActionFailed("the person to notify is not an active user")
    text = _render(action.get("text", ""), ctx)
    audit.notify(person, "automation_notice", _link(ctx), rule=ctx.rule.name, text=text)
    return {"type": "notify_user", "user_id": person.id, "result": f"{person.name} notified"}


def apply_discount(action: dict, ctx, run) -> dict:
    """An extra % on every discountable line of an order still being prepared, re-priced by the
    orders service (its quote and line filling), never by writing money fields here."""
    order = ctx.order
    if order is None:
        raise ActionFailed("there is no order to discount")
    if order.status.value not in ev.EDITABLE_STATUSES:
        raise ActionFailed(f"the order is {order.status.value} and can no longer be changed")
    percent = Decimal(str(action.get("percent")))
    if not Decimal(0) < percent <= max_discount_percent():
        raise ActionFailed(f"{percent} % is over the limit of {max_discount_percent()} %")
    extra = percent_to_bp(percent)
    supervisor = ctx.rule.supervisor
    if not supervisor.active:
        raise ActionFailed("the rule's supervisor is not active")
    draft = orders.draft_of(order)
    discountable = dict(db.session.execute(db.select(Product.id, Product.discountable).where(
        Product.id.in_([line.product_id for line in order.lines]))).all())
    for line, draft_line in zip(order.lines, draft.lines):
        if discountable.get(line.product_id):
            draft_line.discount_bp = min(line.discount_bp + extra, orders.MAX_DISCOUNT_BP)
    before = order.discount
    try:
        orders.reprice_in_transaction(supervisor, order, draft, action="order_discount_by_rule")
    except DomainError as exc:
        raise ActionFailed(str(exc.message)) from None
    return {"type": "apply_discount", "percent": str(percent), "discount_before": before,
            "discount_after": order.discount, "result": f"extra {percent} %: discount {before} -> {order.discount}"}
