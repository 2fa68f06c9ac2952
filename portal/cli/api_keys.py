"""`flask api-keys`: keys of the web-shop API (a key is printed once)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.errors import ValidationError
from portal.services.staff import api_keys

api_keys_cli = AppGroup("api-keys", help="Keys of the web-shop API.")


@api_keys_cli.command("create")
@click.argument("name")
def create_api_key(name):
    """Create a key; it is printed once, alone on the last line."""
    try:
        api_key, secret = api_keys.create_key(name)
    except ValidationError as exc:
        raise click.BadParameter(str(exc.fields["name"]), param_hint="NAME") from None
    click.echo(f"API key {api_key.name!r} created ({api_key.prefix}…). Store it now; it is not shown again:")
    click.echo(secret)


@api_keys_cli.command("list")
def list_api_keys():
    for key in api_keys.list_keys():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.prefix}…  {key.name:<30} {state:<8} last used {key.last_used_at or 'never'}")


@api_keys_cli.command("revoke")
@click.argument("name_or_prefix")
def revoke_api_key(name_or_prefix):
    click.echo(f"revoked {api_keys.revoke(name_or_prefix)} key(s)")
