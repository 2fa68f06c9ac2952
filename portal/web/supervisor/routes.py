"""Supervisor's cabinet: the team at a glance."""
from flask import Blueprint, render_template
from flask_login import current_user

from ...models import Role
from ...services import clients, team
from ..access import roles_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.before_request
@roles_required(Role.SUPERVISOR)
def only_supervisors():
    return None


@bp.get("/")
def home():
    members = team.team_members(current_user, include_inactive=True)
    ids = [m.id for m in members]
    return render_template("supervisor/home.html", members=members,
                           per_manager=clients.clients_per_manager(ids), counts=clients.client_counts(ids))


# The approval queue, the bonus programme and the statistics register their routes on `bp`.
from . import approvals as _approvals, bonus as _bonus, statistics as _statistics  # noqa: E402,F401
