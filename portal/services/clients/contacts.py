"""A client's phones, e-mails and addresses (SPEC §2): edited directly by whoever may see the client,
no approval; a phone belongs to one client only; audited when anything changed."""
from __future__ import annotations

from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import AddressKind, Client, ClientAddress, ClientEmail, ClientPhone, User
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.clients.changes import (
    MAX_ADDRESS,
    MAX_CONTACTS,
    check_staff,
    contacts_of,
    country,
    locked_client,
    phone_owner,
    phone_taken_message,
)
from portal.services.transactions import one_transaction
from portal.text import squash


@dataclass
class AddressInput:
    kind: str  # an AddressKind value
    text: str


@dataclass
class Contacts:
    """The client's whole list of phones, e-mails and addresses (empty entries are ignored)."""

    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)


def _clean_contacts(client: Client, data: Contacts) -> tuple[list[str], list[str], list[tuple[AddressKind, str]]]:
    errors: dict = {}
    phones: list[str] = []
    for i, raw in enumerate(data.phones or []):
        if not squash(raw):
            continue
        try:
            number = normalize_phone(raw, country())
        except PhoneError as exc:
            errors[f"phones-{i}"] = str(exc)
            continue
        if number in phones:
            errors[f"phones-{i}"] = _l("This phone number is entered twice.")
            continue
        owner = phone_owner(number)
        if owner is not None and owner != client.id:
            errors[f"phones-{i}"] = phone_taken_message()
            continue
        phones.append(number)
    emails: list[str] = []
    for i, raw in enumerate(data.emails or []):
        if not squash(raw):
            continue
        try:
            address = validate_email(squash(raw), check_deliverability=False).normalized
        except EmailNotValidError:
            errors[f"emails-{i}"] = _l("Enter a valid e-mail address.")
            continue
        if address.lower() in {e.lower() for e in emails}:
            errors[f"emails-{i}"] = _l("This e-mail is entered twice.")
            continue
        emails.append(address)
    addresses: list[tuple[AddressKind, str]] = []
    for i, entry in enumerate(data.addresses or []):
        text = squash(entry.text)
        if not text:
            continue
        try:
            kind = AddressKind(entry.kind)
        except ValueError:
            errors[f"addresses-{i}-kind"] = _l("Choose the type of address.")
            continue
        if len(text) > MAX_ADDRESS:
            errors[f"addresses-{i}-text"] = _l("The address is too long.")
            continue
        if kind is AddressKind.LEGAL and any(k is AddressKind.LEGAL for k, _ in addresses):
            errors[f"addresses-{i}-kind"] = _l("A client has one legal address.")
            continue
        addresses.append((kind, text))
    if not phones and not any(key.startswith("phones-") for key in errors):
        errors["phones-0"] = _l("Keep at least one phone number: orders are confirmed by SMS.")
    for name, items in (("phones", phones), ("emails", emails), ("addresses", addresses)):
        if len(items) > MAX_CONTACTS:
            errors[f"{name}-0"] = _l("At most %(n)d entries.", n=MAX_CONTACTS)
    if errors:
        raise ValidationError(errors)
    return phones, emails, addresses


def update_contacts(actor: User, client_id: int, data: Contacts) -> Client:
    """Replace the client's phones, e-mails and addresses with the lists given. Phones are stored in
    E.164 and belong to one client only. Applied directly (no approval), audited when anything changed.

    Errors are keyed like the form's entries: `phones-0`, `emails-1`, `addresses-2-text`."""
    check_staff(actor)

    def run() -> Client:
        client = locked_client(actor, client_id)
        phones, emails, addresses = _clean_contacts(client, data)
        before = contacts_of(client)
        for row in list(client.phones):
            if row.number not in phones:
                client.phones.remove(row)
        db.session.flush()  # free the numbers taken away before adding new ones
        kept = {row.number for row in client.phones}
        for number in phones:
            if number not in kept:
                client.phones.append(ClientPhone(number=number))
        existing_emails = list(client.emails)
        for row, address in zip(existing_emails, emails):
            row.address = address
        for row in existing_emails[len(emails):]:
            client.emails.remove(row)
        for address in emails[len(existing_emails):]:
            client.emails.append(ClientEmail(address=address))
        existing_addresses = list(client.addresses)
        for row, (kind, text) in zip(existing_addresses, addresses):
            row.kind, row.text = kind, text
        for row in existing_addresses[len(addresses):]:
            client.addresses.remove(row)
        for kind, text in addresses[len(existing_addresses):]:
            client.addresses.append(ClientAddress(kind=kind, text=text))
        try:
            db.session.flush()
        except IntegrityError:  # a phone taken a moment ago by another transaction
            raise ValidationError({"phones-0": phone_taken_message()}) from None
        db.session.expire(client, ["phones"])
        after = contacts_of(client)
        if _same_contacts(before, after):
            return client
        audit.record(actor, "client_contacts_updated", client, before=before, after=after)
        return client

    return one_transaction(run)


def _same_contacts(before: dict, after: dict) -> bool:
    return (sorted(before["phones"]) == sorted(after["phones"]) and before["emails"] == after["emails"]
            and before["addresses"] == after["addresses"])
