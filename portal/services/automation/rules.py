"""A supervisor's automation rules (SPEC §8): the rule form's values <-> a RuleSpec, validation,
creating, changing, pausing, and the log of runs. Every write is one transaction and audited.

    spec, errors = rules.spec_from_form(request.form)      # errors of the form's own fields
    rule = rules.create_rule(supervisor, spec)              # ValidationError(fields) on anything else

Field names of errors match the rule form: name, event, event_status, event_amount, event_days_before,
cond_amount_gte, cond_channels, cond_client_kinds, cond_section_ids, cond_manager_ids, actions,
act_<type>, task_title, task_due_in, task_due_unit, assign_mode, sms_text, notify_whom, notify_user_id,
notify_text, discount_percent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.errors import Forbidden, NotFound, ValidationError
from portal.extensions import db
from portal.models import Channel, ClientKind, Role, Rule, RuleRun, Section, User, utcnow
from portal.money import MoneyError, format_plain, parse_amount, to_minor
from portal.services import audit
from portal.services.automation import events as ev
from portal.services.automation import placeholders
from portal.services.staff import team
from portal.services.transactions import one_transaction
from portal.text import squash

MAX_NAME = 200
MAX_TEXT = 500
MAX_TASK_TITLE = 300
MAX_DUE_IN = 1000
RUNS_PER_PAGE = 50


@dataclass
class RuleSpec:
    name: str
    event: str
    event_params: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)
    actions: list = field(default_factory=list)


# ------------------------------------------------------------------------------------------ limits

def max_discount_percent() -> Decimal:
    """The most extra discount a rule may give (AUTOMATION_MAX_DISCOUNT_PERCENT, 5 by default): the
    portal has no per-supervisor discount limit, so this is the limit of every supervisor's rules."""
    return Decimal(str(current_app.config.get("AUTOMATION_MAX_DISCOUNT_PERCENT", 5)))


def percent_to_bp(percent: str | Decimal) -> int:
    """'3' -> 300, '2.5' -> 250 (exact; at most two decimals)."""
    value = Decimal(str(percent))
    if not value.is_finite():
        raise ValueError("not a number")
    bp = value * 100
    if bp != bp.to_integral_value():
        raise ValueError("at most two decimals")
    return int(bp)


# ------------------------------------------------------------------------------------------ the form

def _text(value) -> str:
    return squash(str(value or ""))


def _int(value):
    text = str(value if value is not None else "").strip()
    if not text or not (text.isdigit() or (text.startswith("-") and text[1:].isdigit())):
        return None
    return int(text)


def _getlist(mapping, name: str) -> list[str]:
    if hasattr(mapping, "getlist"):
        values = mapping.getlist(name)
    else:
        values = mapping.get(name) or []
        values = values if isinstance(values, (list, tuple)) else [values]
    return [str(v).strip() for v in values if str(v).strip()]


def _checked(mapping, name: str) -> bool:
    return str(mapping.get(name) or "").lower() not in ("", "0", "false", "off", "no")


def spec_from_form(mapping) -> tuple[RuleSpec, dict]:
    """A `request.form`-like mapping (MultiDict: multi fields by `getlist`) as a RuleSpec, with the
    errors of values that cannot even be read (a number that is not one). The rest is checked by
    `validate` (create_rule/update_rule call it)."""
    errors: dict = {}
    event = str(mapping.get("event") or "").strip()
    params: dict = {}
    if event == "order_status_changed":
        params["status"] = str(mapping.get("event_status") or "").strip()
    elif event == "order_above_amount":
        raw = str(mapping.get("event_amount") or "").strip()
        try:
            params["amount"] = format_plain(to_minor(parse_amount(raw)))
        except (MoneyError, InvalidOperation, ValueError):
            params["amount"] = raw
            errors["event_amount"] = _l("Enter an amount, e.g. 500000.00.")
    elif event in ("contract_renewal", "birthday", "payment_due"):
        raw = mapping.get("event_days_before")
        days = _int(raw) if str(raw or "").strip() else 0
        if days is None:
            errors["event_days_before"] = _l("Enter a whole number of days.")
            days = 0
        params["days_before"] = days
    conditions: dict = {}
    raw = str(mapping.get("cond_amount_gte") or "").strip()
    if raw:
        try:
            conditions["amount_gte"] = format_plain(to_minor(parse_amount(raw)))
        except (MoneyError, InvalidOperation, ValueError):
            conditions["amount_gte"] = raw
            errors["cond_amount_gte"] = _l("Enter an amount, e.g. 100000.00.")
    for key in ("channels", "client_kinds"):
        values = _getlist(mapping, f"cond_{key}")
        if values:
            conditions[key] = values
    for key in ("section_ids", "manager_ids"):
        values = _getlist(mapping, f"cond_{key}")
        if values:
            ids = [_int(v) for v in values]
            if any(i is None for i in ids):
                errors[f"cond_{key}"] = _l("Choose from the list.")
            conditions[key] = [i for i in ids if i is not None]
    actions: list = []
    for kind in ev.ACTION_ORDER:
        if not _checked(mapping, f"act_{kind}"):
            continue
        if kind == "create_task":
            due_in = _int(mapping.get("task_due_in"))
            if due_in is None:
                errors["task_due_in"] = _l("Enter a whole number.")
            actions.append({"type": kind, "title": _text(mapping.get("task_title")),
                            "due_in": due_in if due_in is not None else 0,
                            "due_unit": str(mapping.get("task_due_unit") or "hours").strip()})
        elif kind == "assign_manager":
            actions.append({"type": kind, "mode": str(mapping.get("assign_mode") or "").strip()})
        elif kind == "send_sms":
            actions.append({"type": kind, "text": str(mapping.get("sms_text") or "").strip()})
        elif kind == "notify_user":
            whom = str(mapping.get("notify_whom") or "").strip()
            user_id = _int(mapping.get("notify_user_id")) if whom == "user" else None
            if whom == "user" and user_id is None:
                errors["notify_user_id"] = _l("Choose who is notified.")
            actions.append({"type": kind, "whom": whom, "user_id": user_id,
                            "text": str(mapping.get("notify_text") or "").strip()})
        elif kind == "apply_discount":
            raw = str(mapping.get("discount_percent") or "").strip().replace(",", ".")
            try:
                percent = Decimal(raw)
                if not percent.is_finite():
                    raise InvalidOperation
                actions.append({"type": kind, "percent": str(percent.normalize()) if percent == percent.to_integral_value()
                                else str(percent)})
            except InvalidOperation:
                errors["discount_percent"] = _l("Enter a percentage, e.g. 3 or 2.5.")
                actions.append({"type": kind, "percent": raw})
    spec = RuleSpec(name=_text(mapping.get("name")), event=event, event_params=params, conditions=conditions,
                    actions=actions)
    return spec, errors


def form_values(spec: RuleSpec) -> dict:
    """The rule form's fields pre-filled from a spec (multi fields as lists, checkboxes as booleans)."""
    values: dict = {
        "name": spec.name, "event": spec.event,
        "event_status": spec.event_params.get("status", ""),
        "event_amount": spec.event_params.get("amount", ""),
        "event_days_before": spec.event_params.get("days_before", 0 if spec.event in ev.DATE_EVENTS else ""),
        "cond_amount_gte": spec.conditions.get("amount_gte", ""),
        "cond_channels": list(spec.conditions.get("channels", [])),
        "cond_client_kinds": list(spec.conditions.get("client_kinds", [])),
        "cond_section_ids": [str(i) for i in spec.conditions.get("section_ids", [])],
        "cond_manager_ids": [str(i) for i in spec.conditions.get("manager_ids", [])],
        "task_title": "", "task_due_in": "", "task_due_unit": "hours", "assign_mode": "most_senior",
        "sms_text": "", "notify_whom": "manager", "notify_user_id": "", "notify_text": "", "discount_percent": "",
    }
    for kind in ev.ACTIONS:
        values[f"act_{kind}"] = False
    for action in spec.actions:
        kind = action.get("type")
        values[f"act_{kind}"] = True
        if kind == "create_task":
            values.update(task_title=action.get("title", ""), task_due_in=str(action.get("due_in", "")),
                          task_due_unit=action.get("due_unit", "hours"))
        elif kind == "assign_manager":
            values["assign_mode"] = action.get("mode", "most_senior")
        elif kind == "send_sms":
            values["sms_text"] = action.get("text", "")
        elif kind == "notify_user":
            values.update(notify_whom=action.get("whom", "manager"),
                          notify_user_id=str(action.get("user_id") or ""), notify_text=action.get("text", ""))
        elif kind == "apply_discount":
            values["discount_percent"] = str(action.get("percent", ""))
    return values


# ------------------------------------------------------------------------------------------ validation

def _check_text(errors: dict, key: str, text, limit: int, required=True) -> None:
    if not isinstance(text, str) or (required and not text.strip()):
        errors[key] = _l("Enter the text.")
    elif len(text) > limit:
        errors[key] = _l("At most %(n)d characters.", n=limit)
    else:
        problem = placeholders.check(text)
        if problem:
            errors[key] = problem


def _amount_ok(value) -> bool:
    try:
        return to_minor(parse_amount(str(value))) >= 0
    except (MoneyError, InvalidOperation, ValueError):
        return False


def read_form(supervisor: User, mapping) -> tuple[RuleSpec, dict]:
    """The rule form as a spec with every wrong field at once: what could not be read, and what
    `validate` finds in the rest (create_rule/update_rule validate again when it is saved)."""
    spec, errors = spec_from_form(mapping)
    if errors:
        errors = {**validate(supervisor, spec), **errors}
    return spec, errors


def validate(supervisor: User, spec: RuleSpec) -> dict:
    """What is wrong with the spec, by form field; empty when the rule may be saved."""
    errors: dict = {}
    if not spec.name:
        errors["name"] = _l("Enter the name of the rule.")
    elif len(spec.name) > MAX_NAME:
        errors["name"] = _l("At most %(n)d characters.", n=MAX_NAME)
    event, params = spec.event, spec.event_params or {}
    if event not in ev.EVENTS:
        errors["event"] = _l("Choose the event.")
    elif event == "order_status_changed" and params.get("status") not in ev.STATUSES:
        errors["event_status"] = _l("Choose the status.")
    elif event == "order_above_amount" and not (_amount_ok(params.get("amount"))
                                                and to_minor(parse_amount(str(params["amount"]))) > 0):
        errors["event_amount"] = _l("Enter an amount greater than zero.")
    elif event in ev.DATE_EVENTS:
        days = params.get("days_before")
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= ev.MAX_DAYS_BEFORE:
            errors["event_days_before"] = _l("Enter a number of days from 0 to %(n)d.", n=ev.MAX_DAYS_BEFORE)
    cond = spec.conditions or {}
    order_event = ev.has_order(event) or event in ev.TASK_EVENTS
    for key in ev.ORDER_CONDITIONS:
        if key in cond and not order_event:
            errors[f"cond_{key}"] = _l("This condition needs an event about an order.")
    if "amount_gte" in cond and not _amount_ok(cond["amount_gte"]):
        errors["cond_amount_gte"] = _l("Enter an amount, e.g. 100000.00.")
    if "channels" in cond and not set(cond["channels"]) <= {c.value for c in Channel}:
        errors["cond_channels"] = _l("Choose from the list.")
    if "client_kinds" in cond and not set(cond["client_kinds"]) <= {k.value for k in ClientKind}:
        errors["cond_client_kinds"] = _l("Choose from the list.")
    if cond.get("section_ids"):
        ids = set(cond["section_ids"])
        found = set(db.session.scalars(db.select(Section.id).where(Section.id.in_(ids))))
        if found != ids:
            errors["cond_section_ids"] = _l("Choose from the list.")
    team_ids = {m.id for m in team.team_members(supervisor, include_inactive=True)}
    if cond.get("manager_ids") and not set(cond["manager_ids"]) <= team_ids:
        errors["cond_manager_ids"] = _l("Choose managers of your team.")
    actions = spec.actions or []
    if not actions:
        errors["actions"] = _l("Choose at least one action.")
    seen = set()
    for action in actions:
        kind = action.get("type")
        if kind not in ev.ACTIONS or kind in seen:
            errors["actions"] = _l("Choose each action at most once.")
            continue
        seen.add(kind)
        if kind == "create_task":
            _check_text(errors, "task_title", action.get("title"), MAX_TASK_TITLE)
            due_in = action.get("due_in")
            if not isinstance(due_in, int) or isinstance(due_in, bool) or not 0 <= due_in <= MAX_DUE_IN:
                errors["task_due_in"] = _l("Enter a number from 0 to %(n)d.", n=MAX_DUE_IN)
            if action.get("due_unit") not in ev.DUE_UNITS:
                errors["task_due_unit"] = _l("Choose hours or days.")
        elif kind == "assign_manager":
            if action.get("mode") not in ev.ASSIGN_MODES:
                errors["assign_mode"] = _l("Choose how the manager is chosen.")
        elif kind == "send_sms":
            _check_text(errors, "sms_text", action.get("text"), MAX_TEXT)
        elif kind == "notify_user":
            whom = action.get("whom")
            if whom not in ev.NOTIFY_WHOM:
                errors["notify_whom"] = _l("Choose who is notified.")
            elif whom == "user" and action.get("user_id") not in team_ids | {supervisor.id}:
                errors["notify_user_id"] = _l("Choose a member of your team.")
            _check_text(errors, "notify_text", action.get("text"), MAX_TEXT)
        elif kind == "apply_discount":
            if not ev.allows_discount(event, params):
                errors["act_apply_discount"] = _l(
                    "An extra discount can be given only by an event of an order still being prepared.")
            limit = max_discount_percent()
            try:
                percent = Decimal(str(action.get("percent")))
                percent_to_bp(percent)
                ok = percent.is_finite() and Decimal(0) < percent <= limit
            except (InvalidOperation, ValueError):
                ok = False
            if not ok:
                errors["discount_percent"] = _l("Enter a percentage above 0 and at most %(limit)s, at most two "
                                                "decimals.", limit=str(limit))
    return errors


# ------------------------------------------------------------------------------------------ writes

def _check_supervisor(supervisor: User) -> None:
    if supervisor is None or not supervisor.active or supervisor.role is not Role.SUPERVISOR:
        raise Forbidden(_l("Only a supervisor sets up automation rules."))


def _snapshot(rule: Rule) -> dict:
    return {"name": rule.name, "event": rule.event, "event_params": rule.event_params,
            "conditions": rule.conditions, "actions": rule.actions, "active": rule.active,
            "template": rule.template}


def _apply(rule: Rule, spec: RuleSpec) -> None:
    rule.name = spec.name
    rule.event = spec.event
    rule.event_params = dict(spec.event_params or {})
    rule.conditions = dict(spec.conditions or {})
    rule.actions = [dict(a) for a in spec.actions or []]
    rule.updated_at = utcnow()


def create_rule_in_transaction(supervisor: User, spec: RuleSpec, template: str | None = None) -> Rule:
    """Validate and add the rule to the current transaction (the caller commits)."""
    _check_supervisor(supervisor)
    errors = validate(supervisor, spec)
    if errors:
        raise ValidationError(errors)
    rule = Rule(supervisor_id=supervisor.id, created_by_id=supervisor.id, template=template, active=True)
    _apply(rule, spec)
    db.session.add(rule)
    db.session.flush()
    audit.record(supervisor, "rule_created", rule, after=_snapshot(rule))
    return rule


def create_rule(supervisor: User, spec: RuleSpec) -> Rule:
    """A new active rule of the supervisor's team. ValidationError(fields) when the spec is wrong."""
    return one_transaction(lambda: create_rule_in_transaction(supervisor, spec))


def update_rule(supervisor: User, rule_id: int, spec: RuleSpec) -> Rule:
    """Replace what the rule does. Its runs so far stay in the log (and keep it from running again
    for the same objects)."""
    _check_supervisor(supervisor)

    def run() -> Rule:
        rule = rule_of(supervisor, rule_id)
        errors = validate(supervisor, spec)
        if errors:
            raise ValidationError(errors)
        before = _snapshot(rule)
        _apply(rule, spec)
        after = _snapshot(rule)
        keys = [k for k in after if before[k] != after[k]]
        audit.record(supervisor, "rule_updated", rule, {k: before[k] for k in keys}, {k: after[k] for k in keys})
        return rule
    return one_transaction(run)


def set_active(supervisor: User, rule_id: int, active: bool) -> Rule:
    """Pause or resume a rule (rules are never deleted: their runs stay readable)."""
    _check_supervisor(supervisor)

    def run() -> Rule:
        rule = rule_of(supervisor, rule_id)
        if rule.active != bool(active):
            rule.active = bool(active)
            rule.updated_at = utcnow()
            audit.record(supervisor, "rule_resumed" if active else "rule_paused", rule,
                         {"active": not rule.active}, {"active": rule.active})
        return rule
    return one_transaction(run)


# ------------------------------------------------------------------------------------------ reads

def rules_of(supervisor: User) -> list[Rule]:
    return list(db.session.scalars(db.select(Rule).where(Rule.supervisor_id == supervisor.id).order_by(Rule.id)))


def rule_of(supervisor: User, rule_id: int) -> Rule:
    """The supervisor's own rule; another team's (or none) is NotFound."""
    rule = db.session.get(Rule, rule_id) if isinstance(rule_id, int) else None
    if rule is None or rule.supervisor_id != supervisor.id:
        raise NotFound(_l("No such rule."))
    return rule


def spec_of(rule: Rule) -> RuleSpec:
    return RuleSpec(name=rule.name, event=rule.event, event_params=dict(rule.event_params or {}),
                    conditions=dict(rule.conditions or {}), actions=[dict(a) for a in rule.actions or []])


def runs(supervisor: User, *, rule_id: int | None = None, page: int = 1, per_page: int = RUNS_PER_PAGE):
    """The log of the supervisor's rules' runs, newest first (a Flask-SQLAlchemy Pagination of RuleRun)."""
    stmt = (db.select(RuleRun).join(Rule, Rule.id == RuleRun.rule_id).where(Rule.supervisor_id == supervisor.id)
            .order_by(RuleRun.at.desc(), RuleRun.id.desc()))
    if rule_id is not None:
        stmt = stmt.where(RuleRun.rule_id == rule_id)
    page = max(int(page or 1), 1)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if result.pages and page > result.pages:
        result = db.paginate(stmt, page=result.pages, per_page=per_page, error_out=False)
    return result


def run_counts(rule_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{rule_id: (runs done, runs with errors)}: a run that did part of its actions ("partly") counts
    as one with errors; skipped runs count in neither."""
    counts = dict.fromkeys(rule_ids, (0, 0))
    if not rule_ids:
        return counts
    rows = db.session.execute(db.select(RuleRun.rule_id, RuleRun.status, db.func.count(RuleRun.id))
                              .where(RuleRun.rule_id.in_(list(rule_ids))).group_by(RuleRun.rule_id, RuleRun.status))
    for rule_id, status, n in rows:
        done, failed = counts[rule_id]
        if status == "done":
            done += n
        elif status in ("failed", "partly"):
            failed += n
        counts[rule_id] = (done, failed)
    return counts
