"""A client's dates the automation rules remind of (SPEC §8): a person's birthday and the date the
client's contract is renewed.

They are not terms or requisites, so they need no approval: whoever may see the client (its manager,
the team's supervisor, an admin) sets and clears them directly, as with contacts. Every change is one
transaction and leaves an audit event `client_dates_updated` with the changed fields before and after
as ISO dates (None for no date).

A birthday is a person's: a private person's or a sole proprietor's, never a company's (a legal entity
may only have the renewal date); it is not in the future (by the company's calendar) and not before
1900. A renewal date may be any date, past ones included (a contract renewed late).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.clock import local_date
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import Client, ClientKind, Role, User
from portal.services import audit
from portal.services.clients.directory import visible_client
from portal.services.transactions import one_transaction

__all__ = ["DATE_FIELDS", "ClientDates", "EARLIEST_BIRTHDAY", "check_dates", "dates_of", "days_until",
           "next_birthday", "update_dates"]

DATE_FIELDS = ("birthday", "contract_renewal_on")
EARLIEST_BIRTHDAY = date(1900, 1, 1)
# Within this many days a date is shown as coming up on the card.
SOON_DAYS = 30


@dataclass
class ClientDates:
    """The dates as they should be; None clears one."""

    birthday: date | None = None
    contract_renewal_on: date | None = None


def _is_date(value) -> bool:
    return value is None or (isinstance(value, date) and not hasattr(value, "hour"))


def may_have_birthday(kind: ClientKind) -> bool:
    return kind is not ClientKind.LEGAL_ENTITY


def check_dates(kind: ClientKind, data: ClientDates, today: date | None = None) -> dict:
    """The dates to store, or ValidationError naming every wrong field (keys are the field names)."""
    today = today or local_date()
    errors: dict = {}
    birthday, renewal = data.birthday, data.contract_renewal_on
    if not _is_date(birthday):
        errors["birthday"] = _l("Enter a date, e.g. 1985-03-12.")
    elif birthday is not None:
        if not may_have_birthday(kind):
            errors["birthday"] = _l("A company has no birthday: leave it empty.")
        elif birthday > today:
            errors["birthday"] = _l("A birthday cannot be in the future.")
        elif birthday < EARLIEST_BIRTHDAY:
            errors["birthday"] = _l("A birthday cannot be before 1900.")
    if not _is_date(renewal):
        errors["contract_renewal_on"] = _l("Enter a date, e.g. 1985-03-12.")
    if errors:
        raise ValidationError(errors)
    return {"birthday": birthday, "contract_renewal_on": renewal}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def update_dates(actor: User, client_id: int, data: ClientDates) -> Client:
    """Set (or clear) the client's birthday and contract renewal date; audited when anything changed.
    Another team's client is refused (client_directory.NotVisible, a Forbidden)."""
    if actor is None or not actor.active or actor.role not in (Role.MANAGER, Role.SUPERVISOR, Role.ADMIN):
        raise DomainError(_l("Only managers and supervisors work with clients."), code="forbidden")

    def run() -> Client:
        # The row is locked (PostgreSQL) so two changes of one client's dates are recorded one after the other.
        client = db.session.scalar(db.select(Client).where(Client.id == client_id).with_for_update()
                                   .execution_options(populate_existing=True))
        if client is None:
            raise NotFound(_l("No such client."))
        client = visible_client(actor, client.id)
        values = check_dates(client.kind, data)
        changed = [key for key in DATE_FIELDS if getattr(client, key) != values[key]]
        if not changed:
            return client
        before = {key: _iso(getattr(client, key)) for key in changed}
        for key in changed:
            setattr(client, key, values[key])
        audit.record(actor, "client_dates_updated", client, before=before,
                     after={key: _iso(values[key]) for key in changed})
        return client

    return one_transaction(run)


# --- reading, for the card ---------------------------------------------------------------------------

def next_birthday(birthday: date, today: date) -> date:
    """The next time the birthday comes, today included; 29 February is kept on 28 February in other years."""
    for year in (today.year, today.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day >= today:
            return day
    raise AssertionError("unreachable")  # pragma: no cover - next year's date is always after today


def days_until(day: date, today: date) -> int:
    return (day - today).days


@dataclass
class DatesView:
    """What the card shows: the dates, the next birthday, and how soon each comes (None: not soon)."""

    birthday: date | None
    contract_renewal_on: date | None
    may_have_birthday: bool
    turns: int | None = None          # the age on the next birthday
    birthday_in: int | None = None    # days to the next birthday, when within SOON_DAYS
    renewal_in: int | None = None     # days to the renewal, when it is ahead and within SOON_DAYS


def dates_of(client: Client, today: date | None = None) -> DatesView:
    today = today or local_date()
    view = DatesView(client.birthday, client.contract_renewal_on, may_have_birthday(client.kind))
    if client.birthday is not None:
        coming = next_birthday(client.birthday, today)
        view.turns = coming.year - client.birthday.year
        days = days_until(coming, today)
        view.birthday_in = days if days <= SOON_DAYS else None
    if client.contract_renewal_on is not None:
        days = days_until(client.contract_renewal_on, today)
        view.renewal_in = days if 0 <= days <= SOON_DAYS else None
    return view
