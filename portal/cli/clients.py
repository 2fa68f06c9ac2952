"""`flask clients link PHONE`: a signed, expiring link to a client's bonus page."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.services.clients import access
from portal.services.clients import clients as client_service

clients_cli = AppGroup("clients", help="Clients.")


@clients_cli.command("link")
@click.argument("phone")
def client_link(phone):
    """Print a signed, expiring link to the client's bonus page."""

    found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
    if not found:
        click.echo(f"no client with phone {phone}", err=True)
        raise SystemExit(1)
    click.echo(access.signed_link(found[0].id))
