"""Administrator: a shop's quick keys on the till (add by SKU or barcode, reorder, remove)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import ValidationError
from portal.services.sales import quick_keys
from portal.services.staff import locations as location_service
from portal.web.admin.blueprint import bp


def _shop(location_id: int):
    location = location_service.get_location(location_id)
    if not location.is_shop:
        abort(404)
    return location


def _page(location, error: str | None = None, typed: str = "", status: int = 200):
    chosen = quick_keys.chosen_products(location.id)
    return render_template("admin/quick_keys.html", location=location, chosen=chosen,
                           best=[] if chosen else quick_keys.best_sellers(location.id),
                           max_keys=quick_keys.MAX_KEYS, grid_size=quick_keys.GRID_SIZE,
                           error=error, typed=typed), status


@bp.get("/locations/<int:location_id>/quick-keys")
def quick_keys_page(location_id: int):
    return _page(_shop(location_id))


@bp.post("/locations/<int:location_id>/quick-keys/add")
def quick_key_add(location_id: int):
    location = _shop(location_id)
    code = request.form.get("code", "")[:64]
    try:
        product = quick_keys.add_key(current_user, location.id, code)
    except ValidationError as exc:
        return _page(location, error=" ".join(str(m) for m in exc.fields.values()), typed=code, status=422)
    flash(_("%(name)s is on the quick keys.", name=product.name), "success")
    return redirect(url_for("admin.quick_keys_page", location_id=location.id))


@bp.post("/locations/<int:location_id>/quick-keys/<int:product_id>/move")
def quick_key_move(location_id: int, product_id: int):
    location = _shop(location_id)
    quick_keys.move_key(current_user, location.id, product_id, -1 if request.form.get("step") == "up" else 1)
    return redirect(url_for("admin.quick_keys_page", location_id=location.id))


@bp.post("/locations/<int:location_id>/quick-keys/<int:product_id>/remove")
def quick_key_remove(location_id: int, product_id: int):
    location = _shop(location_id)
    quick_keys.remove_key(current_user, location.id, product_id)
    return redirect(url_for("admin.quick_keys_page", location_id=location.id))
