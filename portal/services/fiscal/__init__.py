"""Fiscal receipts (SPEC §11): the fiscal documents a shop's register must record (`documents`, written
in the transaction of the sale, return, shift or cash movement) and their registration through the
outbox (`registration`, the push handler of topic "fiscal")."""
