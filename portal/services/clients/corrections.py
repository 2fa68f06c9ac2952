"""A supervisor's manual correction of the bonus of a client of the team, from the bonus programme
page (SPEC §5): under an idempotency key made of the form's one-time token, so a double submit
adjusts once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal import ledger
from portal.models import Client, User, utcnow
from portal.services.clients import bonus, directory


@dataclass(frozen=True)
class BonusAdjustment:
    client: Client
    amount: int           # signed, minor units
    before: ledger.Bonus
    after: ledger.Bonus
    repeated: bool        # the key was used already: nothing changed this time


def adjustment_key(supervisor: User, token: str) -> str:
    return f"supervisor:{supervisor.id}:adjust:{token}"


def adjust_client_bonus(supervisor: User, client_id: int, amount: int, reason: str, token: str,
                        now: datetime | None = None) -> BonusAdjustment:
    """Adjust the bonus of a client the supervisor may see by `amount`; `bonus.adjust` decides the
    rest (only a supervisor, a reason, a non-zero amount, never below zero) and audits it.

    NotFound / NotVisible (a Forbidden) for a client that is not there or not the team's."""
    client = directory.visible_client(supervisor, client_id)
    moment = now or utcnow()
    before = bonus.current(client.id, moment)
    operation = bonus.adjust(supervisor, client.id, amount, reason, adjustment_key(supervisor, token), now=moment)
    # A repeated key returns the first correction, made at another moment (or for another client).
    repeated = operation.created_at != moment or operation.client_id != client.id
    after = ledger.bonus_of(client.id, moment)
    return BonusAdjustment(client, operation.amount if not repeated else 0, before, after, repeated)
