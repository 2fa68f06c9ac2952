"""The supervisor's cabinet: its blueprint, open to supervisor only."""
from flask import Blueprint

from portal.models import Role
from portal.web.access import roles_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.before_request
@roles_required(Role.SUPERVISOR)
def only_supervisors():
    return None
