"""Task forms: a new task, a new due time, closing a task with its outcome.

Due times are typed in the company's time zone (an HTML datetime-local input) and handed to the
service as aware moments; the service decides what is valid."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import InputRequired, Length, Optional

from portal.clock import local_zone
from portal.models import TaskOutcome, utcnow
from portal.services.tasks import MAX_NOTE, MAX_TITLE

DUE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
OUTCOMES = {TaskOutcome.DONE: _l("Done"), TaskOutcome.NO_ANSWER: _l("No answer (call back later)")}


def aware(local: datetime | None) -> datetime | None:
    """A wall-clock time typed in the company's zone, as an aware moment."""
    return None if local is None else local.replace(tzinfo=local_zone())


def local_input(moment: datetime) -> datetime:
    """An aware moment as the naive wall-clock time a datetime-local input shows."""
    return moment.astimezone(local_zone()).replace(tzinfo=None, second=0, microsecond=0)


WORK_START, WORK_END = 9, 19  # a first guess lands in working hours


def default_due() -> datetime:
    """A first guess for a new task: the next whole hour at least an hour away, or 10:00 on the
    next morning when that falls outside working hours (company time)."""
    soon = local_input(utcnow() + timedelta(hours=1))
    guess = soon.replace(minute=0) + timedelta(hours=1) if soon.minute else soon
    if guess.hour >= WORK_END:
        return (guess + timedelta(days=1)).replace(hour=10, minute=0)
    if guess.hour < WORK_START:
        return guess.replace(hour=10, minute=0)
    return guess


class DueField(DateTimeLocalField):
    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=DUE_FORMATS, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Give the date and the time, e.g. 2026-12-31 15:00.")) from None


class TaskForm(FlaskForm):
    title = StringField(_l("What to do"), validators=[InputRequired(_l("Say what is to be done.")),
                                                      Length(max=MAX_TITLE)],
                        render_kw={"maxlength": MAX_TITLE, "autocomplete": "off"})
    due_at = DueField(_l("Due"), validators=[InputRequired(_l("Give the date and time it is due."))])
    assignee_id = SelectField(_l("Manager"), coerce=str, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)], render_kw={"rows": 3})
    client_id = HiddenField()
    order_id = HiddenField()


class RescheduleForm(FlaskForm):
    due_at = DueField(_l("New due time"), validators=[InputRequired(_l("Give the date and time it is due."))])


class CompleteForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=[SelectChoice(o.value, label) for o, label in OUTCOMES.items()],
                         default=TaskOutcome.DONE.value, validators=[InputRequired()])
    note = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=MAX_NOTE)], render_kw={"rows": 2})


class EmptyForm(FlaskForm):
    """Just the CSRF token (the cancel button)."""
