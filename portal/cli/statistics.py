"""flask statistics: the daily sums behind the supervisor's reports (portal/daily_sums.py)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.services.statistics import sums

statistics_cli = AppGroup("statistics", help="The daily sums behind the statistics reports.")


@statistics_cli.command("verify")
def verify_sums():
    """Recompute the daily sums from the orders, returns and ledger; exit 1 on any difference."""
    found = sums.differences()
    for table, count in found.items():
        click.echo(f"{table}: {'OK' if not count else f'{count} rows differ'}")
    if any(found.values()):
        click.echo("run `flask statistics rebuild` to make them again from the rows", err=True)
        raise SystemExit(1)
    click.echo("daily sums OK")


@statistics_cli.command("rebuild")
def rebuild_sums():
    """Make the daily sums again from the orders, returns and ledger (one transaction), e.g. after
    PORTAL_TIMEZONE changed."""
    counts = sums.rebuild()
    click.echo("rebuilt: " + ", ".join(f"{table} {n} rows" for table, n in counts.items()))
