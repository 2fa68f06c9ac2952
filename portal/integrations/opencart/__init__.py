"""OpenCart: customers and reward points brought from the shop's database (or its CSV exports) into
the portal's clients and bonus ledger. See `importer` for the rules."""
