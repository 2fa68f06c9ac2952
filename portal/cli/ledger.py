"""`flask ledger verify`: recompute every balance and lot from the entries."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal import ledger

ledger_cli = AppGroup("ledger", help="The bonus ledger.")


@ledger_cli.command("verify")
def ledger_verify():
    """Recompute every balance and lot from the entries; exit 1 on any difference."""
    result = ledger.verify()
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(result.summary())
    if not result.ok:
        raise SystemExit(1)
