"""The automation rule form. Its field names are the ones the rules service reads
(`automation.rules.spec_from_form`) and names its errors by; the form itself only renders the
fields, keeps what was typed and carries the CSRF token: the service decides what is valid."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from portal.labels import CLIENT_KINDS, channel, order_status
from portal.models import Channel, ClientKind
from portal.services.automation import events as ev


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


class RuleForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"maxlength": 200, "autocomplete": "off"})
    event = SelectField(_l("Event"), validate_choice=False)
    event_status = SelectField(_l("Status"), validate_choice=False)
    event_amount = StringField(_l("Amount above"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    event_days_before = StringField(_l("Days before"), render_kw={"inputmode": "numeric", "autocomplete": "off"})

    cond_amount_gte = StringField(_l("Order amount at least"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    cond_channels = MultiCheckboxField(_l("Channel"), validate_choice=False)
    cond_client_kinds = MultiCheckboxField(_l("Client kind"), validate_choice=False)
    cond_section_ids = SelectMultipleField(_l("Catalogue section in the order"), validate_choice=False,
                                           render_kw={"size": 6})
    cond_manager_ids = MultiCheckboxField(_l("Manager"), validate_choice=False)

    act_assign_manager = BooleanField(ev.ACTIONS["assign_manager"])
    assign_mode = SelectField(_l("Whom"), validate_choice=False)
    act_apply_discount = BooleanField(ev.ACTIONS["apply_discount"])
    discount_percent = StringField(_l("Extra discount, %"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    act_create_task = BooleanField(ev.ACTIONS["create_task"])
    task_title = StringField(_l("Task"), render_kw={"maxlength": 300, "autocomplete": "off"})
    task_due_in = StringField(_l("Due in"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    task_due_unit = SelectField(_l("Unit"), validate_choice=False)
    act_send_sms = BooleanField(ev.ACTIONS["send_sms"])
    sms_text = TextAreaField(_l("SMS text"), render_kw={"rows": 3, "maxlength": 500})
    act_notify_user = BooleanField(ev.ACTIONS["notify_user"])
    notify_whom = SelectField(_l("Whom to notify"), validate_choice=False)
    notify_user_id = SelectField(_l("Member of the team"), validate_choice=False)
    notify_text = TextAreaField(_l("Notification text"), render_kw={"rows": 2, "maxlength": 500})

    def set_choices(self, *, members, sections) -> None:
        """Fill the lists: events, statuses, channels, kinds, the team and the catalogue sections."""
        self.event.choices = _choices([("", _l("Choose the event"))] + list(ev.EVENTS.items()))
        self.event_status.choices = _choices([(s, order_status(s)) for s in ev.STATUSES])
        self.cond_channels.choices = _choices([(c.value, channel(c)) for c in Channel])
        self.cond_client_kinds.choices = _choices([(k.value, CLIENT_KINDS[k]) for k in ClientKind])
        self.cond_section_ids.choices = _choices(sections)
        self.cond_manager_ids.choices = _choices([(m.id, m.name) for m in members])
        self.assign_mode.choices = _choices(ev.ASSIGN_MODES.items())
        self.task_due_unit.choices = _choices(ev.DUE_UNITS.items())
        self.notify_whom.choices = _choices(ev.NOTIFY_WHOM.items())
        self.notify_user_id.choices = _choices([("", "—")] + [(m.id, m.name) for m in members])

    def action_fields(self):
        """(checkbox, [its parameters]) in the order the rule runs its actions."""
        params = {"assign_manager": [self.assign_mode], "apply_discount": [self.discount_percent],
                  "create_task": [self.task_title, self.task_due_in, self.task_due_unit],
                  "send_sms": [self.sms_text],
                  "notify_user": [self.notify_whom, self.notify_user_id, self.notify_text]}
        return [(getattr(self, f"act_{kind}"), params[kind]) for kind in ev.ACTION_ORDER]


class ActionForm(FlaskForm):
    """Just the CSRF token (enable a template, pause or resume a rule)."""
