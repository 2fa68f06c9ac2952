"""The bonus ledger: double-entry, append-only, materialised balances, idempotent operations.

This package is the only writer of ledger entries, balances and lots. Its operations run
inside the caller's transaction; the services commit.
"""
from portal.ledger import settings
from portal.ledger.bulk import ImportItem, ImportResult, import_bonus_many
from portal.ledger.core import client_account, existing_operation, find_client_account
from portal.ledger.errors import InsufficientBonus
from portal.ledger.operations import (
                                      accrue,
                                      adjust,
                                      clients_with_something_due,
                                      import_bonus,
                                      redeem,
                                      restore_redemption,
                                      reverse_accrual,
                                      settle,
)
from portal.ledger.reading import BalanceAfter, Bonus, Leg, accrual_release_at, balance_after_order, bonus_of, legs_of
from portal.ledger.verify import Verification, verify

__all__ = [
    "BalanceAfter", "balance_after_order", "Bonus", "InsufficientBonus", "Leg", "Verification", "accrual_release_at", "accrue", "adjust", "bonus_of", "client_account",
    "find_client_account", "import_bonus", "import_bonus_many", "ImportItem", "ImportResult", "legs_of", "redeem", "restore_redemption", "reverse_accrual", "settings",
    "settle", "verify", "existing_operation", "clients_with_something_due",
]
