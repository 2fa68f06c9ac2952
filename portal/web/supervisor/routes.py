"""Supervisor's cabinet: the team directory (figures per manager, search, password reset,
deactivation and reactivation of the team's managers)."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from portal.services.clients import clients
from portal.services.staff import team
from portal.web.staff_actions import set_active_and_say
from portal.web.supervisor.blueprint import bp


@bp.get("/")
def home():
    query = request.args.get("q", "")[:100]
    members = team.team_members(current_user, include_inactive=True)
    ids = [m.id for m in members]
    return render_template("supervisor/home.html", members=members, rows=team.team_directory(current_user, query),
                           query=query.strip(), counts=clients.client_counts(ids))


def _back_to_team():
    query = (request.form.get("q") or "").strip()[:100]
    return redirect(url_for("supervisor.home", q=query or None))


@bp.post("/team/<int:user_id>/reset-password")
def reset_password(user_id: int):
    member, password = team.reset_member_password(current_user, user_id)
    response = render_template("supervisor/password_shown.html", user=member, password=password)
    # Shown once: never kept by a browser's or a proxy's cache.
    return response, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@bp.post("/team/<int:user_id>/active")
def set_active(user_id: int):
    active = request.form.get("active") == "1"
    set_active_and_say(lambda: team.set_member_active(current_user, user_id, active), active)
    return _back_to_team()


