"""Administrator: staff accounts, shops and warehouses, audit log."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import AuditEvent, Client, LocationKind, Product, Role, User
from portal.services.staff import locations as location_service
from portal.services.staff import staff as staff_service
from portal.web.admin.blueprint import bp
from portal.web.admin.forms import LocationForm, NewStaffForm, StaffForm
from portal.web.forms import apply_errors
from portal.web.staff_actions import set_active_and_say


@bp.get("/")
def home():
    by_role = {role.value: n for role, n in db.session.execute(
        db.select(User.role, db.func.count(User.id)).where(User.active.is_(True)).group_by(User.role))}
    counts = {
        "clients": db.session.scalar(db.select(db.func.count(Client.id))),
        "products": db.session.scalar(db.select(db.func.count(Product.id))),
        "locked": staff_service.locked_count(),
    }
    events = list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)))
    return render_template("admin/home.html", by_role=by_role, counts=counts, events=events,
                           locations=location_service.list_locations(), stock=location_service.stock_summary())


def _fill_choices(form: StaffForm) -> None:
    form.supervisor_id.choices = [SelectChoice("", "—")] + [SelectChoice(u.id, u.name) for u in staff_service.supervisors()]
    form.shop_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(loc.id, f"{loc.code} · {loc.name}")
        for loc in location_service.list_locations(LocationKind.SHOP, active_only=True)]


def _staff_input(form: StaffForm) -> staff_service.StaffInput:
    return staff_service.StaffInput(
        email=form.email.data or "", name=form.name.data or "", role=form.role.data or "",
        phone=form.phone.data or "", supervisor_id=form.supervisor_id.data, shop_id=form.shop_id.data,
        hired_on=form.hired_on.data, locale=form.locale.data or None)


@bp.get("/staff")
def staff():
    role = request.args.get("role") or None
    if role and role not in {r.value for r in Role}:
        role = None
    query = request.args.get("q", "")[:100]
    people = staff_service.list_staff(role=role, query=query)
    return render_template("admin/staff_list.html", people=people, role=role, query=query)


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new():
    form = NewStaffForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            user, password = staff_service.create_staff(current_user, _staff_input(form),
                                                        password=form.password.data or None)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return render_template("admin/password_shown.html", user=user, password=password, created=True)
    return render_template("admin/staff_form.html", form=form, user=None), 200 if request.method == "GET" else 422


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
def staff_edit(user_id: int):
    user = staff_service.get_staff(user_id)
    form = StaffForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
        form.locale.data = user.locale or ""
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            staff_service.update_staff(current_user, user.id, _staff_input(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Changes to %(name)s have been saved.", name=user.name), "success")
            return redirect(url_for("admin.staff"))
    events = list(db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.object_type == "users", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id.desc()).limit(20)))
    return (render_template("admin/staff_form.html", form=form, user=user, events=events),
            200 if request.method == "GET" else 422)


@bp.post("/staff/<int:user_id>/active")
def staff_set_active(user_id: int):
    active = request.form.get("active") == "1"
    set_active_and_say(lambda: staff_service.set_active(current_user, user_id, active), active)
    return redirect(url_for("admin.staff_edit", user_id=user_id))


@bp.post("/staff/<int:user_id>/reset-password")
def staff_reset_password(user_id: int):
    password = staff_service.reset_password(current_user, user_id)
    user = staff_service.get_staff(user_id)
    return render_template("admin/password_shown.html", user=user, password=password, created=False)


@bp.get("/locations")
def locations():
    return render_template("admin/locations.html", locations=location_service.list_locations(),
                           stock=location_service.stock_summary())


def _location_input(form: LocationForm) -> location_service.LocationInput:
    return location_service.LocationInput(
        code=form.code.data or "", name=form.name.data or "", kind=form.kind.data or "",
        address=form.address.data or "", phone=form.phone.data or "", is_main=bool(form.is_main.data),
        active=bool(form.active.data), fiscal_register_url=form.fiscal_register_url.data or "")


@bp.route("/locations/new", methods=["GET", "POST"])
def location_new():
    form = LocationForm()
    if request.method == "GET":
        form.active.data = True
    if form.validate_on_submit():
        try:
            location = location_service.create_location(current_user, _location_input(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(_("%(name)s has been added.", name=location.name), "success")
            return redirect(url_for("admin.locations"))
    return render_template("admin/location_form.html", form=form, location=None), \
        200 if request.method == "GET" else 422


@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
def location_edit(location_id: int):
    location = location_service.get_location(location_id)
    form = LocationForm(obj=location if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = location.kind.value
    if form.validate_on_submit():
        try:
            location_service.update_location(current_user, location.id, _location_input(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Changes to %(name)s have been saved.", name=location.name), "success")
            return redirect(url_for("admin.locations"))
    return render_template("admin/location_form.html", form=form, location=location), \
        200 if request.method == "GET" else 422


@bp.get("/audit")
def audit():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = 50
    events = db.paginate(db.select(AuditEvent).order_by(AuditEvent.id.desc()), page=page, per_page=per_page,
                         error_out=False)
    return render_template("admin/audit.html", events=events)


