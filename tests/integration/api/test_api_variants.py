"""The web shop orders a size of a product sold by its sizes, never the product itself (issue 15)."""
from __future__ import annotations

from portal.extensions import db
from portal.models import Order

from ...factories import BOOTS, make_location, make_variant_catalogue


def test_an_order_for_the_product_itself_is_refused_and_one_for_a_size_is_placed(app, api):
    with app.app_context():
        make_variant_catalogue(make_location("warehouse", code="MAIN", is_main=True))
    refused = api.order([("БТ-2231", 1)])
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.get_json()["fields"] == {
        "lines[0].sku": f"Choose a size or variant of {BOOTS}: it is sold only as one of them."}
    placed = api.order([("БТ-2231/37", 1)])
    assert placed.status_code == 201, placed.get_data(as_text=True)
    assert [(line["sku"], line["qty"]) for line in placed.get_json()["lines"]] == [("БТ-2231/37", 1)]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Order.id))) == 1
