"""The daily sums behind the reports (portal/daily_sums.py), checked and made again from the rows:
`flask statistics verify|rebuild`."""
from __future__ import annotations

from portal import daily_sums
from portal.extensions import db
from portal.services.transactions import one_transaction, read_only


def differences() -> dict[str, int]:
    """Per sum table, how many rows differ from what the orders, returns and ledger give."""
    return read_only(lambda: daily_sums.differences(db.session.connection()))


def rebuild() -> dict[str, int]:
    """Make every sum again from the rows (one transaction), e.g. after PORTAL_TIMEZONE changed."""
    return one_transaction(lambda: daily_sums.rebuild(db.session.connection()))
