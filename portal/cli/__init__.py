"""flask commands: users, demo data. (`flask db ...` comes from Flask-Migrate.)"""
from __future__ import annotations

from decimal import Decimal

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from portal.models import Role
from portal.services.staff import locations as location_service
from portal.services.staff import staff as staff_service
from portal.errors import ValidationError

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
    from portal.services import audit
    try:
        with audit.system_source("cli"):  # audited as "cli:staff_created"
            user, plain = staff_service.create_staff(None, data, password=password)
    except ValidationError as exc:
        for field, message in exc.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        raise SystemExit(2)
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")
    if password is None:
        click.echo("password (shown once):")
        click.echo(plain)


@click.command("demo")
@with_appcontext
def demo_command():
    """Fill an empty database with a believable demo company; print the demo logins."""
    from portal.services import audit
    from portal.demo import builder

    with audit.system_source("demo"):  # what the demo's services change is audited as "demo:…"
        result = builder.load_demo()
    if result.created:
        click.echo(f"Demo data loaded: {result.summary}")
    else:
        click.echo(result.summary)
    if result.logins:
        click.echo("Demo logins (password for all: %s):" % builder.DEMO_PASSWORD)
        for role, email, name in result.logins:
            click.echo(f"  {role:<11} {email:<32} {name}")


api_keys_cli = AppGroup("api-keys", help="Keys of the web-shop API.")


@api_keys_cli.command("create")
@click.argument("name")
def create_api_key(name):
    """Create a key; it is printed once, alone on the last line."""
    from portal.services.staff import api_keys
    try:
        api_key, secret = api_keys.create_key(name)
    except ValidationError as exc:
        raise click.BadParameter(str(exc.fields["name"]), param_hint="NAME") from None
    click.echo(f"API key {api_key.name!r} created ({api_key.prefix}…). Store it now; it is not shown again:")
    click.echo(secret)


@api_keys_cli.command("list")
def list_api_keys():
    from portal.services.staff import api_keys
    for key in api_keys.list_keys():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.prefix}…  {key.name:<30} {state:<8} last used {key.last_used_at or 'never'}")


@api_keys_cli.command("revoke")
@click.argument("name_or_prefix")
def revoke_api_key(name_or_prefix):
    from portal.services.staff import api_keys
    click.echo(f"revoked {api_keys.revoke(name_or_prefix)} key(s)")


def _percent_to_bp(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    from portal.money import MoneyError, parse_amount, to_minor
    try:
        return to_minor(parse_amount(value))  # "5" -> 500, "2.5" -> 250: basis points
    except MoneyError:
        raise click.BadParameter("a percentage with at most two decimals, e.g. 5 or 2.5", param_hint=name) from None


bonus_cli = AppGroup("bonus", help="The bonus programme.")


@bonus_cli.command("settings")
@click.option("--accrual-rate", help="Percent of money paid that accrues, e.g. 5.")
@click.option("--hold-days", type=int, help="Days an accrual stays pending (the return window).")
@click.option("--max-redeem-share", help="Percent of an order that bonus may pay, e.g. 30.")
@click.option("--expiry-days", type=int, help="Days a released lot lasts.")
def bonus_settings(accrual_rate, hold_days, max_redeem_share, expiry_days):
    """Print the programme; change what is given (new values apply to new operations only)."""
    from portal.ledger import settings
    from portal.services import audit
    try:
        with audit.system_source("cli"):  # audited as "cli:bonus_settings_changed"
            programme = settings.change(None, accrual_rate_bp=_percent_to_bp(accrual_rate, "--accrual-rate"),
                                        hold_days=hold_days,
                                        max_redeem_share_bp=_percent_to_bp(max_redeem_share, "--max-redeem-share"),
                                        expiry_days=expiry_days)
    except ValidationError as exc:
        for field, message in exc.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        raise SystemExit(2)
    click.echo(f"accrual rate:      {_bp_text(programme.accrual_rate_bp)} %")
    click.echo(f"hold days:         {programme.hold_days}")
    click.echo(f"max redeem share:  {_bp_text(programme.max_redeem_share_bp)} %")
    click.echo(f"expiry days:       {programme.expiry_days}")


def _bp_text(basis_points: int) -> str:
    """Basis points as a percentage without float: 250 -> '2.5', 1000 -> '10'."""
    text = f"{Decimal(basis_points) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@bonus_cli.command("adjust")
@click.option("--phone", required=True, help="The client's phone, in any common notation.")
@click.option("--amount", required=True, help="Signed amount, e.g. 150.50 or -20.")
@click.option("--reason", required=True, help="Why (kept with the correction and in the audit log).")
@click.option("--key", default=None, help="Idempotency key; repeating it changes nothing. Generated when omitted.")
def bonus_adjust(phone, amount, reason, key):
    """Correct a client's bonus by hand; audited as "cli:bonus_adjusted" (no person, the command line)."""
    import uuid

    from flask import current_app

    from portal import ledger
    from portal.extensions import db
    from portal.ledger.errors import InsufficientBonus
    from portal.money import MoneyError, format_plain, parse_signed_minor
    from portal.services import audit
    from portal.services.clients import clients as client_service
    from portal.errors import DomainError
    found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
    if not found:
        raise click.BadParameter(f"no client with phone {phone}", param_hint="--phone")
    try:
        minor = parse_signed_minor(amount)
    except MoneyError:
        raise click.BadParameter("an amount with at most two decimals, e.g. 150.50 or -20", param_hint="--amount") from None
    client = found[0]
    try:
        with audit.system_source("cli"):
            operation = ledger.adjust(None, client.id, minor, reason, key or f"cli:adjust:{uuid.uuid4().hex}")
            db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        for field, message in exc.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        raise SystemExit(2)
    except (InsufficientBonus, DomainError) as exc:
        db.session.rollback()
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(2)
    bonus = ledger.bonus_of(client.id)
    sign = "+" if operation.amount > 0 else "−"
    click.echo(f"adjusted {client.name} by {sign}{format_plain(abs(operation.amount))}: "
               f"available {format_plain(bonus.available)}")


@bonus_cli.command("release")
def bonus_release():
    """Release every pending accrual whose hold period is over."""
    from portal import ledger
    result = ledger.sweep(release=True, expire=False)
    click.echo(f"released {result.released} lots on {result.accounts} accounts")


@bonus_cli.command("expire")
def bonus_expire():
    """Write off what is left of expired lots."""
    from portal import ledger
    result = ledger.sweep(release=False, expire=True)
    click.echo(f"expired {result.expired} lots on {result.accounts} accounts")


ledger_cli = AppGroup("ledger", help="The bonus ledger.")


@ledger_cli.command("verify")
def ledger_verify():
    """Recompute every balance and lot from the entries; exit 1 on any difference."""
    from portal import ledger
    result = ledger.verify()
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(result.summary())
    if not result.ok:
        raise SystemExit(1)


clients_cli = AppGroup("clients", help="Clients.")


@clients_cli.command("link")
@click.argument("phone")
def client_link(phone):
    """Print a signed, expiring link to the client's bonus page."""
    from flask import current_app

    from portal.services.clients import access
    from portal.services.clients import clients as client_service
    found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
    if not found:
        click.echo(f"no client with phone {phone}", err=True)
        raise SystemExit(1)
    click.echo(access.signed_link(found[0].id))


def register_cli(app: Flask) -> None:
    from portal.cli.catalog import catalog_cli
    from portal.cli.statistics import statistics_cli
    for command in (users_cli, demo_command, api_keys_cli, bonus_cli, ledger_cli, clients_cli, catalog_cli,
                    statistics_cli):
        app.cli.add_command(command)
    from portal.cli.outbox import outbox_cli, worker_command
    app.cli.add_command(worker_command)
    app.cli.add_command(outbox_cli)
    from portal.cli.automation import automation_cli
    app.cli.add_command(automation_cli)
    from portal.cli.opencart import register as register_opencart_cli
    register_opencart_cli(app)
