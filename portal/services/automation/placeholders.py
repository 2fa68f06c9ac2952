"""Placeholders in the texts of a rule (task title, SMS, notification): `{client_name}` and the like.

Only the names below are allowed; anything else in braces is a validation error when the rule is
saved and a failed action if it gets into a stored rule. Substitution is plain text replacement
(no format specs, no attribute access)."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal.i18n import money
from portal.labels import order_status

PLACEHOLDERS = ("client_name", "order_number", "amount", "status", "due_date", "manager_name", "manager_phone",
                "company")
_TOKEN = re.compile(r"\{([^{}]*)\}")


class PlaceholderError(ValueError):
    pass


def unknown_in(text: str) -> list[str]:
    """The placeholders of `text` that are not allowed (a lone brace counts as one)."""
    found = [name for name in _TOKEN.findall(text or "") if name not in PLACEHOLDERS]
    rest = _TOKEN.sub("", text or "")
    if "{" in rest or "}" in rest:
        found.append("{" if "{" in rest else "}")
    return found


def check(text: str) -> str | None:
    """A person's message about what is wrong with the placeholders of `text`, or None."""
    bad = unknown_in(text)
    if bad:
        return str(_l("Unknown placeholder: %(names)s. Use %(allowed)s.", names=", ".join(bad),
                      allowed=", ".join(f"{{{name}}}" for name in PLACEHOLDERS)))
    return None


def render(text: str, values: dict[str, str]) -> str:
    """Fill in the placeholders; raises PlaceholderError on an unknown one."""
    bad = unknown_in(text)
    if bad:
        raise PlaceholderError(f"unknown placeholder {', '.join(bad)}")
    return _TOKEN.sub(lambda m: str(values.get(m.group(1), "")), text)


def values_for(ctx) -> dict[str, str]:
    """What each placeholder stands for in the context of one run (portal/services/automation/engine.py)."""


    client, order, manager = ctx.client, ctx.order, ctx.manager
    due = order.due_date if order is not None and order.due_date else (
        client.contract_renewal_on if client is not None else None)
    return {
        "client_name": client.name if client is not None else "",
        "order_number": order.number or "" if order is not None else "",
        "amount": money(order.total) if order is not None else "",
        "status": order_status(order.status) if order is not None else "",
        "due_date": format_date(due) if due else "",
        "manager_name": manager.name if manager is not None else "",
        "manager_phone": manager.phone if manager is not None else "",
        "company": current_app.config.get("PORTAL_COMPANY_NAME", ""),
    }
