"""Tasks of managers (SPEC §8): set by hand or by an automation rule, listed with the overdue ones
first in mind, completed (with an outcome), rescheduled or cancelled.

Who sees which task: a manager the tasks assigned to them; a supervisor the tasks of every member of
the team (former members included). Anyone else's task is "not found" (a 404 for the web doors),
so a guessed id tells nothing. A manager sets tasks for themselves; a supervisor for any active
member of the team. A linked client or order must be one the person who sets the task may open.

Every write is one transaction and leaves an audit event. `create_task_in_transaction` is for the
automation engine: it adds the task to the caller's transaction and checks nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal import events
from portal.clock import day_start, local_date
from portal.errors import DomainError, Forbidden, NotFound, ValidationError
from portal.extensions import db
from portal.models import Client, Order, Role, Task, TaskOutcome, TaskStatus, User, utcnow
from portal.services import audit
from portal.services.clients import directory
from portal.services.orders import orders
from portal.services.orders.order_list import visible_staff_ids
from portal.services.staff import team
from portal.services.transactions import one_transaction
from portal.text import squash

PER_PAGE = 25
MAX_TITLE = 300
MAX_NOTE = 2000
STATUS_FILTERS = ("open", "overdue", "today", "done", "all")
# How far in the past a due time typed by hand may be (the minute that just began is still "now").
PAST_TOLERANCE = timedelta(minutes=5)


def _snapshot(task: Task) -> dict:
    return {
        "title": task.title, "assignee_id": task.assignee_id, "client_id": task.client_id,
        "order_id": task.order_id, "due_at": task.due_at.isoformat() if task.due_at else None,
        "status": task.status.value if task.status else None,
        "outcome": task.outcome.value if task.outcome else None, "note": task.note,
        "set_by_id": task.set_by_id, "rule_id": task.rule_id,
    }


# --- who sees which task ---------------------------------------------------------------------------

def task_for(user: User, task_id: int, *, lock: bool = False) -> Task:
    """The task, if `user` may see it; NotFound otherwise (another team's task looks absent)."""
    stmt = db.select(Task).where(Task.id == task_id)
    task = db.session.scalar(stmt.with_for_update() if lock else stmt) if isinstance(task_id, int) else None
    if task is None or task.assignee_id not in visible_staff_ids(user):
        raise NotFound(_l("No such task."))
    return task


def assignable_managers(actor: User) -> list[User]:
    """Whom `actor` may set a task for: themselves (a manager), the team's active managers (a supervisor)."""
    if actor.role is Role.MANAGER:
        return [actor]
    if actor.role is Role.SUPERVISOR:
        return team.team_members(actor)
    return []


# --- checks of what was typed ----------------------------------------------------------------------

def _clean_title(title) -> str:
    text = squash(str(title or ""))
    if not text:
        raise ValidationError({"title": _l("Say what is to be done.")})
    if len(text) > MAX_TITLE:
        raise ValidationError({"title": _l("At most %(n)s characters.", n=MAX_TITLE)})
    return text


def _clean_note(note) -> str:
    text = str(note or "").replace("\x00", "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError({"note": _l("At most %(n)s characters.", n=MAX_NOTE)})
    return text


def _check_due(due_at, now: datetime | None = None) -> datetime:
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise ValidationError({"due_at": _l("Give the date and time it is due.")})
    if due_at < (now or utcnow()) - PAST_TOLERANCE:
        raise ValidationError({"due_at": _l("This time has already passed.")})
    return due_at


def _assignee_for(actor: User, assignee_id) -> User:
    if actor is None or not actor.active or actor.role not in (Role.MANAGER, Role.SUPERVISOR):
        raise Forbidden(_l("Only managers and supervisors set tasks."))
    if assignee_id in (None, "", actor.id) and actor.role is Role.MANAGER:
        return actor
    allowed = {m.id: m for m in assignable_managers(actor)}
    if assignee_id not in allowed:
        raise ValidationError({"assignee_id": _l("Choose a manager of your team.")})
    return allowed[assignee_id]


def _links_for(actor: User, client_id, order_id) -> tuple[Client | None, Order | None]:
    order = client = None
    if order_id not in (None, ""):
        order = db.session.get(Order, order_id) if isinstance(order_id, int) else None
        if order is None or not orders.can_open(actor, order):
            raise ValidationError({"order_id": _l("No such order among yours.")})
    if client_id not in (None, ""):
        client = db.session.get(Client, client_id) if isinstance(client_id, int) else None
        if client is None or not directory.can_see(actor, client):
            raise ValidationError({"client_id": _l("No such client among yours.")})
    if order is not None:
        if client is None:
            client = order.client
        elif order.client_id != client.id:
            raise ValidationError({"order_id": _l("This order is another client's.")})
    return client, order


# --- writes ------------------------------------------------------------------------------------------

def create_task_in_transaction(*, title, due_at, assignee_id, client_id=None, order_id=None, set_by_id=None,
                               rule_id=None, note="") -> Task:
    """Add a task to the current transaction (the caller commits): no permission checks, for the
    automation engine. The title is trimmed to what the column holds."""
    task = Task(title=squash(str(title or ""), MAX_TITLE) or "—", due_at=due_at, assignee_id=assignee_id,
                client_id=client_id, order_id=order_id, set_by_id=set_by_id, rule_id=rule_id,
                note=str(note or "")[:MAX_NOTE], status=TaskStatus.OPEN)
    db.session.add(task)
    db.session.flush()
    audit.record(db.session.get(User, set_by_id) if set_by_id else None, "task_created", task,
                 after=_snapshot(task))
    return task


def create_task(actor: User, title: str, due_at: datetime, *, assignee_id: int | None = None,
                client_id: int | None = None, order_id: int | None = None, note: str = "") -> Task:
    """A task set by hand. A manager sets it for themselves, a supervisor for a member of the team
    (who is notified). ValidationError names each wrong field."""
    def operation() -> Task:
        errors = {}
        clean = {}
        for key, check in (("title", lambda: _clean_title(title)), ("note", lambda: _clean_note(note)),
                           ("due_at", lambda: _check_due(due_at)),
                           ("assignee_id", lambda: _assignee_for(actor, assignee_id)),
                           ("links", lambda: _links_for(actor, client_id, order_id))):
            try:
                clean[key] = check()
            except ValidationError as exc:
                errors.update(exc.fields)
        if errors:
            raise ValidationError(errors)
        assignee = clean["assignee_id"]
        client, order = clean["links"]
        task = create_task_in_transaction(
            title=clean["title"], due_at=clean["due_at"], assignee_id=assignee.id,
            client_id=client.id if client else None, order_id=order.id if order else None,
            set_by_id=actor.id, note=clean["note"])
        if assignee.id != actor.id:
            audit.notify(assignee, "task_assigned", link=f"/manager/tasks/{task.id}", by=actor.name,
                         title=task.title)
        return task

    return one_transaction(operation)


def ensure_open(task: Task) -> Task:
    """The task, when something can still be done with it; DomainError when it is closed."""
    if task.status is not TaskStatus.OPEN:
        raise DomainError(_l("This task is already closed."))
    return task


def _open_task(actor: User, task_id: int) -> Task:
    return ensure_open(task_for(actor, task_id, lock=True))


def complete(actor: User, task_id: int, outcome: TaskOutcome = TaskOutcome.DONE, note: str = "") -> Task:
    """Close a task with its outcome. "No answer" (a call nobody picked up) fires the automation
    event `task_no_answer` in the same transaction (a rule may set a call-back)."""
    def operation() -> Task:
        task = _open_task(actor, task_id)
        result = TaskOutcome(outcome)
        extra = _clean_note(note)
        before = _snapshot(task)
        task.status = TaskStatus.DONE
        task.outcome = result
        task.completed_at = utcnow()
        task.completed_by_id = actor.id
        if extra:
            task.note = f"{task.note}\n{extra}".strip()[:MAX_NOTE]
        db.session.flush()
        audit.record(actor, "task_completed", task, before=before, after=_snapshot(task))
        if result is TaskOutcome.NO_ANSWER:
            events.task_no_answer.send(task, actor=actor)
        return task

    return one_transaction(operation)


def reschedule(actor: User, task_id: int, due_at: datetime) -> Task:
    def operation() -> Task:
        task = _open_task(actor, task_id)
        when = _check_due(due_at)
        before = _snapshot(task)
        task.due_at = when
        db.session.flush()
        audit.record(actor, "task_rescheduled", task, before=before, after=_snapshot(task))
        return task

    return one_transaction(operation)


def cancel(actor: User, task_id: int) -> Task:
    def operation() -> Task:
        task = _open_task(actor, task_id)
        before = _snapshot(task)
        task.status = TaskStatus.CANCELLED
        task.completed_at = utcnow()
        task.completed_by_id = actor.id
        db.session.flush()
        audit.record(actor, "task_cancelled", task, before=before, after=_snapshot(task))
        return task

    return one_transaction(operation)


# --- reading -----------------------------------------------------------------------------------------

def _status_conditions(status: str, now: datetime) -> list:
    if status == "overdue":
        return [Task.status == TaskStatus.OPEN, Task.due_at < now]
    if status == "today":
        today = local_date(now)
        return [Task.status == TaskStatus.OPEN, Task.due_at >= day_start(today),
                Task.due_at < day_start(today + timedelta(days=1))]
    if status == "done":
        return [Task.status == TaskStatus.DONE]
    if status == "all":
        return []
    return [Task.status == TaskStatus.OPEN]


def tasks_for(user: User, *, status: str = "open", page: int = 1, client_id: int | None = None,
              order_id: int | None = None, assignee_id: int | None = None, per_page: int = PER_PAGE,
              now: datetime | None = None):
    """One page (a Flask-SQLAlchemy pagination of Task, with assignee, client and order loaded) of
    the tasks `user` sees: "open" (soonest due first), "overdue", "today" (due today in the
    company's zone), "done" (latest first) or "all". `assignee_id` narrows a supervisor's list to
    one member; a page past the last gives the last."""
    now = now or utcnow()
    status = status if status in STATUS_FILTERS else "open"
    ids = visible_staff_ids(user)
    if assignee_id is not None:
        ids = [i for i in ids if i == assignee_id]
    stmt = (db.select(Task).where(Task.assignee_id.in_(ids) if ids else db.false(),
                                  *_status_conditions(status, now))
            .options(joinedload(Task.assignee), joinedload(Task.client), joinedload(Task.order),
                     joinedload(Task.set_by)))
    if client_id is not None:
        stmt = stmt.where(Task.client_id == client_id)
    if order_id is not None:
        stmt = stmt.where(Task.order_id == order_id)
    if status == "done":
        stmt = stmt.order_by(Task.completed_at.desc(), Task.id.desc())
    elif status == "all":
        stmt = stmt.order_by(db.case((Task.status == TaskStatus.OPEN, 0), else_=1), Task.due_at, Task.id)
    else:
        stmt = stmt.order_by(Task.due_at, Task.id)
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or PER_PAGE), 1), 100)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if not result.items and page > 1 and result.pages:
        result = db.paginate(stmt, page=result.pages, per_page=per_page, error_out=False)
    return result


def open_tasks_of(user: User, *, client_id: int | None = None, order_id: int | None = None,
                  limit: int = 20) -> list[Task]:
    """The open tasks linked to a client or an order that `user` sees (the cards' Tasks block)."""
    return list(tasks_for(user, status="open", client_id=client_id, order_id=order_id, per_page=limit).items)


def counts_for(user_id: int, now: datetime | None = None) -> tuple[int, int]:
    """(open, overdue) tasks of one person, in one query (the navigation badge)."""
    now = now or utcnow()
    open_count, overdue = db.session.execute(
        db.select(db.func.count(Task.id),
                  db.func.coalesce(db.func.sum(db.case((Task.due_at < now, 1), else_=0)), 0))
        .where(Task.assignee_id == user_id, Task.status == TaskStatus.OPEN)).one()
    return int(open_count or 0), int(overdue or 0)


def team_counts(supervisor: User, now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """{manager id: (open, overdue)} over the supervisor's team, in one grouped query."""
    now = now or utcnow()
    ids = [m.id for m in team.team_members(supervisor, include_inactive=True)]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(Task.assignee_id, db.func.count(Task.id),
                  db.func.coalesce(db.func.sum(db.case((Task.due_at < now, 1), else_=0)), 0))
        .where(Task.assignee_id.in_(ids), Task.status == TaskStatus.OPEN).group_by(Task.assignee_id))
    return {int(a): (int(o), int(d)) for a, o, d in rows}


def badge_counts(user: User, now: datetime | None = None) -> tuple[int, int]:
    """(open, overdue) beside "Tasks" in the navigation: a manager's own, a supervisor's team's."""
    if user.role is Role.SUPERVISOR:
        team_rows = team_counts(user, now).values()
        return sum(c[0] for c in team_rows), sum(c[1] for c in team_rows)
    return counts_for(user.id, now)
