"""A client's bonus as the business handles it (SPEC §5): the balance as of now, a manual
correction, the programme's settings and the periodic sweep.

The ledger moves the bonus and keeps its invariants; this module decides who may do what and
records who did it (the audit trail). Each function is one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal import ledger
from portal.errors import Forbidden, ValidationError
from portal.extensions import db
from portal.ledger.settings import Programme
from portal.models import LedgerOperation, Role, User, utcnow
from portal.services import audit
from portal.services.transactions import one_transaction
from portal.text import squash

MAX_REASON = 500


# ------------------------------------------------------------------------------------------ the balance

def settle(client_id: int, now: datetime | None = None) -> None:
    """Release what is due and expire what has lapsed, as its own short transaction (before a
    balance is shown, as every reader of a balance does). A client without an account gets none."""
    if ledger.find_client_account(client_id) is None:
        return
    one_transaction(lambda: ledger.settle(client_id, now))


def current(client_id: int, now: datetime | None = None) -> ledger.Bonus:
    """The client's bonus as of now: what is due is settled and committed first, then read."""
    settle(client_id, now)
    return ledger.bonus_of(client_id, now)


# ------------------------------------------------------------------------------------------ corrections

def _may_adjust(actor: User | None) -> None:
    """A supervisor, or the command line (`flask bonus adjust`, within audit.system_source("cli"))."""
    if actor is None:
        if audit.current_source() != "cli":
            raise Forbidden(_l("Only a supervisor can adjust a client's bonus."))
    elif actor.role is not Role.SUPERVISOR or not actor.active:
        raise Forbidden(_l("Only a supervisor can adjust a client's bonus."))


def adjust(actor: User | None, client_id: int, amount: int, reason: str, key: str, *,
           now: datetime | None = None) -> LedgerOperation:
    """A manual correction of a client's bonus: positive adds available bonus, negative takes it,
    never below zero (InsufficientBonus). Only a supervisor (or the command line), with a reason and
    a non-zero amount. Repeating `key` returns the first correction and changes nothing.

    The audit event is the client's (the card shows it): "bonus_adjusted", or "cli:bonus_adjusted"."""
    _may_adjust(actor)
    reason = squash(reason)
    errors = {}
    if not reason:
        errors["reason"] = _l("Say why the bonus is adjusted.")
    if amount == 0:
        errors["amount"] = _l("Enter a non-zero amount.")
    if errors:
        raise ValidationError(errors)
    moment = now or utcnow()

    def run() -> LedgerOperation:
        ledger.settle(client_id, moment)
        account = ledger.client_account(client_id, lock=True)
        before = {"available": account.available, "pending": account.pending}
        operation = ledger.adjust(client_id, amount, key, actor_id=actor.id if actor else None,
                                  reason=reason[:MAX_REASON], now=moment)
        db.session.refresh(account)
        audit.record_id(actor, "bonus_adjusted", "clients", client_id, before=before,
                        after={"available": account.available, "pending": account.pending,
                               "amount": amount, "reason": reason, "client_id": client_id,
                               "account_id": account.id})
        return operation

    return one_transaction(run, replay=lambda: ledger.existing_operation(key))


# ------------------------------------------------------------------------------------------ the programme

def change_programme(actor: User | None, **values) -> Programme:
    """Change some of the programme's settings (None leaves one as it is); new values apply to new
    operations only. ValidationError names every value out of range. Audited as
    "bonus_settings_changed" (without an actor: the command line's, "cli:bonus_settings_changed")."""
    old = ledger.settings.current()
    new = Programme(**{**old.__dict__, **{k: v for k, v in values.items() if v is not None}})
    errors = {}
    if not 0 <= new.accrual_rate_bp <= 10000:
        errors["accrual_rate"] = _l("The accrual rate must be between 0 and 100 %.")
    if not 0 <= new.max_redeem_share_bp <= 10000:
        errors["max_redeem_share"] = _l("The redeemable share must be between 0 and 100 %.")
    if not 0 <= new.hold_days <= 3650:
        errors["hold_days"] = _l("Hold days must be between 0 and 3650.")
    if not 1 <= new.expiry_days <= 36500:
        errors["expiry_days"] = _l("Expiry days must be between 1 and 36500.")
    if errors:
        raise ValidationError(errors)
    if new == old:
        return old

    def run() -> Programme:
        row = ledger.settings.record(new, actor.id if actor else None)
        changed = [key for key, value in new.__dict__.items() if old.__dict__[key] != value]
        audit.record(actor, "bonus_settings_changed", row, before={k: old.__dict__[k] for k in changed},
                     after={k: new.__dict__[k] for k in changed},
                     source=None if actor else (audit.current_source() or "cli"))
        return new

    return one_transaction(run)


# ------------------------------------------------------------------------------------------ the sweep

@dataclass
class SweepResult:
    accounts: int
    released: int
    expired: int


def sweep(now: datetime | None = None, *, release: bool = True, expire: bool = True) -> SweepResult:
    """The periodic sweep (`flask bonus release` / `flask bonus expire`): every account with
    something due, one short transaction per account so tills are never held up."""
    now = now or utcnow()
    client_ids = ledger.clients_with_something_due(now, release=release, expire=expire)
    released = expired = 0
    for client_id in client_ids:
        r, e = one_transaction(lambda client_id=client_id: ledger.settle(client_id, now, release=release,
                                                                          expire=expire))
        released += r
        expired += e
    return SweepResult(len(client_ids), released, expired)
