"""How each kind of notification reads, in the reader's language."""
from flask_babel import gettext as _

from ...models import Notification


def notification_text(note: Notification) -> str:
    params = note.params or {}
    if note.kind == "welcome":
        return _("Welcome to the portal. Your cabinet is ready.")
    if note.kind == "password_reset":
        return _("Your password was reset by %(name)s.", name=params.get("by", ""))
    return note.kind
