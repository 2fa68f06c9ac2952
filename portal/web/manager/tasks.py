"""Tasks: the list (open, overdue, today, done), a new task (from the list or prefilled from a
client's or an order's card), a task's page to complete, reschedule or cancel it.

A manager sees their own tasks; a supervisor the team's, or one member's with ?manager=ID
(another team's manager is a 403). Another team's task is a 404, as if it did not exist."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.ids import parse_id
from portal.models import Client, Order, Role, TaskStatus, utcnow
from portal.services import audit
from portal.services import tasks as task_service
from portal.services.clients import directory
from portal.services.orders import orders as order_service
from portal.services.staff import team
from portal.web.forms import apply_errors, safe_next
from portal.web.manager.blueprint import bp
from portal.web.manager.routes import visible_manager_ids
from portal.web.manager.task_forms import (
    OUTCOMES,
    CompleteForm,
    EmptyForm,
    RescheduleForm,
    TaskForm,
    aware,
    default_due,
    local_input,
)


def _me():
    return current_user._get_current_object()


def _task_or_404(task_id: int):
    return task_service.task_for(_me(), task_id)


@bp.context_processor
def _task_helpers():
    """`card_tasks(client_id=…)` / `card_tasks(order_id=…)`: the open tasks of a card's Tasks block."""
    def card_tasks(client_id=None, order_id=None):
        return task_service.open_tasks_of(_me(), client_id=client_id, order_id=order_id)
    return {"card_tasks": card_tasks, "now_utc": utcnow, "task_outcomes": OUTCOMES}


def _filter_labels() -> dict:
    return {"open": _("To do"), "overdue": _("Overdue"), "today": _("Due today"), "done": _("Done"), "all": _("All")}


@bp.get("/tasks")
def tasks():
    me = _me()
    ids, chosen = visible_manager_ids()
    status = request.args.get("status", "open")
    status = status if status in task_service.STATUS_FILTERS else "open"
    page = task_service.tasks_for(me, status=status, page=request.args.get("page", 1, type=int) or 1,
                                  assignee_id=chosen.id if chosen is not None and me.role is Role.SUPERVISOR else None)
    members = []
    team_counts = {}
    if me.role is Role.SUPERVISOR:
        members = team.team_members(me, include_inactive=True)
        team_counts = task_service.team_counts(me)
    open_count, overdue_count = task_service.badge_counts(me)
    return render_template("manager/tasks.html", page=page, status=status, filters=_filter_labels(),
                           chosen=chosen, members=members, team_counts=team_counts, now=utcnow(),
                           open_count=open_count, overdue_count=overdue_count)


def _link_target(form: TaskForm):
    """The client and order the new task is prefilled with (from ?client_id= / ?order_id=), if visible."""
    client = order = None
    client_id = parse_id(request.values.get("client_id"))
    order_id = parse_id(request.values.get("order_id"))
    if order_id:
        order = db.session.get(Order, order_id)
        if order is None or not order_service.can_open(_me(), order):
            abort(404)
        client = order.client
    elif client_id:
        client = db.session.get(Client, client_id)
        if client is None or not directory.can_see(_me(), client):
            abort(404)
    form.client_id.data = str(client.id) if client else ""
    form.order_id.data = str(order.id) if order else ""
    return client, order


@bp.route("/tasks/new", methods=["GET", "POST"])
def task_new():
    me = _me()
    form = TaskForm()
    managers = task_service.assignable_managers(me)
    form.assignee_id.choices = [SelectChoice(str(m.id), m.name) for m in managers]
    client, order = _link_target(form)
    back = safe_next(request.values.get("next")) or (
        url_for("manager.order_card", order_id=order.id) if order else
        url_for("manager.client_card", client_id=client.id) if client else url_for("manager.tasks"))
    if request.method == "GET":
        form.due_at.data = default_due()
        if me.role is Role.MANAGER:
            form.assignee_id.data = str(me.id)
        elif client is not None and client.manager_id and any(m.id == client.manager_id for m in managers):
            form.assignee_id.data = str(client.manager_id)
    if form.validate_on_submit():
        try:
            task = task_service.create_task(
                me, form.title.data, aware(form.due_at.data),
                assignee_id=parse_id(form.assignee_id.data),
                client_id=client.id if client else None, order_id=order.id if order else None,
                note=form.note.data or "")
        except ValidationError as exc:
            apply_errors(form, exc)
            # The links are hidden fields: their errors are shown above the form.
            form.form_errors.extend(str(exc.fields[k]) for k in ("client_id", "order_id") if k in exc.fields)
        except DomainError as exc:
            form.form_errors.append(str(exc.message))
        else:
            flash(_("Task “%(title)s” is set.", title=task.title), "success")
            return redirect(back, code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("manager/task_form.html", form=form, client=client, order=order, back=back,
                           choose_manager=me.role is Role.SUPERVISOR), status


def _render_task(task, reschedule_form=None, complete_form=None, status: int = 200):
    if reschedule_form is None:
        reschedule_form = RescheduleForm(formdata=None)
        reschedule_form.due_at.data = local_input(task.due_at)
    complete_form = complete_form or CompleteForm(formdata=None)
    return render_template("manager/task.html", task=task, reschedule_form=reschedule_form,
                           complete_form=complete_form, cancel_form=EmptyForm(formdata=None),
                           history=audit.history_of(task), now=utcnow(),
                           is_open=task.status is TaskStatus.OPEN), status


@bp.get("/tasks/<int:task_id>")
def task_card(task_id: int):
    return _render_task(_task_or_404(task_id))


def _after(task_id: int):
    target = safe_next(request.form.get("next"))
    return redirect(target or url_for("manager.task_card", task_id=task_id), code=303)


def _refused(task_id: int, exc: DomainError):
    flash(str(exc.message), "error")
    return redirect(url_for("manager.task_card", task_id=task_id), code=303)


def _closed(task):
    """The refusal of a closed task (flash and back to its page), or None while it is open."""
    try:
        task_service.ensure_open(task)
    except DomainError as exc:
        return _refused(task.id, exc)
    return None


@bp.post("/tasks/<int:task_id>/complete")
def task_complete(task_id: int):
    task = _task_or_404(task_id)
    if (closed := _closed(task)) is not None:  # no form to show errors on: say why at once
        return closed
    form = CompleteForm()
    if not form.validate_on_submit():
        return _render_task(task, complete_form=form, status=422)
    try:
        task_service.complete(_me(), task.id, form.outcome.data, form.note.data or "")
    except ValidationError as exc:
        apply_errors(form, exc)
        return _render_task(task, complete_form=form, status=422)
    except DomainError as exc:
        return _refused(task_id, exc)
    flash(_("Task completed."), "success")
    return _after(task_id)


@bp.post("/tasks/<int:task_id>/reschedule")
def task_reschedule(task_id: int):
    task = _task_or_404(task_id)
    if (closed := _closed(task)) is not None:  # no form to show errors on: say why at once
        return closed
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _render_task(task, reschedule_form=form, status=422)
    try:
        task_service.reschedule(_me(), task.id, aware(form.due_at.data))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _render_task(task, reschedule_form=form, status=422)
    except DomainError as exc:
        return _refused(task_id, exc)
    flash(_("Task rescheduled."), "success")
    return _after(task_id)


@bp.post("/tasks/<int:task_id>/cancel")
def task_cancel(task_id: int):
    task = _task_or_404(task_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        task_service.cancel(_me(), task.id)
    except DomainError as exc:
        return _refused(task_id, exc)
    flash(_("Task cancelled."), "success")
    return _after(task_id)
