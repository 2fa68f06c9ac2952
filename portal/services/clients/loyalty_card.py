"""The client's loyalty card number: the code the bonus page shows as a barcode and a QR code,
and the till attaches the client by.

A client imported with a plastic card keeps its number. A client without one (registered at a
till, on the web shop or by a manager) is issued a number the first time the bonus page is
opened: 13 digits, an EAN-13 in the in-store range (prefix 2990, eight random digits, the check
digit), never equal to another client's card or to any product's barcode, so a scan at the till
is never ambiguous.
"""
from __future__ import annotations

import secrets

from portal.extensions import db
from portal.models import Barcode, Client
from portal.services import audit
from portal.services.transactions import one_transaction

PREFIX = "2990"


def check_digit(first12: str) -> str:
    """The EAN-13 check digit of 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _new_number() -> str:
    body = PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(12 - len(PREFIX)))
    return body + check_digit(body)


def _taken(number: str) -> bool:
    return bool(db.session.scalar(db.select(Client.id).where(Client.card_number == number))
                or db.session.scalar(db.select(Barcode.id).where(Barcode.code == number)))


def card_number_of(client_id: int) -> str:
    """The client's card number, issued now (its own transaction) if the client has none."""
    client = db.session.get(Client, client_id)
    if client.card_number:
        return client.card_number
    return one_transaction(lambda: _issue(client_id))


def _issue(client_id: int) -> str:
    client = db.session.scalar(db.select(Client).where(Client.id == client_id).with_for_update())
    if client.card_number:  # a twin request issued it a moment ago
        return client.card_number
    number = _new_number()
    while _taken(number):  # 10^8 numbers: a clash is rare, and the unique index backs this up
        number = _new_number()
    client.card_number = number
    audit.record(None, "card_issued", client, {"card_number": None}, {"card_number": number}, source="system")
    return number
