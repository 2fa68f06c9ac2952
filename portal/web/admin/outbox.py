"""Administrator: the outbox — what was sent to SMS and 1C, what waits, what failed and why."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import DomainError
from portal.extensions import db
from portal.models import utcnow
from portal.services.fiscal import documents as fiscal_documents
from portal.services.messaging import delivery
from portal.services.messaging import sms as sms_service
from portal.web.admin.blueprint import bp

PER_PAGE = 50


def _filters(source) -> dict:
    state = source.get("state") or None
    topic = (source.get("topic") or "")[:50] or None
    return {"state": state if state in delivery.STATES else None, "topic": topic}


@bp.get("/outbox")
def outbox():
    filters = _filters(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events = db.paginate(delivery.events_query(**filters), page=page, per_page=PER_PAGE, error_out=False)
    return render_template("admin/outbox.html", events=events, filters=filters,
                           topics=delivery.topics(), counts=delivery.state_counts(filters["topic"]),
                           pushed=set(delivery.handlers()), masked_text=sms_service.masked_text,
                           fiscal_label=lambda payload: fiscal_documents.describe_id(payload.get("document")),
                           now=utcnow(), pager_args={k: v for k, v in filters.items() if v})


@bp.post("/outbox/<int:event_id>/retry")
def outbox_retry(event_id: int):
    try:
        delivery.retry_now(current_user, event_id)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        tried = delivery.deliver_now([event_id])
        if tried.delivered:
            flash(_("Event #%(id)d was delivered.", id=event_id), "success")
        elif tried.outcomes:
            flash(_("Event #%(id)d failed again: %(error)s. The worker keeps trying.", id=event_id,
                    error=tried.outcomes[0].error), "error")
        else:
            flash(_("Event #%(id)d is due again: the worker delivers it.", id=event_id), "success")
    filters = {k: v for k, v in _filters(request.form).items() if v}
    return redirect(url_for("admin.outbox", **filters), code=303)
