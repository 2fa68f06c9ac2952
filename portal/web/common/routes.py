"""Pages every signed-in person shares: the entry redirect, language, notifications."""
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from portal.config import SUPPORTED_LOCALES
from portal.services import audit
from portal.services.staff import staff
from portal.web.access import home_url
from portal.web.common.notifications import notification_text
from portal.web.forms import safe_next

bp = Blueprint("common", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            staff.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")) or url_for("common.index"))


@bp.get("/notifications")
@login_required
def notifications():
    notes = audit.recent_notifications(current_user.id)
    return render_template("common/notifications.html", notes=notes, text=notification_text)


@bp.post("/notifications/<int:note_id>/read")
@login_required
def read_notification(note_id: int):
    audit.mark_read(current_user.id, note_id)
    if request.htmx:
        notes = audit.recent_notifications(current_user.id)
        return render_template("partials/notifications_list.html", notes=notes, text=notification_text,
                               unread_notifications=audit.unread_count(current_user.id))
    return redirect(url_for("common.notifications"))


@bp.post("/notifications/read-all")
@login_required
def read_all_notifications():
    audit.mark_read(current_user.id)
    return redirect(url_for("common.notifications"))
