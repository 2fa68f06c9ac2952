"""`flask bonus`: the bonus programme's settings, manual corrections and the release/expiry sweeps."""
from __future__ import annotations

import uuid
from decimal import Decimal

import click
from flask import current_app
from flask.cli import AppGroup

from portal import ledger
from portal.errors import DomainError, ValidationError
from portal.money import MoneyError, format_plain, parse_amount, parse_signed_minor, to_minor
from portal.services import audit
from portal.services.clients import bonus as bonus_service
from portal.services.clients import clients as client_service


def _percent_to_bp(value: str | None, name: str) -> int | None:
    if value is None:
        return None
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
    try:
        with audit.system_source("cli"):  # audited as "cli:bonus_settings_changed"
            programme = bonus_service.change_programme(None, accrual_rate_bp=_percent_to_bp(accrual_rate, "--accrual-rate"),
                                                       hold_days=hold_days,
                                                       max_redeem_share_bp=_percent_to_bp(max_redeem_share,
                                                                                          "--max-redeem-share"),
                                                       expiry_days=expiry_days)
    except ValidationError as exc:
        for field, message in exc.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        raise SystemExit(2) from None
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
            operation = bonus_service.adjust(None, client.id, minor, reason, key or f"cli:adjust:{uuid.uuid4().hex}")
    except ValidationError as exc:
        for field, message in exc.fields.items():
            click.echo(f"error: {field}: {message}", err=True)
        raise SystemExit(2) from None
    except DomainError as exc:  # not enough bonus, among others
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(2) from None
    bonus = ledger.bonus_of(client.id)
    sign = "+" if operation.amount > 0 else "−"
    click.echo(f"adjusted {client.name} by {sign}{format_plain(abs(operation.amount))}: "
               f"available {format_plain(bonus.available)}")


@bonus_cli.command("release")
def bonus_release():
    """Release every pending accrual whose hold period is over."""
    result = bonus_service.sweep(release=True, expire=False)
    click.echo(f"released {result.released} lots on {result.accounts} accounts")


@bonus_cli.command("expire")
def bonus_expire():
    """Write off what is left of expired lots."""
    result = bonus_service.sweep(release=False, expire=True)
    click.echo(f"expired {result.expired} lots on {result.accounts} accounts")
