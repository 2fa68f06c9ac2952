"""`flask users`: staff accounts from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.errors import ValidationError
from portal.models import Role
from portal.services import audit
from portal.services.staff import locations as location_service
from portal.services.staff import staff as staff_service

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail.")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", default=None, help="Password; a random one is generated and printed when omitted.")
@click.option("--supervisor", "supervisor_email", default=None, help="Supervisor's e-mail (managers).")
@click.option("--shop", "shop_code", default=None, help="Shop code (cashiers).")
@click.option("--phone", default="", help="Phone in any common notation.")
def create_user(email, name, role, password, supervisor_email, shop_code, phone):
    """Create a staff account."""
    supervisor_id = shop_id = None
    if supervisor_email:
        supervisor = staff_service.find_by_email(supervisor_email)
        if supervisor is None:
            raise click.BadParameter(f"no staff member with e-mail {supervisor_email}", param_hint="--supervisor")
        supervisor_id = supervisor.id
    if shop_code:
        shop = location_service.find_by_code(shop_code)
        if shop is None:
            raise click.BadParameter(f"no location with code {shop_code}", param_hint="--shop")
        shop_id = shop.id
    data = staff_service.StaffInput(email=email, name=name, role=role, phone=phone,
                                    supervisor_id=supervisor_id, shop_id=shop_id)
    try:
        with audit.system_source("cli"):  # audited as "cli:staff_created"
            user, plain = staff_service.create_staff(None, data, password=password)
    except ValidationError as exc:
        for field, message in exc.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        raise SystemExit(2) from None
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")
    if password is None:
        click.echo("password (shown once):")
        click.echo(plain)
