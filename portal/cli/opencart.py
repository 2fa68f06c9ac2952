"""flask import opencart ...: the OpenCart migration and sync from the command line (a thin door onto
portal/integrations/opencart)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.integrations.opencart import importer
from portal.integrations.opencart.sources import CsvSource, DatabaseSource, SourceError
from portal.money import format_plain

import_cli = AppGroup("import", help="Bring data from other systems.")


@import_cli.command("opencart")
@click.option("--url", help="The shop's database, e.g. mysql+pymysql://user:pass@host/db.")
@click.option("--prefix", default="oc_", show_default=True, help="OpenCart's table prefix.")
@click.option("--customers", "customers_file", type=click.Path(path_type=Path),
              help="CSV export of the customer table (instead of --url).")
@click.option("--rewards", "rewards_file", type=click.Path(path_type=Path),
              help="CSV export of the customer_reward table (with --customers).")
@click.option("--point-value", help="Portal currency units one point is worth (default 1, e.g. 0.5).")
@click.option("--source", "source_name", default="shop", show_default=True,
              help="Name of the shop: the import state and the keys belong to it.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Rows per transaction.")
@click.option("--reconcile-only", is_flag=True, help="Only compare the shop with the portal; change nothing.")
@with_appcontext
def opencart_command(url, prefix, customers_file, rewards_file, point_value, source_name, batch_size,
                     reconcile_only):
    """Import OpenCart customers (as clients) and reward points (into the bonus ledger).

    Reads the shop's database (--url, --prefix) or CSV exports of its customer and customer_reward
    tables (--customers and --rewards, with header lines). Customers are linked to the client with
    the same e-mail, else the same phone, else created. Every reward row becomes an imported ledger
    entry keyed by its id; a re-run continues after the last imported row and changes nothing
    already in. A reconciliation then lists clients whose sum in the shop differs from the portal's.
    """

    if bool(url) == bool(customers_file or rewards_file):
        raise click.UsageError("give either --url or both --customers and --rewards")
    if not url and not (customers_file and rewards_file):
        raise click.UsageError("--customers and --rewards go together")
    try:
        source = DatabaseSource(url, prefix) if url else CsvSource(customers_file, rewards_file)
    except SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    bar = None
    try:
        if reconcile_only:
            mismatches = importer.reconcile(source, source_name=source_name)
            _print_mismatches(mismatches)
            click.echo(f"reconciliation of {source.description}: {len(mismatches)} mismatches")
            raise SystemExit(1 if mismatches else 0)

        def started(total: int) -> None:
            nonlocal bar
            bar = click.progressbar(length=total, label="reward rows", file=sys.stderr)
            bar.__enter__()

        summary = importer.import_all(
            source, source_name=source_name, point_value=point_value, batch_size=batch_size,
            country=current_app.config["PORTAL_COUNTRY"], on_rewards_total=started,
            on_progress=lambda n: bar.update(n))
    except SourceError as exc:
        click.echo(f"\nerror: {exc}", err=True)
        click.echo("the failed batch was rolled back; the batches before it stay imported; "
                   "run again after fixing to continue", err=True)
        raise SystemExit(2) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        source.close()
    click.echo(f"source:            {summary.source} ({source.description}), point value {summary.point_value}")
    click.echo(f"customers read:    {summary.customers_read}")
    click.echo(f"clients created:   {summary.clients_created}")
    click.echo(f"linked by e-mail:  {summary.linked_by_email}")
    click.echo(f"linked by phone:   {summary.linked_by_phone}")
    click.echo(f"rows imported:     {summary.rows_imported}")
    click.echo(f"rows skipped:      {summary.rows_skipped} (no such customer in the shop)")
    click.echo(f"points imported:   {summary.points_imported} = {format_plain(summary.amount_imported)}")
    click.echo(f"not covered:       {format_plain(summary.not_covered)} (spent in the shop beyond the balance)")
    click.echo(f"last reward id:    {summary.last_reward_id}")
    _print_mismatches(summary.mismatches)
    click.echo(f"mismatches:        {len(summary.mismatches)}")


def _print_mismatches(mismatches, limit: int = 50) -> None:
    for m in mismatches[:limit]:
        click.echo(f"mismatch: client {m.client_id} (customer {', '.join(map(str, m.customer_ids)) or '-'}): "
                   f"shop {format_plain(m.shop_amount)} in {m.shop_rows} rows, "
                   f"portal {format_plain(m.portal_amount)} in {m.portal_rows} rows")
    if len(mismatches) > limit:
        click.echo(f"... and {len(mismatches) - limit} more mismatches")
