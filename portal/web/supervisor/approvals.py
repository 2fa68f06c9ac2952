"""The supervisor's approval queue: client changes and order discounts of the team, one compact row
each (what changes from → to, who asked, when; the details expand), oldest or newest first
(`?order=newest`), narrowed to one kind (`?kind=discount`, see approval_queue.FILTERS).

Approve or reject one item (with a comment) in place with htmx — the row is replaced by a short
line saying what was decided, where it stood — or tick several and approve them at once: the answer is
the queue page, from which htmx takes the queue and the navigation count (`hx-select`). Without htmx every
action is a plain form post that comes back to the queue with a flash message. The services decide;
this door only reads the form and shows the result.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from portal.errors import DomainError, NotFound, ValidationError
from portal.services.orders import approvals as approval_queue
from portal.web.supervisor.blueprint import bp

WHAT = {
    approval_queue.NEW_CLIENT: _l("New client"),
    approval_queue.TERMS: _l("Change of terms"),
    approval_queue.REQUISITES: _l("Change of requisites"),
    approval_queue.TERMS_AND_REQUISITES: _l("Change of terms and requisites"),
    approval_queue.ORDER_DISCOUNT: _l("Order discount"),
}


FILTER_LABELS = {
    approval_queue.NEW_CLIENT: _l("New client"),
    "discount": _l("Discount"),
    "credit_limit": _l("Credit limit"),
    "deferral": _l("Payment deferral"),
    approval_queue.REQUISITES: _l("Requisites"),
    approval_queue.ORDER_DISCOUNT: _l("Order discount"),
}


def what_label(what: str) -> str:
    return str(WHAT.get(what, what))


def _me():
    return current_user._get_current_object()


def _htmx() -> bool:
    return bool(request.htmx)


def _back():
    return redirect(url_for("supervisor.approvals"), code=303)


def _view() -> dict:
    """The queue's order and filter, from the address (or from the bulk form, which carries them)."""
    only = request.values.get("kind", "")
    return {"newest": request.values.get("order") == "newest",
            "only": only if only in approval_queue.FILTERS else ""}


def _page(outcome=None, error=None, status: int = 200):
    view = _view()
    items = approval_queue.queue(_me(), newest_first=view["newest"], only=view["only"] or None)
    return render_template("supervisor/approvals.html", items=items, view=view, filters=FILTER_LABELS,
                           select_all=request.args.get("select") == "all", outcome=outcome, error=error,
                           what_label=what_label), status


@bp.get("/approvals")
def approvals():
    return _page()


def _decision_text(decision: approval_queue.Decision) -> str:
    subject = decision.order_number or decision.client_name
    if decision.approved:
        return _("Approved: %(what)s — %(subject)s.", what=what_label(decision.what), subject=subject)
    return _("Rejected: %(what)s — %(subject)s.", what=what_label(decision.what), subject=subject)


def _decide(kind: str, item_id: int, approve: bool):
    if kind not in approval_queue.KINDS:
        abort(404)
    comment = request.form.get("comment", "")
    try:
        decision = approval_queue.decide(_me(), kind, item_id, approve, comment)
    except ValidationError as exc:
        return _refused(kind, item_id, exc.fields, None, comment)
    except NotFound:
        raise  # the 404 page
    except DomainError as exc:
        if exc.code == "forbidden":
            abort(403)
        return _refused(kind, item_id, {}, str(exc.message), comment)
    if _htmx():
        return render_template("supervisor/_approval_row.html", decision=decision, what_label=what_label,
                               oob_count=True)
    flash(_decision_text(decision), "success")
    return _back()


def _refused(kind: str, item_id: int, errors: dict, message: str | None, comment: str):
    """The decision was refused: the item again with why (htmx), or the queue with a flash."""
    if not _htmx():
        flash(message or " ".join(str(v) for v in errors.values()), "error")
        return _back()
    found = approval_queue.item(_me(), kind, item_id)
    # htmx swaps only successful answers: the refusal comes back as 200 and replaces the item.
    return render_template("supervisor/_approval_row.html", item=found,
                           gone_key=approval_queue.item_key(kind, item_id), errors=errors, message=message,
                           comment=comment, what_label=what_label, oob_count=found is None)


@bp.post("/approvals/<kind>/<int:item_id>/approve")
def approval_approve(kind: str, item_id: int):
    return _decide(kind, item_id, True)


@bp.post("/approvals/<kind>/<int:item_id>/reject")
def approval_reject(kind: str, item_id: int):
    return _decide(kind, item_id, False)


@bp.post("/approvals/approve-selected")
def approvals_bulk():
    keys = request.form.getlist("items")
    if not keys:
        if not _htmx():
            flash(_("Tick the items to approve first."), "error")
            return _back()
        return _page(error=_("Tick the items to approve first."))
    outcome = approval_queue.decide_many(_me(), keys, approve=True)
    if _htmx():
        return _page(outcome=outcome)
    if outcome.decided:
        flash(ngettext("%(num)d item approved.", "%(num)d items approved.", len(outcome.decided)), "success")
    for failure in outcome.failed:
        flash(_("Not approved: %(label)s — %(why)s", label=failure.label, why=failure.message), "error")
    return _back()
