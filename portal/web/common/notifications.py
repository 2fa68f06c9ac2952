"""How each kind of notification reads, in the reader's language."""
from flask_babel import gettext as _

from portal.i18n import money
from portal.models import Notification


def notification_text(note: Notification) -> str:
    p = note.params or {}
    texts = {
        "welcome": lambda: _("Welcome to the portal. Your cabinet is ready."),
        "password_reset": lambda: _("Your password was reset by %(name)s.", name=p.get("by", "")),
        "client_assigned": lambda: _("%(by)s made you the responsible manager of %(client)s.",
                                     by=p.get("by", ""), client=p.get("client", "")),
        "change_request_approved": lambda: _("%(by)s approved your change to %(client)s.",
                                             by=p.get("by", ""), client=p.get("client", "")),
        "change_request_rejected": lambda: _("%(by)s rejected your change to %(client)s: %(comment)s",
                                             by=p.get("by", ""), client=p.get("client", ""),
                                             comment=p.get("comment", "") or "—"),
        "change_request_submitted": lambda: _("%(by)s asks to approve a change to %(client)s.",
                                              by=p.get("by", ""), client=p.get("client", "")),
        "order_approval_requested": lambda: _("%(by)s asks to approve the discounts of order %(number)s.",
                                              by=p.get("by", ""), number=p.get("number", "")),
        "order_approved": lambda: _("%(by)s approved the discounts of order %(number)s.",
                                    by=p.get("by", ""), number=p.get("number", "")),
        "order_rejected": lambda: _("%(by)s rejected the discounts of order %(number)s: %(comment)s",
                                    by=p.get("by", ""), number=p.get("number", ""),
                                    comment=p.get("comment", "") or "—"),
        "order_confirmed": lambda: _("%(client)s confirmed order %(number)s.",
                                     client=p.get("client", ""), number=p.get("number", "")),
        "order_paid": lambda: _("Order %(number)s of %(client)s is paid in full: %(amount)s.",
                                number=p.get("number", ""), client=p.get("client", ""),
                                amount=money(p.get("amount") or 0)),
        "task_assigned": lambda: _("%(by)s set you a task: %(title)s", by=p.get("by", ""), title=p.get("title", "")),
        # Set by an automation rule (portal/services/automation/actions.py): the rule's own text.
        "automation_notice": lambda: _("Rule “%(rule)s”: %(text)s", rule=p.get("rule", ""), text=p.get("text", "")),
        # Shown to a client on the bonus page.
        "client_order_paid": lambda: _("Your order %(number)s is paid: %(amount)s. Thank you!",
                                       number=p.get("number", ""), amount=money(p.get("amount") or 0)),
    }
    text = texts.get(note.kind)
    return text() if text else note.kind
