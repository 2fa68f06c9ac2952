"""Administrator: the 1C exchange — its settings, 1C's warehouses and the locations they feed, the
last catalogue imports with their counts and refusals (in the reader's language), and where the
orders exchange stands."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.errors import NotFound
from portal.integrations.onec import refusals, warehouses
from portal.integrations.onec.status import exchange_status, last_activity
from portal.models import Location
from portal.services.staff import locations as location_service
from portal.web.admin.blueprint import bp
from portal.web.admin.forms import OnecWarehouseForm

# A kept refusal ({"code", "params"}, or the English text of an older import) in the reader's language.
bp.add_app_template_filter(refusals.describe, "refusal")


def _place(location: Location) -> str:
    return f"{location.code} · {location.name}"


def _mapping_form(row: warehouses.WarehouseRow, active: list[Location], formdata=None) -> OnecWarehouseForm:
    """The row's form: "not counted", every active location, and the current one even if it was closed."""
    choices = [SelectChoice("", _("— not counted —"))] + [SelectChoice(str(loc.id), _place(loc)) for loc in active]
    if row.location is not None and all(loc.id != row.location.id for loc in active):
        choices.append(SelectChoice(str(row.location.id), _("%(place)s (inactive)", place=_place(row.location))))
    form = OnecWarehouseForm(formdata=formdata, prefix=f"wh{row.id}",
                             data={"location_id": str(row.location.id) if row.location else ""})
    form.location_id.choices = choices
    return form


def _page(refused: tuple[int, OnecWarehouseForm] | None = None):
    status = exchange_status()
    rows = warehouses.listing()
    active = location_service.list_locations(active_only=True)
    forms = {row.id: _mapping_form(row, active) for row in rows}
    if refused is not None:
        forms[refused[0]] = refused[1]
    return render_template("admin/onec.html", status=status, last_activity=last_activity(status),
                           warehouses=rows, forms=forms, quantity=format_decimal)


@bp.get("/onec")
def onec():
    return _page()


@bp.post("/onec/warehouses/<int:warehouse_id>")
def onec_warehouse(warehouse_id: int):
    row = next((r for r in warehouses.listing() if r.id == warehouse_id), None)
    if row is None:
        raise NotFound(_("This 1C warehouse is not known to the portal."))
    form = _mapping_form(row, location_service.list_locations(active_only=True), formdata=request.form)
    if not form.validate_on_submit():
        return _page(refused=(row.id, form)), 422
    saved = warehouses.set_location(current_user, row.id, form.chosen_location_id)
    if saved.location_id is None:
        flash(_("%(warehouse)s is counted nowhere now: the next offers package from 1C leaves its stock out.",
                warehouse=row.name), "success")
    else:
        place = next(c.label for c in form.location_id.choices if str(c.value) == form.location_id.data)
        flash(_("%(warehouse)s feeds %(location)s now: the next offers package from 1C counts its stock there.",
                warehouse=row.name, location=place), "success")
    return redirect(url_for("admin.onec", _anchor="warehouses"), code=303)
