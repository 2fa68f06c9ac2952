"""Admin forms parse and coerce input; the services decide what is valid, so every wrong field
is reported at once."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, StopValidation

from portal.config import SUPPORTED_LOCALES
from portal.i18n import LANGUAGE_NAMES
from portal.labels import LOCATION_KINDS, ROLES
from portal.models import LocationKind, Role


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class StaffForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    email = EmailField(_l("E-mail (login)"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLES[r]) for r in Role], validate_choice=False)
    supervisor_id = SelectField(_l("Supervisor (for managers)"), coerce=_optional_int, validate_choice=False)
    shop_id = SelectField(_l("Shop (for cashiers)"), coerce=_optional_int, validate_choice=False)
    hired_on = DateField(_l("Hired on"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[SelectChoice("", _l("From the browser"))]
                         + [SelectChoice(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES], validate_choice=False)


class NewStaffForm(StaffForm):
    password = PasswordField(_l("Password (leave empty to generate one)"), validators=[Optional(), Length(max=200)])


class LocationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Length(max=20)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    kind = SelectField(_l("Type"), choices=[SelectChoice(k.value, LOCATION_KINDS[k]) for k in LocationKind], validate_choice=False)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    is_main = BooleanField(_l("Main warehouse (web-shop orders take goods from it)"))
    active = BooleanField(_l("Active"), default=True)
    fiscal_register_url = StringField(_l("Fiscal register URL"), validators=[Optional(), Length(max=300)])


class OnecWarehouseForm(FlaskForm):
    """Where one 1C warehouse's stock is counted: a location offered on the page, or "" (nowhere).

    The choices are set by the view (the active locations, and the current one even if it was
    closed since); anything else, or the field left out, is refused here with what to do."""

    location_id = SelectField(_l("Counted at"), validate_choice=False)

    def validate_location_id(self, field):
        if not field.raw_data or field.data not in {str(choice.value) for choice in field.choices}:
            raise StopValidation(_l("Choose a location from the list, or “— not counted —”."))

    @property
    def chosen_location_id(self) -> int | None:
        return int(self.location_id.data) if self.location_id.data else None
