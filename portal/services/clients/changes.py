"""Creating and changing clients (SPEC §2, §4).

A manager's new client is created at once with status PENDING and zero terms (prepaid orders
only) and a NEW_CLIENT change request holding the terms asked for; a manager's change of the
discount, credit limit, deferral or requisites (kind, name, tax ID) is a CHANGE request, and the
card keeps its values until the manager's supervisor approves it. A supervisor (or an admin)
creates and changes clients directly. One change may wait per client. Contacts and addresses are
edited directly by whoever may see the client (contacts.py); a supervisor makes a manager
responsible for a client (assignment.py). The helpers all three share are here.

Whenever a client's requisites and terms become approved — a supervisor's new client or direct change,
or an approved request — the card goes to the 1C outbox (topic `1c.client`) in the same transaction.

`before` and `after` of a request and of the audit events hold plain values: the discount in
basis points, money in minor units, text as text, enumerations by their values.

Every function here is one transaction: it commits at the end, and rolls back on any error.
"""
from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import events
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import (
    AddressKind,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Client,
    ClientAddress,
    ClientEmail,
    ClientKind,
    ClientPhone,
    ClientStatus,
    Role,
    User,
    utcnow,
)
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.clients.directory import pending_request_of, visible_client
from portal.services.clients.tax_ids import TaxIdError, validate_tax_id
from portal.services.messaging import outbox
from portal.services.staff import team
from portal.services.transactions import one_transaction
from portal.text import squash

__all__ = [
    "ClientChange", "NewClient", "NothingChanged", "TERM_FIELDS", "REQUISITE_FIELDS",
    "approve_change", "change_client", "change_term", "apply_change", "client_link", "contacts_of", "onec_payload",
    "create_client", "pending_request_of", "propose_change", "reject_change",
]


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


def country() -> str:
    return current_app.config["PORTAL_COUNTRY"]


def _decides_directly(actor: User) -> bool:
    return actor.role in (Role.SUPERVISOR, Role.ADMIN)


def check_staff(actor: User) -> None:
    if actor is None or not actor.active or actor.role not in (Role.MANAGER, Role.SUPERVISOR, Role.ADMIN):
        raise DomainError(_l("Only managers and supervisors work with clients."), code="forbidden")


def locked_client(actor: User, client_id: int) -> Client:
    """The client, visible to `actor`, with its row locked for this transaction (PostgreSQL), so two
    proposals or decisions for one client happen one after the other."""
    client = db.session.scalar(db.select(Client).where(Client.id == client_id).with_for_update()
                               .execution_options(populate_existing=True))
    if client is None:
        raise NotFound(_l("No such client."))
    return visible_client(actor, client.id)


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
    name = squash(data.name)
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
                tax_id = validate_tax_id(tax_id, country(), kind)
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


def phone_taken_message():
    return _l("Another client already has this phone number.")


def phone_owner(number: str) -> int | None:
    return db.session.scalar(db.select(ClientPhone.client_id).where(ClientPhone.number == number))


def may_be_assigned(actor: User, manager: User | None) -> bool:
    """Whom `actor` may make responsible for a client: an active manager of the supervisor's team
    (any active manager, for an admin)."""
    if manager is None or manager.role is not Role.MANAGER or not manager.active:
        return False
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.SUPERVISOR and manager.id in {m.id for m in team.team_members(actor)}


# --- creating ----------------------------------------------------------------------------------

def check_new_client(actor: User, data: NewClient) -> dict:
    """Every wrong field of a new client at once (ValidationError), else the cleaned values."""
    errors: dict = {}
    values = {**_clean_requisites(data, errors), **_clean_terms(data, errors)}
    try:
        values["phone"] = normalize_phone(data.phone if isinstance(data.phone, str) else "", country())
    except PhoneError as exc:
        errors["phone"] = str(exc)
    else:
        if phone_owner(values["phone"]) is not None:
            errors["phone"] = phone_taken_message()
    values["email"] = ""
    if squash(data.email):
        try:
            values["email"] = validate_email(squash(data.email), check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _l("Enter a valid e-mail address.")
    for key in ("legal_address", "delivery_address"):
        values[key] = squash(getattr(data, key))
        if len(values[key]) > MAX_ADDRESS:
            errors[key] = _l("The address is too long.")
    values["manager_id"] = None
    if actor.role is Role.MANAGER:
        values["manager_id"] = actor.id
    elif data.manager_id is not None:
        manager = db.session.get(User, data.manager_id)
        if not may_be_assigned(actor, manager):
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
    check_staff(actor)

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
            raise ValidationError({"phone": phone_taken_message()}) from None
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

    return one_transaction(run)


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
    check_staff(manager)
    if manager.role is not Role.MANAGER:
        raise DomainError(_l("Only a manager proposes changes; a supervisor changes a client directly."),
                          code="forbidden")

    def run() -> ChangeRequest:
        client = locked_client(manager, client_id)
        _no_pending(client, manager)
        return _propose(manager, client, check_change(data))

    return one_transaction(run)


def _propose(manager: User, client: Client, values: dict) -> ChangeRequest:
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


def apply_change(actor: User, client_id: int, data: ClientChange) -> Client:
    """A supervisor's (or an admin's) change, applied at once and sent to 1C; the client becomes ACTIVE."""
    check_staff(actor)
    if not _decides_directly(actor):
        raise DomainError(_l("Only a supervisor changes a client directly."), code="forbidden")

    def run() -> Client:
        client = locked_client(actor, client_id)
        _no_pending(client, actor)
        return _apply(actor, client, check_change(data))

    return one_transaction(run)


def _apply(actor: User, client: Client, values: dict) -> Client:
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


def change_client(actor: User, client_id: int, data: ClientChange) -> ChangeRequest | None:
    """The door's one call: a proposal for a manager (returns the request), applied at once for a
    supervisor or an admin (returns None)."""
    if actor is not None and _decides_directly(actor):
        apply_change(actor, client_id, data)
        return None
    return propose_change(actor, client_id, data)


def change_term(actor: User, client_id: int, term: str, value: int | None) -> ChangeRequest | None:
    """One term — the discount (basis points), the credit limit (minor units) or the deferral (days) —
    changed on the card itself: a proposal for a manager (returns the request), applied at once for a
    supervisor or an admin (returns None). Only that term is checked (ValidationError under its own
    name: `discount`, `credit_limit`, `deferral_days`); the card's other values are kept as they are.
    The same value as the card's is NothingChanged, and nothing is written."""
    if term not in TERM_FIELDS:
        raise NotFound(_l("No such term."))
    check_staff(actor)

    def run() -> ChangeRequest | None:
        client = locked_client(actor, client_id)
        _no_pending(client, actor)
        data = ClientChange(kind=client.kind.value, name=client.name, tax_id=client.tax_id or "",
                            **terms_snapshot(client))
        setattr(data, term, value)
        errors: dict = {}
        values = {**_requisites_snapshot(client), **_clean_terms(data, errors)}
        if errors:
            raise ValidationError(errors)
        if _decides_directly(actor):
            _apply(actor, client, values)
            return None
        return _propose(actor, client, values)

    return one_transaction(run)


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

    return one_transaction(run)


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

    return one_transaction(run)


