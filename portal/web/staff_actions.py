"""What the admin's staff screen and the supervisor's team screen do alike."""
from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_babel import gettext as _

from portal.errors import DomainError, Forbidden, NotFound
from portal.models import User


def set_active_and_say(change: Callable[[], User], active: bool) -> None:
    """Deactivate or reactivate someone through `change` and say what came of it: done, or the rule
    that refused it. A missing person or one not the actor's goes on to the 404 and 403 pages."""
    try:
        user = change()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("%(name)s can sign in again.", name=user.name) if active
              else _("%(name)s is deactivated and signed out everywhere.", name=user.name), "success")
