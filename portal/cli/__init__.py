"""flask commands, one module per group (`flask db ...` comes from Flask-Migrate)."""
from __future__ import annotations

from flask import Flask

from portal.cli import api_keys, automation, bonus, catalog, clients, demo, ledger, opencart, outbox, statistics, users


def register_cli(app: Flask) -> None:
    for command in (users.users_cli, demo.demo_command, api_keys.api_keys_cli, bonus.bonus_cli, ledger.ledger_cli,
                    clients.clients_cli, catalog.catalog_cli, statistics.statistics_cli, outbox.worker_command,
                    outbox.outbox_cli, automation.automation_cli, opencart.import_cli):
        app.cli.add_command(command)
