"""Supervisor's bonus programme: the settings with the history of their changes, and the manual
adjustment of a client's bonus (SPEC §5). services/clients/bonus.py decides and audits; this only translates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import ledger
from portal.errors import ValidationError
from portal.extensions import db
from portal.i18n import money, percent_bp
from portal.ids import parse_id
from portal.models import AuditEvent
from portal.services.clients import bonus as bonus_service
from portal.services.clients import corrections, directory
from portal.text import squash
from portal.web.forms import apply_errors
from portal.web.supervisor.blueprint import bp
from portal.web.supervisor.forms import (
    BonusAdjustmentForm,
    BonusSettingsForm,
    decimal_mark,
    new_token,
    percent_text,
    valid_token,
)

HISTORY_ROWS = 20
SEARCH_ROWS = 10

SETTING_LABELS = {
    "accrual_rate_bp": _l("Accrual rate"),
    "hold_days": _l("Hold days"),
    "max_redeem_share_bp": _l("Maximum share paid with bonus"),
    "expiry_days": _l("Expiry days"),
}


@dataclass(frozen=True)
class SettingChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    changes: list[SettingChange]


def _setting_text(key: str, value) -> str:
    if value is None:
        return "—"
    if key.endswith("_bp"):
        return percent_bp(value)
    return ngettext("%(num)d day", "%(num)d days", int(value))


def settings_history(limit: int = HISTORY_ROWS) -> list[HistoryRow]:
    """The latest changes of the programme, newest first, from the audit events the ledger's
    settings write: who, when, and each value that changed, before and after."""
    events = db.session.scalars(db.select(AuditEvent).options(joinedload(AuditEvent.actor))
                                .where(AuditEvent.object_type == "bonus_settings")
                                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    rows = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        changes = [SettingChange(str(label), _setting_text(key, before.get(key)), _setting_text(key, after.get(key)))
                   for key, label in SETTING_LABELS.items() if before.get(key) != after.get(key)]
        who = event.actor.name if event.actor is not None else _("the command line")
        rows.append(HistoryRow(event.at, who, changes))
    return rows


def _settings_form() -> BonusSettingsForm:
    programme = ledger.settings.current()
    form = BonusSettingsForm(formdata=None)
    form.accrual_rate.data = percent_text(programme.accrual_rate_bp)
    form.hold_days.data = str(programme.hold_days)
    form.max_redeem_share.data = percent_text(programme.max_redeem_share_bp)
    form.expiry_days.data = str(programme.expiry_days)
    return form


def _client_id(value) -> int | None:
    return parse_id(value) if isinstance(value, str) else None


def _chosen_client(client_id: int | None):
    """The client to adjust, if one was chosen: 404 when there is none, 403 when not the team's."""
    if client_id is None:
        return None
    client = directory.visible_client(current_user, client_id)
    bonus_service.settle(client.id)
    return client


def _adjustment_form(client) -> BonusAdjustmentForm:
    form = BonusAdjustmentForm(formdata=None)
    form.client_id.data = str(client.id) if client else ""
    form.token.data = new_token()
    return form


def _page(settings_form: BonusSettingsForm | None = None, adjustment_form: BonusAdjustmentForm | None = None,
          client=None, status: int = 200):
    query = request.args.get("q", "")[:100].strip()
    found = None
    if query:
        found = directory.search_clients(
            current_user, directory.ClientQuery(q=query, per_page=SEARCH_ROWS))
    return render_template(
        "supervisor/bonus.html", programme=ledger.settings.current(), history=settings_history(),
        settings_form=settings_form or _settings_form(), adjustment_form=adjustment_form or _adjustment_form(client),
        client=client, bonus=ledger.bonus_of(client.id) if client else None, query=query, found=found,
        decimal_mark=decimal_mark), status


@bp.route("/bonus", methods=["GET", "POST"])
def bonus():
    if request.method == "GET":
        return _page(client=_chosen_client(_client_id(request.args.get("client"))))
    form = BonusSettingsForm()
    client = _chosen_client(_client_id(request.form.get("client")))  # the adjustment section stays as it was
    if form.validate_on_submit():
        values = form.parsed()
        if values is not None:
            before = ledger.settings.current()
            try:
                after = bonus_service.change_programme(current_user, **values)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if after == before:
                    flash(_("Nothing changed: these are the values in force."), "info")
                else:
                    flash(_("The bonus programme is changed. The new values apply to new operations only."),
                          "success")
                return redirect(url_for("supervisor.bonus", client=client.id if client else None))
    return _page(settings_form=form, client=client, status=422)


@bp.post("/bonus/adjust")
def bonus_adjust():
    form = BonusAdjustmentForm()
    client_id = _client_id(form.client_id.data)
    if client_id is None:
        flash(_("Find the client whose bonus you adjust first."), "error")
        return redirect(url_for("supervisor.bonus", _anchor="adjust"))
    client = _chosen_client(client_id)
    if form.validate_on_submit():
        amount = form.parsed_amount()
        if not valid_token(form.token.data):
            form.form_errors.append(_("The form was out of date. Check the values and send it again."))
            form.token.data = new_token()
        elif amount is None:
            if not squash(form.reason.data):
                form.reason.errors = list(form.reason.errors) + [_("Say why the bonus is adjusted.")]
        else:
            try:
                done = corrections.adjust_client_bonus(current_user, client.id, amount, form.reason.data or "",
                                                       form.token.data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except ledger.InsufficientBonus as exc:
                form.amount.errors = list(form.amount.errors) + [_(
                    "Not enough bonus: %(available)s is available, so at most that much can be taken away.",
                    available=money(exc.available))]
            else:
                if done.repeated:
                    flash(_("This adjustment was made already; nothing changed. Bonus of %(client)s: "
                            "%(available)s available.", client=client.name, available=money(done.after.available)),
                          "info")
                else:
                    flash(_("Bonus of %(client)s adjusted by %(amount)s: available %(before)s → %(after)s.",
                            client=client.name, amount=("+" if done.amount > 0 else "−") + money(abs(done.amount)),
                            before=money(done.before.available), after=money(done.after.available)), "success")
                return redirect(url_for("supervisor.bonus", client=client.id, _anchor="adjust"))
    return _page(adjustment_form=form, client=client, status=422)
