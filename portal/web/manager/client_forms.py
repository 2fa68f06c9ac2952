"""Client forms. They parse what was typed (a discount "7,5", a limit "150 000,00", days) into
plain values and keep the text as typed; the services decide what is valid."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectChoice, SelectField, StringField
from wtforms.fields import EmailField, SearchField
from wtforms.widgets import DateInput

from portal.errors import ValidationError
from portal.labels import CLIENT_KINDS, CLIENT_STATUSES
from portal.models import AddressKind, ClientKind, ClientStatus
from portal.money import MoneyError, from_minor, parse_amount, to_minor
from portal.phones import display_phone
from portal.services.clients import changes
from portal.services.clients import contacts as client_contacts
from portal.services.clients import dates as client_dates
from portal.services.clients.directory import UNASSIGNED, ClientQuery, SortKey

_PERCENT = re.compile(r"^[0-9]{1,3}(\.[0-9]+)?$")
_DAYS = re.compile(r"^[0-9]{1,6}$")


def _decimal_text(text: str) -> str:
    """Numbers are shown with the reader's decimal separator."""
    return text if str(get_locale()) == "en" else text.replace(".", ",")


def _squeeze(text: str) -> str:
    return (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")


def parse_percent(text: str) -> int:
    """'5' -> 500, '7,5' -> 750, '12.25 %' -> 1225 basis points; empty is 0. ValueError otherwise."""
    value = _squeeze(text).rstrip("%").replace(",", ".")
    if not value:
        return 0
    if not _PERCENT.match(value):
        raise ValueError(_l("Enter a percentage from 0 to 100, e.g. 5 or 7,5."))
    if len(value.partition(".")[2]) > 2:
        raise ValueError(_l("At most two decimals, e.g. 7,25."))
    return int(Decimal(value) * 100)


def format_percent(basis_points: int | None) -> str:
    if basis_points is None:
        return ""
    whole, frac = divmod(int(basis_points), 100)
    return _decimal_text(f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0"))


def parse_money(text: str) -> int:
    """'150000', '1 500,50' -> minor units; empty is 0. ValueError otherwise."""
    if not _squeeze(text):
        return 0
    try:
        return to_minor(parse_amount(text))
    except MoneyError:
        raise ValueError(_l("Enter an amount with at most two decimals, e.g. 150000 or 1500,50.")) from None


def format_money(minor: int | None) -> str:
    if minor is None:
        return ""
    return str(int(minor) // 100) if int(minor) % 100 == 0 else _decimal_text(str(from_minor(minor)))


def parse_days(text: str) -> int:
    value = _squeeze(text)
    if not value:
        return 0
    if not _DAYS.match(value):
        raise ValueError(_l("Enter a whole number of days."))
    return int(value)


class _ParsedField(StringField):
    """A text input whose data is a parsed number; what was typed is shown back as typed."""

    parse = staticmethod(lambda text: text)
    show = staticmethod(lambda value: "" if value is None else str(value))

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None
            self.data = self.parse(valuelist[0])

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.show(self.data)


class PercentField(_ParsedField):
    parse = staticmethod(parse_percent)
    show = staticmethod(format_percent)


class MoneyField(_ParsedField):
    parse = staticmethod(parse_money)
    show = staticmethod(format_money)


class DaysField(_ParsedField):
    parse = staticmethod(parse_days)
    show = staticmethod(lambda value: "" if value is None else str(value))


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


KIND_CHOICES = [(k.value, CLIENT_KINDS[k]) for k in ClientKind]


class ClientForm(FlaskForm):
    """Requisites and terms: what a manager's change sends for approval."""

    kind = SelectField(_l("Type"), choices=choices(KIND_CHOICES), validate_choice=False)
    name = StringField(_l("Legal name or full name"))
    tax_id = StringField(_l("Tax ID"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    discount = PercentField(_l("Discount, %"), render_kw={"inputmode": "decimal"})
    credit_limit = MoneyField(_l("Credit limit"), render_kw={"inputmode": "decimal"})
    deferral_days = DaysField(_l("Payment deferral, days"), render_kw={"inputmode": "numeric"})

    def fill(self, client) -> None:
        self.kind.data = client.kind.value
        self.name.data = client.name
        self.tax_id.data = client.tax_id or ""
        self.discount.data = client.discount_bp
        self.credit_limit.data = client.credit_limit
        self.deferral_days.data = client.deferral_days

    def change(self) -> changes.ClientChange:
        return changes.ClientChange(
            kind=self.kind.data or "", name=self.name.data or "", tax_id=self.tax_id.data or "",
            discount_bp=self.discount.data, credit_limit=self.credit_limit.data,
            deferral_days=self.deferral_days.data)


class NewClientForm(ClientForm):
    phone = StringField(_l("Phone"), render_kw={"inputmode": "tel", "autocomplete": "off"})
    email = EmailField(_l("E-mail"))
    legal_address = StringField(_l("Legal address"))
    delivery_address = StringField(_l("Delivery address"))
    manager_id = SelectField(_l("Responsible manager"), coerce=_optional_int, validate_choice=False)

    def new_client(self) -> changes.NewClient:
        return changes.NewClient(
            **vars(self.change()), phone=self.phone.data or "", email=self.email.data or "",
            legal_address=self.legal_address.data or "", delivery_address=self.delivery_address.data or "",
            manager_id=self.manager_id.data)


# The terms edited in place on the card: the name in the address and the form, the card's field, how
# what was typed is read, and how the card's value is put back into the input.
TERM_INPUTS = {
    "discount": ("discount_bp", parse_percent, format_percent, "decimal"),
    "credit_limit": ("credit_limit", parse_money, format_money, "decimal"),
    "deferral_days": ("deferral_days", parse_days, lambda value: str(value), "numeric"),
}


def term_text(term: str, client) -> str:
    """The card's value of a term as the input shows it (\"12\", \"150000\", \"30\")."""
    key, _parse, show, _mode = TERM_INPUTS[term]
    return show(getattr(client, key))


class TermForm(FlaskForm):
    """One term typed on the card: the discount in percent, the credit limit, or the deferral in days."""

    value = StringField()

    def term_value(self, term: str) -> int | None:
        """The typed value as the service takes it; None when nothing was typed. ValueError when unreadable."""
        text = _squeeze(self.value.data or "")
        if not text:
            return None
        return TERM_INPUTS[term][1](text)


_DOTTED = re.compile(r"^([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})$")


def parse_date(text: str):
    """'1985-03-12' (what a date input sends) or '12.03.1985' -> a date; empty is None. ValueError otherwise."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        dotted = _DOTTED.match(value)
        if dotted:
            return date(int(dotted.group(3)), int(dotted.group(2)), int(dotted.group(1)))
        if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(_l("Enter a date, e.g. 1985-03-12."))


class DateTextField(_ParsedField):
    """A date input; what was typed is shown back as typed, a stored date as the input's ISO value."""

    widget = DateInput()
    parse = staticmethod(parse_date)
    show = staticmethod(lambda value: value.isoformat() if value else "")


class ClientDatesForm(FlaskForm):
    """The dates the automation rules remind of: set directly, without approval."""

    birthday = DateTextField(_l("Birthday"))
    contract_renewal_on = DateTextField(_l("Contract renewal date"))

    def fill(self, client) -> None:
        self.birthday.data = client.birthday
        self.contract_renewal_on.data = client.contract_renewal_on

    def dates(self) -> client_dates.ClientDates:
        return client_dates.ClientDates(birthday=self.birthday.data,
                                        contract_renewal_on=self.contract_renewal_on.data)


class AddressEntry(Form):
    kind = SelectField(_l("Type of address"), choices=choices([(AddressKind.LEGAL.value, _l("Legal address")),
                                                                (AddressKind.DELIVERY.value, _l("Delivery address"))]),
                       validate_choice=False)
    text = StringField(_l("Address"))


MAX_ROWS = client_contacts.MAX_CONTACTS + 10  # what a browser may send; the service allows MAX_CONTACTS


class ContactsForm(FlaskForm):
    phones = FieldList(StringField(_l("Phone"), render_kw={"inputmode": "tel", "autocomplete": "off"}),
                       max_entries=MAX_ROWS)
    emails = FieldList(EmailField(_l("E-mail")), max_entries=MAX_ROWS)
    addresses = FieldList(FormField(AddressEntry), max_entries=MAX_ROWS)

    def contacts(self) -> client_contacts.Contacts:
        return client_contacts.Contacts(
            phones=[entry.data or "" for entry in self.phones.entries],
            emails=[entry.data or "" for entry in self.emails.entries],
            addresses=[client_contacts.AddressInput(kind=entry.form.kind.data or "", text=entry.form.text.data or "")
                       for entry in self.addresses.entries])


BLANK_ROWS = 2


def contacts_data(client) -> dict:
    """The form's entries for a client: what it has, and a couple of empty rows to add more."""
    return {
        "phones": [display_phone(p.number) for p in client.phones] + [""] * BLANK_ROWS,
        "emails": [e.address for e in client.emails] + [""] * BLANK_ROWS,
        "addresses": [{"kind": a.kind.value, "text": a.text} for a in client.addresses]
        + [{"kind": AddressKind.DELIVERY.value, "text": ""}] * BLANK_ROWS,
    }


def _all_fields(form):
    for f in form:
        yield f
        if isinstance(f, FieldList):
            for entry in f.entries:
                yield entry
                if isinstance(entry, FormField):
                    yield from _all_fields(entry.form)


def show_errors(form, exc: ValidationError, only_unmarked: bool = False) -> None:
    """Put a service's errors next to the fields they name (`phones-0`, `addresses-1-text` ...);
    with `only_unmarked`, a field that shows a parsing error already keeps just that one."""
    by_name = {f.name: f for f in _all_fields(form)}
    for name, message in exc.fields.items():
        target = by_name.get(name)
        if target is None:
            if not only_unmarked:
                form.form_errors.append(str(message))
            continue
        if isinstance(target, FormField):
            continue
        if only_unmarked and target.errors:
            continue
        target.errors = list(target.errors) + [str(message)]


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class ClientFilterForm(Form):
    """The list's search, filters, order and page, read from the query string."""

    q = SearchField(_l("Search"))
    kind = SelectField(_l("Type"), choices=choices([("", _l("All types"))] + KIND_CHOICES), validate_choice=False)
    status = SelectField(_l("Status"), choices=choices([("", _l("Any status"))]
                                                        + [(s.value, CLIENT_STATUSES[s.value]) for s in ClientStatus]),
                         validate_choice=False)
    debt = SelectField(_l("Debt"), choices=choices([("", _l("Debt: any")), ("yes", _l("Owes money")),
                                                     ("no", _l("Owes nothing"))]), validate_choice=False)
    bonus = SelectField(_l("Bonus"), choices=choices([("", _l("Bonus: any")), ("yes", _l("Has bonus")),
                                                       ("no", _l("No bonus"))]), validate_choice=False)
    manager = SelectField(_l("Manager"), validate_choice=False)
    sort = StringField()
    dir = StringField()

    def query(self, page: int) -> ClientQuery:
        manager = self.manager.data or None
        if manager not in (None, UNASSIGNED):
            manager = _optional_int(manager)
        return ClientQuery(
            q=(self.q.data or "")[:100], kind=self.kind.data or None, status=self.status.data or None,
            has_debt=_yes_no(self.debt.data), has_bonus=_yes_no(self.bonus.data), manager=manager,
            sort=self.sort.data or SortKey.NAME.value, descending=self.dir.data == "desc", page=page)
