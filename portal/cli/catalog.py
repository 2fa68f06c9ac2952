"""flask catalog ...: the catalogue from the command line (a thin door onto the services)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.integrations.catalog_csv.writing import CatalogFileError, import_catalog

catalog_cli = AppGroup("catalog", help="The product catalogue.")


class _Progress:
    """A click progress bar on stderr, opened on the first report, when the total is known."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@catalog_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_command(file: Path):
    """Create or update products by SKU from a CSV file.

    Header: sku,name,section,price,barcode,returnable,discountable,warranty_months and one
    stock:<LOCATION_CODE> column per location; UTF-8, comma- or semicolon-separated. Rejected rows
    are listed by line number; the others are imported. The full rules are in
    portal/integrations/catalog_csv/.
    """

    progress = _Progress("Importing " + file.name)
    try:
        result = import_catalog(file, progress=progress)
    except CatalogFileError as exc:
        raise click.ClickException(f"cannot import {file}: {exc}") from None
    finally:
        progress.close()
    click.echo(result.summary())
    for line_no, reason in result.rejected:
        click.echo(f"line {line_no}: {reason}")
