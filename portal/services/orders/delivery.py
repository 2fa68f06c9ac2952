"""Delivery defaults for a manager's order: the client's addresses and the next working day.

A working day is Monday to Friday (public holidays are not known to the portal and count as working
days); "today" is the company's calendar day (`portal.clock.local_date`, PORTAL_TIMEZONE).
"""
from __future__ import annotations

from datetime import date, timedelta

from portal.clock import local_date
from portal.models import AddressKind, Client

SATURDAY = 5  # date.weekday(): Monday is 0


def next_working_day(today: date | None = None) -> date:
    """The first Monday-to-Friday day after `today` (by default the company's today): Friday,
    Saturday and Sunday all give the next Monday."""
    day = (today or local_date()) + timedelta(days=1)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def delivery_addresses(client: Client) -> list[str]:
    """The client's addresses to deliver to, the default first: delivery addresses in the order they
    were added, then the legal address (goods may go there when no delivery address is known).
    Blank and repeated texts are left out."""
    ranked = sorted(client.addresses, key=lambda a: (a.kind is not AddressKind.DELIVERY, a.id or 0))
    seen, texts = set(), []
    for address in ranked:
        text = (address.text or "").strip()
        if text and text.lower() not in seen:
            seen.add(text.lower())
            texts.append(text)
    return texts


def default_address(client: Client) -> str:
    """The address a courier or carrier delivery is filled with: the first of `delivery_addresses`."""
    texts = delivery_addresses(client)
    return texts[0] if texts else ""
