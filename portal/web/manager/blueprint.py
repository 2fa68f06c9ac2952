"""The manager's cabinet (a supervisor opens it over the whole team): its blueprint, open to manager and supervisor only."""
from flask import Blueprint

from portal.models import Role
from portal.web.access import roles_required

bp = Blueprint("manager", __name__, url_prefix="/manager")


@bp.before_request
@roles_required(Role.MANAGER, Role.SUPERVISOR)
def only_managers_and_supervisors():
    return None
