"""Who may open which cabinet."""
from __future__ import annotations

from functools import wraps

from flask import abort, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.extensions import login_manager
from portal.models import Role, User

HOME_ENDPOINTS = {
    Role.MANAGER: "manager.home",
    Role.SUPERVISOR: "supervisor.home",
    Role.CASHIER: "cashier.home",
    Role.ADMIN: "admin.home",
}


def home_url(user: User) -> str:
    return url_for(HOME_ENDPOINTS[user.role])


def roles_required(*roles: Role):
    """Signed-out visitors go to the login page; signed-in users of another role get a 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def nav_items() -> list[tuple[str, str, object]]:
    """(endpoint, url, label) of the signed-in user's cabinet navigation."""
    if not current_user.is_authenticated:
        return []
    items = {
        Role.ADMIN: [("admin.home", _l("Overview")), ("admin.staff", _l("Staff")),
                     ("admin.locations", _l("Shops and warehouses")), ("admin.audit", _l("Audit log")),
                     ("admin.outbox", _l("Outbox")), ("admin.onec", _l("1C exchange"))],
        Role.SUPERVISOR: [("supervisor.home", _l("Team")), ("supervisor.approvals", _l("Approvals")),
                          ("manager.home", _l("Overview")), ("manager.clients", _l("Clients")),
                          ("manager.orders", _l("Orders")), ("manager.tasks", _l("Tasks")),
                          ("supervisor.statistics", _l("Statistics")),
                          ("supervisor.bonus", _l("Bonus programme")),
                          ("supervisor.automation", _l("Automation"))],
        Role.MANAGER: [("manager.home", _l("Overview")), ("manager.clients", _l("Clients")),
                       ("manager.orders", _l("Orders")), ("manager.tasks", _l("Tasks"))],
        Role.CASHIER: [("cashier.sale", _l("Sale")), ("cashier.orders", _l("All sales")),
                       ("cashier.shift_report", _l("Shift"))],
    }[current_user.role]
    return [(endpoint, url_for(endpoint), label) for endpoint, label in items]
