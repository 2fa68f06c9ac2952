"""The administrator's cabinet: its blueprint, open to admin only."""
from flask import Blueprint

from portal.models import Role
from portal.web.access import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required(Role.ADMIN)
def only_admins():
    return None
