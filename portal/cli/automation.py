"""`flask automation`: the automation rules from the command line (SPEC §8).

    flask automation run-dates [--date YYYY-MM-DD]   # the date rules of a day (flask worker does it daily)
    flask automation rules                           # every rule with its team, event, state and runs
"""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from portal.clock import local_date
from portal.extensions import db
from portal.models import Rule
from portal.services.automation import engine, rules

automation_cli = AppGroup("automation", help="Automation rules: date rules and the list of rules.")


@automation_cli.command("run-dates")
@click.option("--date", "day", default=None, help="The day (YYYY-MM-DD); today in the company's time zone by default.")
def run_dates(day):
    """Run the date rules (birthdays, contract renewals, payments due) for one day. Running a day
    twice adds nothing."""

    try:
        today = date.fromisoformat(day) if day else local_date()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    made = engine.run_date_rules(today)
    click.echo(f"{today.isoformat()}: {made} rule runs")


@automation_cli.command("rules")
def list_rules():
    """Every rule: id, supervisor, state, event, name, runs done / with errors."""

    all_rules = list(db.session.scalars(db.select(Rule).order_by(Rule.supervisor_id, Rule.id)))
    counts = rules.run_counts([rule.id for rule in all_rules])
    if not all_rules:
        click.echo("no rules")
    for rule in all_rules:
        done, failed = counts[rule.id]
        state = "active" if rule.active else "paused"
        click.echo(f"#{rule.id} {rule.supervisor.email} {state} {rule.event} {rule.name!r} "
                   f"runs {done} done, {failed} with errors")
