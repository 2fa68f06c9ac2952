"""`flask demo`: fill an empty database with the demo company and print its logins."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.demo import builder
from portal.services import audit


@click.command("demo")
@with_appcontext
def demo_command():
    """Fill an empty database with a believable demo company; print the demo logins."""

    with audit.system_source("demo"):  # what the demo's services change is audited as "demo:…"
        result = builder.load_demo()
    if result.created:
        click.echo(f"Demo data loaded: {result.summary}")
    else:
        click.echo(result.summary)
    if result.logins:
        click.echo(f"Demo logins (password for all: {builder.DEMO_PASSWORD}):")
        for role, email, name in result.logins:
            click.echo(f"  {role:<11} {email:<32} {name}")
