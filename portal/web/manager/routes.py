"""Manager's cabinet. A supervisor opens the same screens over the whole team, or one member's."""
from flask import abort, render_template, request
from flask_login import current_user

from portal.ids import parse_id
from portal.models import Role
from portal.services.clients import clients as client_service
from portal.services.orders.order_list import orders_at_a_glance
from portal.services.staff import team
from portal.web.manager.blueprint import bp


def visible_manager_ids() -> tuple[list[int], object]:
    """The managers whose clients this screen shows, and the one chosen (if any).

    A manager sees their own; a supervisor their whole team or, with ?manager=ID, one member
    of it. Another team's manager is a 403, not an empty page.
    """
    if current_user.role is Role.MANAGER:
        if request.args.get("manager", current_user.id, type=int) != current_user.id:
            abort(403)  # a manager's screens are their own: nobody else's id opens anything
        return [current_user.id], current_user
    members = team.team_members(current_user, include_inactive=True)
    chosen_id = request.args.get("manager", type=parse_id)
    if chosen_id is not None:
        chosen = next((m for m in members if m.id == chosen_id), None)
        if chosen is None:
            abort(403)
        return [chosen.id], chosen
    return [m.id for m in members], None


@bp.get("/")
def home():
    manager_ids, chosen = visible_manager_ids()
    members = team.team_members(current_user) if current_user.role is Role.SUPERVISOR else []
    return render_template("manager/home.html", chosen=chosen, members=members,
                           counts=client_service.client_counts(manager_ids),
                           recent=client_service.recent_clients(manager_ids),
                           glance=orders_at_a_glance(chosen or current_user))

