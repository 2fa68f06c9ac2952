"""Creating and changing clients (SPEC §2, §4).

A manager's new client is created at once with status PENDING and zero terms (prepaid orders
only) and a NEW_CLIENT change request holding the terms asked for; a manager's change of the
discount, credit limit, deferral or requisites (kind, name, tax ID) is a CHANGE request, and the
card keeps its values until the manager's supervisor approves it. A supervisor (or an admin)
creates and changes clients directly. Contacts and addresses are edited directly by whoever may
see the client. One change may wait per client.

Whenever a client's requisites and terms become approved — a supervisor's new client or direct change,
or an approved request — the card goes to the 1C outbox (topic `1c.client`) in the same transaction.

`before` and `after` of a request and of the audit events hold plain values: the discount in
basis points, money in minor units, text as text, enumerations by their values.

Every function here is one transaction: it commits at the end, and rolls back on any error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import events
from portal.extensions import db
from portal.models import (AddressKind, ChangeKind, ChangeRequest, ChangeStatus, Client, ClientAddress, ClientEmail,
                      ClientKind, ClientPhone, ClientStatus, Role, User, utcnow)
from portal.ids import parse_id
from portal.services import audit
from portal.services.messaging import outbox
from portal.services.staff import team
from portal.services.clients.directory import pending_request_of, visible_client
from portal.errors import DomainError, NotFound, ValidationError
from portal.phones import PhoneError, normalize_phone
from portal.services.clients.tax_ids import TaxIdError, validate_tax_id
from portal.services.transactions import one_transaction as _one_transaction

__all__ = [
    "AddressInput", "ClientChange", "Contacts", "NewClient", "NothingChanged", "TERM_FIELDS", "REQUISITE_FIELDS",
    "approve_change", "assign_manager", "change_client", "apply_change", "client_link", "contacts_of", "onec_payload",
    "create_client", "pending_request_of", "propose_change", "reject_change", "update_contacts",
]

T = TypeVar("T")

MAX_DISCOUNT_BP = 10_000
MAX_CREDIT_LIMIT = 10 ** 15  # minor units; far above any real limit, within a BIGINT
MAX_DEFERRAL_DAYS = 365
MAX_NAME = 300
MAX_ADDRESS = 500
MAX_COMMENT = 1000
MAX_CONTACTS = 20

REQUISITE_FIELDS = ("kind", "name", "tax_id")
TERM_FIELDS = ("discount_bp", "credit_limit", "deferral_days")
# The fields a manager's change goes to approval for, in the order they are shown.
APPROVED_FIELDS = REQUISITE_FIELDS + TERM_FIELDS


class NothingChanged(DomainError):
    code = "nothing_changed"


# --- inputs ------------------------------------------------------------------------------------

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


@dataclass
class ClientChange:
    """Requisites and terms as they should be; the fields equal to the card's are not a change.

    A number left as None was not understood by the door (it reports why itself)."""

    kind: str
    name: str
    tax_id: str = ""
    discount_bp: int | None = 0
    credit_limit: int | None = 0
    deferral_days: int | None = 0


@dataclass
class NewClient(ClientChange):
    phone: str = ""
    email: str = ""
    legal_address: str = ""
    delivery_address: str = ""
    # Chosen by a supervisor or an admin; a manager's new client is their own.
    manager_id: int | None = None


# --- helpers -----------------------------------------------------------------------------------

def client_link(client_id: int) -> str:
    """Where a notification about the client leads: its card."""
    return f"/manager/clients/{client_id}"


def _country() -> str:
    return current_app.config["PORTAL_COUNTRY"]


def _decides_directly(actor: User) -> bool:
    return actor.role in (Role.SUPERVISOR, Role.ADMIN)


def _check_staff(actor: User) -> None:
    if actor is None or not actor.active or actor.role not in (Role.MANAGER, Role.SUPERVISOR, Role.ADMIN):
        raise DomainError(_l("Only managers and supervisors work with clients."), code="forbidden")


def _locked_client(actor: User, client_id: int) -> Client:
    """The client, visible to `actor`, with its row locked for this transaction (PostgreSQL), so two
    proposals or decisions for one client happen one after the other."""
    client = db.session.scalar(db.select(Client).where(Client.id == client_id).with_for_update()
                               .execution_options(populate_existing=True))
    if client is None:
        raise NotFound(_l("No such client."))
    return visible_client(actor, client.id)


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def terms_snapshot(client: Client) -> dict:
    return {"discount_bp": client.discount_bp, "credit_limit": client.credit_limit,
            "deferral_days": client.deferral_days}


def _requisites_snapshot(client: Client) -> dict:
    return {"kind": client.kind.value, "name": client.name, "tax_id": client.tax_id or ""}


def contacts_of(client: Client) -> dict:
    return {"phones": [p.number for p in client.phones], "emails": [e.address for e in client.emails],
            "addresses": [{"kind": a.kind.value, "text": a.text} for a in client.addresses]}


def onec_payload(client: Client) -> dict:
    """The client as 1C receives it: requisites and approved terms as plain values."""
    manager = db.session.get(User, client.manager_id) if client.manager_id is not None else None
    return {"id": client.id, "kind": client.kind.value, "name": client.name, "tax_id": client.tax_id or "",
            "discount_bp": client.discount_bp, "credit_limit": client.credit_limit,
            "deferral_days": client.deferral_days, "phones": [p.number for p in client.phones],
            "manager_email": manager.email if manager is not None else None}


def _send_to_1c(client: Client, event) -> None:
    """Put the client's approved card in the 1C outbox, in the transaction that approved it.

    The key carries the id of the audit event of the approval (or of the direct change or creation):
    one sequence for all three, so two different facts about a client never share a key."""
    db.session.flush()
    outbox.enqueue("1c.client", f"1c:client:{client.id}:change:{event.id}", onec_payload(client))


def _snapshot(client: Client) -> dict:
    return {**_requisites_snapshot(client), **terms_snapshot(client), "manager_id": client.manager_id,
            "status": client.status.value}


def _clean_requisites(data: ClientChange, errors: dict) -> dict:
    values: dict = {}
    try:
        kind = ClientKind(data.kind)
    except ValueError:
        errors["kind"] = _l("Choose the type of client.")
        kind = None
    values["kind"] = kind.value if kind else None
    name = _text(data.name)
    if not name:
        errors["name"] = _l("Enter the name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _l("The name is too long.")
    values["name"] = name
    tax_id = "".join(data.tax_id.split()) if isinstance(data.tax_id, str) else ""
    if tax_id or kind in (ClientKind.LEGAL_ENTITY, ClientKind.SOLE_PROPRIETOR):
        if not tax_id:
            errors["tax_id"] = _l("Enter the tax ID: a company or a sole proprietor has one.")
        elif kind is not None:
            try:
                tax_id = validate_tax_id(tax_id, _country(), kind)
            except TaxIdError as exc:
                errors["tax_id"] = str(exc)
    values["tax_id"] = tax_id
    return values


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_terms(data: ClientChange, errors: dict) -> dict:
    values: dict = {}
    if data.discount_bp is None:
        errors.setdefault("discount", _l("Enter the discount."))
    elif not _is_int(data.discount_bp) or not 0 <= data.discount_bp <= MAX_DISCOUNT_BP:
        errors["discount"] = _l("The discount must be from 0 to 100 percent.")
    values["discount_bp"] = data.discount_bp
    if data.credit_limit is None:
        errors.setdefault("credit_limit", _l("Enter the credit limit."))
    elif not _is_int(data.credit_limit) or not 0 <= data.credit_limit < MAX_CREDIT_LIMIT:
        errors["credit_limit"] = _l("The credit limit must be zero or more.")
    values["credit_limit"] = data.credit_limit
    if data.deferral_days is None:
        errors.setdefault("deferral_days", _l("Enter the deferral in days."))
    elif not _is_int(data.deferral_days) or not 0 <= data.deferral_days <= MAX_DEFERRAL_DAYS:
        errors["deferral_days"] = _l("The deferral must be from 0 to %(n)d days.", n=MAX_DEFERRAL_DAYS)
    values["deferral_days"] = data.deferral_days
    return values


def check_change(data: ClientChange) -> dict:
    """The cleaned requisites and terms, or ValidationError naming every wrong field."""
    errors: dict = {}
    values = {**_clean_requisites(data, errors), **_clean_terms(data, errors)}
    if errors:
        raise ValidationError(errors)
    return values


def _apply_values(client: Client, values: dict) -> None:
    for key, value in values.items():
        if key == "kind":
            client.kind = ClientKind(value)
        elif key == "tax_id":
            client.tax_id = value or None
        else:
            setattr(client, key, value)


def _no_pending(client: Client, actor: User) -> None:
    if pending_request_of(client.id) is not None:
        if _decides_directly(actor):
            raise DomainError(_l("A change of this client is waiting for approval: approve or reject it first."))
        raise DomainError(_l("A change of this client is already waiting for approval. "
                             "You can propose another one after the supervisor decides."))


def _phone_taken_message():
    return _l("Another client already has this phone number.")


def _phone_owner(number: str) -> int | None:
    return db.session.scalar(db.select(ClientPhone.client_id).where(ClientPhone.number == number))


# --- creating ----------------------------------------------------------------------------------

def check_new_client(actor: User, data: NewClient) -> dict:
    """Every wrong field of a new client at once (ValidationError), else the cleaned values."""
    errors: dict = {}
    values = {**_clean_requisites(data, errors), **_clean_terms(data, errors)}
    try:
        values["phone"] = normalize_phone(data.phone if isinstance(data.phone, str) else "", _country())
    except PhoneError as exc:
        errors["phone"] = str(exc)
    else:
        if _phone_owner(values["phone"]) is not None:
            errors["phone"] = _phone_taken_message()
    values["email"] = ""
    if _text(data.email):
        try:
            values["email"] = validate_email(_text(data.email), check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _l("Enter a valid e-mail address.")
    for key in ("legal_address", "delivery_address"):
        values[key] = _text(getattr(data, key))
        if len(values[key]) > MAX_ADDRESS:
            errors[key] = _l("The address is too long.")
    values["manager_id"] = None
    if actor.role is Role.MANAGER:
        values["manager_id"] = actor.id
    elif data.manager_id is not None:
        manager = db.session.get(User, data.manager_id)
        if not _may_be_assigned(actor, manager):
            errors["manager_id"] = _l("Choose an active manager of your team.")
        else:
            values["manager_id"] = manager.id
    if errors:
        raise ValidationError(errors)
    return values


def create_client(actor: User, data: NewClient) -> Client:
    """A new client. By a manager: status PENDING, zero terms, a NEW_CLIENT request with the terms
    asked for, and the supervisor is told. By a supervisor or an admin: ACTIVE with the terms, sent
    to 1C, and the responsible manager (if one is chosen) is told."""
    _check_staff(actor)

    def run() -> Client:
        values = check_new_client(actor, data)
        direct = _decides_directly(actor)
        terms = {key: values[key] for key in TERM_FIELDS}
        client = Client(kind=ClientKind(values["kind"]), name=values["name"], tax_id=values["tax_id"] or None,
                        discount_bp=terms["discount_bp"] if direct else 0,
                        credit_limit=terms["credit_limit"] if direct else 0,
                        deferral_days=terms["deferral_days"] if direct else 0,
                        manager_id=values["manager_id"], created_by_id=actor.id,
                        status=ClientStatus.ACTIVE if direct else ClientStatus.PENDING)
        client.phones.append(ClientPhone(number=values["phone"]))
        if values["email"]:
            client.emails.append(ClientEmail(address=values["email"]))
        if values["legal_address"]:
            client.addresses.append(ClientAddress(kind=AddressKind.LEGAL, text=values["legal_address"]))
        if values["delivery_address"]:
            client.addresses.append(ClientAddress(kind=AddressKind.DELIVERY, text=values["delivery_address"]))
        db.session.add(client)
        try:
            db.session.flush()
        except IntegrityError:  # the phone was taken a moment ago by another transaction
            raise ValidationError({"phone": _phone_taken_message()}) from None
        created = audit.record(actor, "client_created", client, after={**_snapshot(client), **contacts_of(client)})
        if direct:
            _send_to_1c(client, created)
            if client.manager_id is not None and client.manager_id != actor.id:
                audit.notify(client.manager, "client_assigned", link=client_link(client.id), by=actor.name,
                             client=client.name)
        else:
            request = ChangeRequest(client_id=client.id, kind=ChangeKind.NEW_CLIENT, author_id=actor.id,
                                    before=terms_snapshot(client), after=terms)
            db.session.add(request)
            db.session.flush()
            audit.record(actor, "client_change_proposed", client, before=request.before, after=request.after)
            _tell_supervisor(actor, client)
        events.client_created.send(client, actor=actor)
        return client

    return _one_transaction(run)


def _tell_supervisor(author: User, client: Client) -> None:
    supervisor = author.supervisor
    if supervisor is not None:
        audit.notify(supervisor, "change_request_submitted", link=client_link(client.id), by=author.name,
                     client=client.name)


# --- changing terms and requisites ---------------------------------------------------------------

def _changes(client: Client, values: dict) -> tuple[dict, dict]:
    current = {**_requisites_snapshot(client), **terms_snapshot(client)}
    changed = [key for key in APPROVED_FIELDS if values[key] != current[key]]
    return {key: current[key] for key in changed}, {key: values[key] for key in changed}


def propose_change(manager: User, client_id: int, data: ClientChange) -> ChangeRequest:
    """A manager's change of requisites or terms: a request for the supervisor; the card keeps its
    values. A rejected new client proposed again becomes a new-client request (PENDING again)."""
    _check_staff(manager)
    if manager.role is not Role.MANAGER:
        raise DomainError(_l("Only a manager proposes changes; a supervisor changes a client directly."),
                          code="forbidden")

    def run() -> ChangeRequest:
        client = _locked_client(manager, client_id)
        _no_pending(client, manager)
        values = check_change(data)
        before, after = _changes(client, values)
        resubmit = client.status is ClientStatus.REJECTED
        if resubmit:
            # Asking again for a rejected client: the terms asked for are all shown, as for a new one.
            for key in TERM_FIELDS:
                before.setdefault(key, terms_snapshot(client)[key])
                after.setdefault(key, values[key])
        if not after:
            raise NothingChanged(_l("Nothing has changed."))
        request = ChangeRequest(client_id=client.id, kind=ChangeKind.NEW_CLIENT if resubmit else ChangeKind.CHANGE,
                                author_id=manager.id, before=before, after=after)
        db.session.add(request)
        if resubmit:
            client.status = ClientStatus.PENDING
        db.session.flush()
        audit.record(manager, "client_change_proposed", client, before=before, after=after)
        _tell_supervisor(manager, client)
        return request

    return _one_transaction(run)


def apply_change(actor: User, client_id: int, data: ClientChange) -> Client:
    """A supervisor's (or an admin's) change, applied at once and sent to 1C; the client becomes ACTIVE."""
    _check_staff(actor)
    if not _decides_directly(actor):
        raise DomainError(_l("Only a supervisor changes a client directly."), code="forbidden")

    def run() -> Client:
        client = _locked_client(actor, client_id)
        _no_pending(client, actor)
        values = check_change(data)
        before, after = _changes(client, values)
        if client.status is not ClientStatus.ACTIVE:
            before["status"], after["status"] = client.status.value, ClientStatus.ACTIVE.value
        if not after:
            raise NothingChanged(_l("Nothing has changed."))
        _apply_values(client, {k: v for k, v in after.items() if k != "status"})
        client.status = ClientStatus.ACTIVE
        updated = audit.record(actor, "client_updated", client, before=before, after=after)
        _send_to_1c(client, updated)
        return client

    return _one_transaction(run)


def change_client(actor: User, client_id: int, data: ClientChange) -> ChangeRequest | None:
    """The door's one call: a proposal for a manager (returns the request), applied at once for a
    supervisor or an admin (returns None)."""
    if actor is not None and _decides_directly(actor):
        apply_change(actor, client_id, data)
        return None
    return propose_change(actor, client_id, data)


# --- deciding ------------------------------------------------------------------------------------

def _request_to_decide(supervisor: User, request_id: int) -> ChangeRequest:
    request = db.session.scalar(db.select(ChangeRequest).where(ChangeRequest.id == request_id).with_for_update())
    if request is None:
        raise NotFound(_l("No such change request."))
    if (supervisor is None or not supervisor.active or supervisor.role is not Role.SUPERVISOR
            or request.author.supervisor_id != supervisor.id):
        raise DomainError(_l("Only the supervisor of the change's author can decide on it."), code="forbidden")
    if request.status is not ChangeStatus.PENDING:
        raise DomainError(_l("This change has already been decided."))
    return request


def _decide(supervisor: User, request: ChangeRequest, status: ChangeStatus, comment: str) -> None:
    request.status = status
    request.decided_by_id = supervisor.id
    request.decided_at = utcnow()
    request.comment = comment


def _clean_comment(comment, required: bool) -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if required and not text:
        raise ValidationError({"comment": _l("Say why the change is rejected: the author reads it.")})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"comment": _l("The comment is too long.")})
    return text


def approve_change(supervisor: User, request_id: int, comment: str = "") -> ChangeRequest:
    """Apply the requested values to the card (a new client becomes ACTIVE), audit, send the card to 1C,
    tell the author."""

    def run() -> ChangeRequest:
        text = _clean_comment(comment, required=False)
        request = _request_to_decide(supervisor, request_id)
        client = db.session.scalar(db.select(Client).where(Client.id == request.client_id).with_for_update()
                                   .execution_options(populate_existing=True))
        status = client.status
        _apply_values(client, request.after)
        if request.kind is ChangeKind.NEW_CLIENT:
            client.status = ClientStatus.ACTIVE
        _decide(supervisor, request, ChangeStatus.APPROVED, text)
        approved = audit.record(supervisor, "client_change_approved", client,
                                **_with_status(request.before, request.after, status, client.status))
        _send_to_1c(client, approved)
        audit.notify(request.author, "change_request_approved", link=client_link(client.id), by=supervisor.name,
                     client=client.name, comment=text)
        return request

    return _one_transaction(run)


def _with_status(before: dict, after: dict, was: ClientStatus, now: ClientStatus) -> dict:
    """The request's values for the audit event, with the card's status when the decision changed it."""
    if was is now:
        return {"before": before, "after": after}
    return {"before": {**before, "status": was.value}, "after": {**after, "status": now.value}}


def reject_change(supervisor: User, request_id: int, comment: str) -> ChangeRequest:
    """Keep the card as it is (a new client becomes REJECTED, its card kept), audit, tell the author why."""

    def run() -> ChangeRequest:
        request = _request_to_decide(supervisor, request_id)  # someone else's is refused before the comment
        text = _clean_comment(comment, required=True)
        client = request.client
        status = client.status
        if request.kind is ChangeKind.NEW_CLIENT:
            client.status = ClientStatus.REJECTED
        _decide(supervisor, request, ChangeStatus.REJECTED, text)
        audit.record(supervisor, "client_change_rejected", client,
                     **_with_status(request.before, request.after, status, client.status))
        audit.notify(request.author, "change_request_rejected", link=client_link(client.id), by=supervisor.name,
                     client=client.name, comment=text)
        return request

    return _one_transaction(run)


# --- contacts ------------------------------------------------------------------------------------

def _clean_contacts(client: Client, data: Contacts) -> tuple[list[str], list[str], list[tuple[AddressKind, str]]]:
    errors: dict = {}
    phones: list[str] = []
    for i, raw in enumerate(data.phones or []):
        if not _text(raw):
            continue
        try:
            number = normalize_phone(raw, _country())
        except PhoneError as exc:
            errors[f"phones-{i}"] = str(exc)
            continue
        if number in phones:
            errors[f"phones-{i}"] = _l("This phone number is entered twice.")
            continue
        owner = _phone_owner(number)
        if owner is not None and owner != client.id:
            errors[f"phones-{i}"] = _phone_taken_message()
            continue
        phones.append(number)
    emails: list[str] = []
    for i, raw in enumerate(data.emails or []):
        if not _text(raw):
            continue
        try:
            address = validate_email(_text(raw), check_deliverability=False).normalized
        except EmailNotValidError:
            errors[f"emails-{i}"] = _l("Enter a valid e-mail address.")
            continue
        if address.lower() in {e.lower() for e in emails}:
            errors[f"emails-{i}"] = _l("This e-mail is entered twice.")
            continue
        emails.append(address)
    addresses: list[tuple[AddressKind, str]] = []
    for i, entry in enumerate(data.addresses or []):
        text = _text(entry.text)
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
    _check_staff(actor)

    def run() -> Client:
        client = _locked_client(actor, client_id)
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
            raise ValidationError({"phones-0": _phone_taken_message()}) from None
        db.session.expire(client, ["phones"])
        after = contacts_of(client)
        if _same_contacts(before, after):
            return client
        audit.record(actor, "client_contacts_updated", client, before=before, after=after)
        return client

    return _one_transaction(run)


def _same_contacts(before: dict, after: dict) -> bool:
    return (sorted(before["phones"]) == sorted(after["phones"]) and before["emails"] == after["emails"]
            and before["addresses"] == after["addresses"])


# --- the responsible manager ---------------------------------------------------------------------

def _may_be_assigned(actor: User, manager: User | None) -> bool:
    if manager is None or manager.role is not Role.MANAGER or not manager.active:
        return False
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.SUPERVISOR and manager.id in {m.id for m in team.team_members(actor)}


def assign_manager(supervisor: User, client_id: int, manager_id: int) -> Client:
    """Make an active manager of the supervisor's team responsible for a client the supervisor sees;
    the manager is told, and the history keeps the names of the manager before and after. Assigning the
    manager already responsible changes nothing."""
    if supervisor is None or not supervisor.active or supervisor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise DomainError(_l("Only a supervisor assigns a responsible manager."), code="forbidden")

    def run() -> Client:
        client = _locked_client(supervisor, client_id)
        # An id no row can have (beyond the 32-bit ids) is nobody, not a database error.
        manager = db.session.get(User, manager_id) if parse_id(manager_id) is not None else None
        return assign_manager_in_transaction(supervisor, client, manager)

    return _one_transaction(run)


def assign_manager_in_transaction(supervisor: User, client: Client, manager: User | None) -> Client:
    """The core of `assign_manager` in the caller's transaction (no commit): also used by the
    automation rules, which assign on behalf of the rule's supervisor."""
    if not _may_be_assigned(supervisor, manager):
        raise ValidationError({"manager_id": _l("Choose an active manager of your team.")})
    if client.manager_id == manager.id:
        return client
    previous = db.session.get(User, client.manager_id) if client.manager_id is not None else None
    # The history reads "who reassigned whom": the names as they were, beside the ids.
    before = {"manager_id": client.manager_id, "manager": previous.name if previous is not None else None}
    client.manager_id = manager.id
    audit.record(supervisor, "client_assigned", client, before=before,
                 after={"manager_id": manager.id, "manager": manager.name})
    audit.notify(manager, "client_assigned", link=client_link(client.id), by=supervisor.name, client=client.name)
    return client

