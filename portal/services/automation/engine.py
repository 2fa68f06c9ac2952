"""Running the rules (SPEC §8).

`fire(event, obj, actor=...)` is called by the services inside the transaction of the business change
(a client created, an order created / changed status / paid, a call task with no answer). It finds the
active rules of the object's team, checks their conditions, inserts a RuleRun first (its unique key
rule+object+occurrence makes a second fire a no-op: a rule runs once per event and object), then runs
each action in its own SAVEPOINT: a failing action is rolled back alone and written to RuleRun.errors,
and the caller's operation commits as if no rule existed. It never raises. SMS go through the outbox.

The team of an object: the supervisor of the client's responsible manager; a client without one: the
team of the person who acted (a manager's supervisor, or the supervisor themselves); nobody: no rules
(a walk-in registered at a till by a cashier belongs to no team until a manager takes the client).

`run_date_rules(today)` runs the date rules (birthday, contract renewal, deferred payment due) for the
objects whose date falls on `today`; occurrence = today's ISO date, so each fires once per date.
`flask worker` calls it once per company-local day, `flask automation run-dates` by hand.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal import events
from portal.errors import DomainError
from portal.extensions import db
from portal.i18n import money
from portal.models import Client, Order, OrderStatus, PaymentTerms, Product, Role, Rule, RuleRun, Section, User, utcnow
from portal.money import parse_amount, to_minor
from portal.services.automation import actions as act
from portal.services.automation import events as ev
from portal.services.transactions import one_transaction

log = logging.getLogger("portal.automation")


@dataclass
class Context:
    """What one run is about."""
    rule: Rule | None
    event: str
    obj: object
    client: Client | None
    order: Order | None
    task: object | None
    manager: User | None  # the responsible manager, as far as the object tells
    actor: User | None
    supervisor_id: int | None
    now: datetime


def _context(event: str, obj, actor: User | None, now: datetime) -> Context:
    client = order = task = None
    table = getattr(obj, "__tablename__", "")
    if table == "clients":
        client = obj
    elif table == "orders":
        order, client = obj, obj.client
    elif table == "tasks":
        task, client, order = obj, obj.client, obj.order
        if client is None and order is not None:
            client = order.client
    manager = None
    if client is not None and client.manager is not None:
        manager = client.manager
    elif order is not None and order.created_by is not None and order.created_by.role is Role.MANAGER:
        manager = order.created_by
    elif task is not None and task.assignee is not None and task.assignee.role is Role.MANAGER:
        manager = task.assignee
    elif actor is not None and actor.role is Role.MANAGER:
        manager = actor
    if manager is not None:
        supervisor_id = manager.supervisor_id
    elif actor is not None and actor.role is Role.SUPERVISOR:
        supervisor_id = actor.id
    else:
        supervisor_id = None
    return Context(None, event, obj, client, order, task, manager, actor, supervisor_id, now)


# ------------------------------------------------------------------------------------------ conditions

def _section_ids(order: Order) -> set[int]:
    """The sections of the order's products and every section above them."""
    ids = set(db.session.scalars(db.select(Product.section_id).where(
        Product.id.in_([line.product_id for line in order.lines]), Product.section_id.is_not(None))))
    seen, level = set(), set(ids)
    while level:  # one query per level of the section tree, up to the roots
        seen |= level
        level = set(db.session.scalars(db.select(Section.parent_id).where(
            Section.id.in_(level), Section.parent_id.is_not(None)))) - seen
    return seen


def conditions_hold(conditions: dict, ctx: Context) -> bool:
    """Every condition present holds (an absent key is no condition)."""
    cond = conditions or {}
    order, client = ctx.order, ctx.client
    if "amount_gte" in cond and (order is None
                                 or order.total < to_minor(parse_amount(str(cond["amount_gte"])))):
        return False
    if cond.get("channels") and (order is None or order.channel.value not in cond["channels"]):
        return False
    if cond.get("client_kinds") and (client is None or client.kind.value not in cond["client_kinds"]):
        return False
    if cond.get("section_ids") and (order is None or not _section_ids(order) & set(cond["section_ids"])):
        return False
    if cond.get("manager_ids"):
        manager_id = client.manager_id if client is not None and client.manager_id else (
            ctx.manager.id if ctx.manager is not None else None)
        if manager_id not in cond["manager_ids"]:
            return False
    return True


def _occurrence(rule: Rule, ctx: Context, date_occurrence: str | None) -> str | None:
    """The occurrence key of this rule for this event, or None when the event does not match."""
    params = rule.event_params or {}
    if rule.event == "order_status_changed":
        status = ctx.order.status.value if ctx.order is not None else None
        return status if status is not None and params.get("status") == status else None
    if rule.event == "order_above_amount":
        amount = to_minor(parse_amount(str(params.get("amount", "0"))))
        return "" if ctx.order is not None and ctx.order.total >= amount else None
    if rule.event in ev.DATE_EVENTS:
        return date_occurrence
    return ""


# ------------------------------------------------------------------------------------------ running

ACTIONS = {
    "create_task": act.create_task,
    "assign_manager": act.assign_manager,
    "notify_user": act.notify_user,
    "apply_discount": act.apply_discount,
}


def _already_ran(rule: Rule, ctx: Context, occurrence: str) -> bool:
    return db.session.scalar(db.select(RuleRun.id).where(
        RuleRun.rule_id == rule.id, RuleRun.object_type == ctx.obj.__tablename__,
        RuleRun.object_id == ctx.obj.id, RuleRun.occurrence == occurrence)) is not None


def _run_rule(rule: Rule, ctx: Context, occurrence: str) -> RuleRun | None:
    """One run: the RuleRun first (None when it ran already), then each action in a SAVEPOINT."""
    if _already_ran(rule, ctx, occurrence):
        return None
    run = RuleRun(rule_id=rule.id, event=ctx.event, object_type=ctx.obj.__tablename__, object_id=ctx.obj.id,
                  occurrence=occurrence, at=ctx.now, status="done", actions_done=[], errors=[])
    try:
        with db.session.begin_nested():
            db.session.add(run)
            db.session.flush()
    except IntegrityError:  # a concurrent transaction ran it a moment ago
        return None
    ctx.rule = rule
    done, errors = [], []
    for index, action in enumerate(rule.actions or []):
        kind = action.get("type")
        try:
            with db.session.begin_nested():
                if kind == "send_sms":
                    done.append(act.send_sms(action, ctx, run, index))
                elif kind in ACTIONS:
                    done.append(ACTIONS[kind](action, ctx, run))
                else:
                    raise act.ActionFailed(f"unknown action {kind!r}")
        except DomainError as exc:  # a clean refusal (ActionFailed, or a service's own rule)
            errors.append({"type": kind, "message": str(exc.message)})
        except Exception as exc:  # noqa: BLE001 - an action never breaks the operation that fired it
            log.exception("rule %s: action %s failed for %s #%s", rule.id, kind, run.object_type, run.object_id)
            errors.append({"type": kind, "message": f"{exc.__class__.__name__}: {exc}"[:500]})
    run.actions_done = done
    run.errors = errors
    run.status = "done" if not errors else ("partly" if done else "failed")
    if not done and not errors:
        run.status = "skipped"
    db.session.flush()
    return run


def _rules_for(events: tuple[str, ...], ctx: Context) -> list[Rule]:
    if ctx.supervisor_id is None or getattr(ctx.obj, "id", None) is None:
        return []
    return list(db.session.scalars(db.select(Rule).where(
        Rule.supervisor_id == ctx.supervisor_id, Rule.active.is_(True), Rule.event.in_(events)).order_by(Rule.id)))


def _dispatch(events: tuple[str, ...], obj, actor: User | None, now: datetime,
              date_occurrence: str | None = None, days_before: int | None = None,
              ctx: Context | None = None, rules: list[Rule] | None = None) -> list[RuleRun]:
    ctx = ctx or _context(events[0], obj, actor, now)
    rules = _rules_for(events, ctx) if rules is None else rules
    done = []
    for rule in rules:
        if days_before is not None and (rule.event_params or {}).get("days_before", 0) != days_before:
            continue
        ctx.event = rule.event
        occurrence = _occurrence(rule, ctx, date_occurrence)
        if occurrence is None or not conditions_hold(rule.conditions, ctx):
            continue
        run = _run_rule(rule, ctx, occurrence)
        if run is not None:
            done.append(run)
    return done


def fire(event: str | tuple[str, ...], obj, *, actor: User | None = None, now: datetime | None = None) -> list:
    """Run the rules waiting for `event` (or any of several) on `obj`, in the caller's transaction.
    Never raises: whatever goes wrong is rolled back to before the rules and logged."""
    events = (event,) if isinstance(event, str) else tuple(event)
    try:
        now = now or utcnow()
        ctx = _context(events[0], obj, actor, now)
        rules = _rules_for(events, ctx)
        if not rules:  # the usual case: no SAVEPOINT, one indexed read
            return []
        with db.session.begin_nested():
            return _dispatch(events, obj, actor, now, ctx=ctx, rules=rules)
    except Exception:  # noqa: BLE001 - the business operation goes on without its rules
        log.exception("automation: rules of %s on %s #%s failed", events, getattr(obj, "__tablename__", "?"),
                      getattr(obj, "id", None))
        return []


def order_changed(order: Order, actor: User | None = None, *, created: bool = False, status_changed: bool = False,
                  now: datetime | None = None) -> list:
    """The order events of one change: created, status changed (and paid, when it became paid), and
    above an amount (checked at every change, so a draft that grows past the amount fires it once)."""
    events = ["order_above_amount"]
    if created:
        events.append("order_created")
    if status_changed:
        events.append("order_status_changed")
        if order.status is OrderStatus.PAID or (created and order.paid_at is not None):
            events.append("order_paid")
    return fire(tuple(events), order, actor=actor, now=now)


def _on_client_created(client: Client, *, actor: User | None = None, **_ignored) -> None:
    fire("client_created", client, actor=actor)


def _on_order_changed(order: Order, *, actor: User | None = None, created: bool = False,
                      status_changed: bool = False, now: datetime | None = None, **_ignored) -> None:
    order_changed(order, actor, created=created, status_changed=status_changed, now=now)


def _on_task_no_answer(task, *, actor: User | None = None, **_ignored) -> None:
    fire("task_no_answer", task, actor=actor)


def subscribe() -> None:
    """Connect the rules to what the services announce (portal/events.py). Called by create_app;
    connecting again (another app in the same process) changes nothing."""
    events.client_created.connect(_on_client_created, weak=False)
    events.order_changed.connect(_on_order_changed, weak=False)
    events.task_no_answer.connect(_on_task_no_answer, weak=False)


# ------------------------------------------------------------------------------------------ date rules

def _birthday_ids(target: date) -> list[int]:
    days = [target.day]
    if target.month == 2 and target.day == 28 and not _leap(target.year):
        days.append(29)  # born on 29 February: greeted on the 28th in other years
    return list(db.session.scalars(db.select(Client.id).where(
        Client.birthday.is_not(None), db.extract("month", Client.birthday) == target.month,
        db.extract("day", Client.birthday).in_(days)).order_by(Client.id)))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _objects_due(event: str, target: date) -> list[int]:
    if event == "birthday":
        return _birthday_ids(target)
    if event == "contract_renewal":
        return list(db.session.scalars(db.select(Client.id).where(Client.contract_renewal_on == target)
                                       .order_by(Client.id)))
    # payment_due: confirmed deferred orders with money still to come, due on the target day.
    return list(db.session.scalars(db.select(Order.id).where(
        Order.payment_terms == PaymentTerms.DEFERRED, Order.status == OrderStatus.CONFIRMED,
        Order.due_date == target, Order.received < Order.paid).order_by(Order.id)))


def run_date_rules(today: date, now: datetime | None = None) -> int:
    """Run every active date rule for the objects whose date falls on `today` (`days_before` ahead).
    Each object is one transaction; a second run for the same day adds nothing. Returns the runs made."""
    now = now or utcnow()
    wanted = sorted({(rule.event, int((rule.event_params or {}).get("days_before", 0)))
                     for rule in db.session.scalars(db.select(Rule).where(
                         Rule.active.is_(True), Rule.event.in_(ev.DATE_EVENTS)))})
    made = 0
    for event, days in wanted:
        model = Order if event == "payment_due" else Client
        for object_id in _objects_due(event, today + timedelta(days=days)):
            def one(object_id=object_id, event=event, days=days, model=model) -> int:
                obj = db.session.get(model, object_id)
                with db.session.begin_nested():
                    return len(_dispatch((event,), obj, None, now, today.isoformat(), days))
            try:
                made += one_transaction(one)
            except Exception:  # noqa: BLE001 - one object's trouble does not stop the others
                log.exception("automation: date rule %s for %s #%s failed", event, model.__tablename__, object_id)
    return made


# ------------------------------------------------------------------------------------------ reading runs

def describe(entry: dict) -> str:
    """One entry of RuleRun.actions_done in the reader's language."""
    kind = entry.get("type")
    label = str(ev.ACTIONS.get(kind, kind))
    if kind == "create_task" and entry.get("task_id"):
        user = db.session.get(User, entry.get("user_id")) if entry.get("user_id") else None
        return _("Task #%(id)s for %(name)s", id=entry["task_id"], name=user.name if user else "—")
    if kind in ("assign_manager", "notify_user") and entry.get("user_id"):
        user = db.session.get(User, entry["user_id"])
        return f"{label}: {user.name if user else '—'}"
    if kind == "apply_discount":
        return _("Extra discount %(percent)s %%: discount %(before)s → %(after)s", percent=entry.get("percent", ""),
                 before=money(entry.get("discount_before") or 0), after=money(entry.get("discount_after") or 0))
    return label
