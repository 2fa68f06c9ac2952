"""The supervisor's automation: the team's rules (paused or running, how often each ran), the
ready templates to enable with one click, the rule form (new and edit), pausing and resuming, and
the log of every run. The rules service decides everything; these views only show its answers.
Another team's rule is a 404, as if it did not exist."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.i18n import money
from portal.ids import parse_id
from portal.models import Client, Order, Section, Task
from portal.money import MoneyError, to_minor
from portal.services.automation import engine, placeholders, rules, templates
from portal.services.automation import events as ev
from portal.services.staff import team
from portal.web.supervisor.automation_forms import ActionForm, RuleForm
from portal.web.supervisor.blueprint import bp


def _me():
    return current_user._get_current_object()


def amount_text(value) -> str:
    """A rule's amount ("500000.00", exact) as money in the reader's language."""
    try:
        return money(to_minor(Decimal(str(value))))
    except (InvalidOperation, ValueError, MoneyError):
        return str(value)


@bp.context_processor
def _rule_helpers():
    return {"amount_text": amount_text}


def _rule_or_404(rule_id: int):
    return rules.rule_of(_me(), rule_id)


@bp.get("/automation")
def automation():
    me = _me()
    team_rules = rules.rules_of(me)
    return render_template("supervisor/automation.html", rules=team_rules,
                           counts=rules.run_counts([r.id for r in team_rules]),
                           templates=templates.TEMPLATES, enabled=templates.enabled_templates(me),
                           by_template={r.template: r for r in team_rules if r.template},
                           events=ev.EVENTS, actions=ev.ACTIONS, action_form=ActionForm(formdata=None))


@bp.post("/automation/templates/<code>")
def automation_enable(code: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rule = templates.enable_template(_me(), code)
    except NotFound:
        raise  # the 404 page
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Rule “%(name)s” is on.", name=rule.name), "success")
    return redirect(url_for("supervisor.automation"), code=303)


def _form(**kwargs) -> RuleForm:
    me = _me()
    form = RuleForm(**kwargs)
    sections = [(s.id, s.path) for s in db.session.scalars(db.select(Section))]
    form.set_choices(members=[me] + team.team_members(me), sections=sorted(sections, key=lambda p: p[1].lower()))
    # A supervisor is notified as "the supervisor"; as "a member of the team" only the managers.
    form.notify_user_id.choices = form.notify_user_id.choices[:1] + form.notify_user_id.choices[2:]
    form.cond_manager_ids.choices = form.cond_manager_ids.choices[1:]
    return form


def _show_errors(form: RuleForm, errors: dict) -> None:
    for name, message in errors.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + [str(message)]
        else:
            form.form_errors.append(str(message))


def _render_form(form: RuleForm, rule=None, status: int = 200):
    return render_template("supervisor/rule_form.html", form=form, rule=rule,
                           placeholders=placeholders.PLACEHOLDERS,
                           max_discount=rules.max_discount_percent(),
                           date_events=ev.DATE_EVENTS), status


def _save(form: RuleForm, rule=None):
    """Read the posted form through the rules service; on errors show the form again as typed."""
    if not form.validate_on_submit():  # only the CSRF token can fail here
        abort(400)
    spec, errors = rules.read_form(_me(), request.form)
    if not errors:
        try:
            saved = rules.update_rule(_me(), rule.id, spec) if rule else rules.create_rule(_me(), spec)
        except ValidationError as exc:
            errors = exc.fields
        else:
            flash(_("Rule “%(name)s” is saved.", name=saved.name), "success")
            return redirect(url_for("supervisor.automation"), code=303)
    _show_errors(form, errors)
    return _render_form(form, rule, 422)


@bp.route("/automation/new", methods=["GET", "POST"])
def rule_new():
    if request.method == "POST":
        return _save(_form())
    form = _form(formdata=None, data=rules.form_values(rules.RuleSpec(name="", event="")))
    return _render_form(form)


@bp.route("/automation/<int:rule_id>", methods=["GET", "POST"])
def rule_edit(rule_id: int):
    rule = _rule_or_404(rule_id)
    if request.method == "POST":
        return _save(_form(), rule)
    return _render_form(_form(formdata=None, data=rules.form_values(rules.spec_of(rule))), rule)


def _set_active(rule_id: int, active: bool):
    rule = _rule_or_404(rule_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    rules.set_active(_me(), rule.id, active)
    flash(_("Rule “%(name)s” is running again.", name=rule.name) if active
          else _("Rule “%(name)s” is paused.", name=rule.name), "success")
    return redirect(url_for("supervisor.automation"), code=303)


@bp.post("/automation/<int:rule_id>/pause")
def rule_pause(rule_id: int):
    return _set_active(rule_id, False)


@bp.post("/automation/<int:rule_id>/resume")
def rule_resume(rule_id: int):
    return _set_active(rule_id, True)


def _object_links(page_items) -> dict:
    """{(object_type, id): (label, url)} for the runs shown, in three queries at most."""
    wanted: dict[str, set[int]] = {}
    for run in page_items:
        wanted.setdefault(run.object_type, set()).add(run.object_id)
    links = {}
    if wanted.get("clients"):
        for c in db.session.scalars(db.select(Client).where(Client.id.in_(wanted["clients"]))):
            links[("clients", c.id)] = (c.name, url_for("manager.client_card", client_id=c.id))
    if wanted.get("orders"):
        for o in db.session.scalars(db.select(Order).where(Order.id.in_(wanted["orders"]))):
            links[("orders", o.id)] = (_("order %(number)s", number=o.number or f"#{o.id}"),
                                       url_for("manager.order_card", order_id=o.id))
    if wanted.get("tasks"):
        for t in db.session.scalars(db.select(Task).where(Task.id.in_(wanted["tasks"]))):
            links[("tasks", t.id)] = (t.title, url_for("manager.task_card", task_id=t.id))
    return links


@bp.get("/automation/runs")
def rule_runs():
    me = _me()
    rule_id = request.args.get("rule", type=parse_id)
    chosen = _rule_or_404(rule_id) if rule_id is not None else None
    page = rules.runs(me, rule_id=chosen.id if chosen else None, page=request.args.get("page", 1, type=int) or 1)
    return render_template("supervisor/rule_runs.html", page=page, chosen=chosen, rules=rules.rules_of(me),
                           links=_object_links(page.items), events=ev.EVENTS, actions=ev.ACTIONS,
                           describe=engine.describe)
