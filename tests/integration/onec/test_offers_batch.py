"""Offers a batch at a time (integrations/onec/offers.py): the rules of one offer hold in a batch."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.integrations.onec import catalog, identity
from portal.integrations.onec.offers import OfferChange, apply_offers
from portal.models import AuditEvent, Barcode, Product, Stock, utcnow

from ...factories import make_location, make_product


@pytest.fixture
def boots(ctx):
    card = catalog.ProductCard("P1", "БТ-2231", "Ботфорты коричневые", "2000007314580", None, vat="18", unit="пар")
    parent_id, _ = catalog.upsert_product(card, utcnow())
    db.session.commit()
    return db.session.get(Product, parent_id)


def by_id(onec_id: str) -> Product | None:
    return db.session.scalar(db.select(Product).where(Product.onec_id == onec_id))


def codes(product: Product) -> list[str]:
    return sorted(db.session.scalars(db.select(Barcode.code).where(Barcode.product_id == product.id)))


def test_sizes_are_made_under_their_product_with_its_card(boots):
    main = make_location("warehouse", code="MAIN", is_main=True)
    result = apply_offers([
        OfferChange("P1#37", "Ботфорты коричневые (37)", price=5_990_00, levels={main.id: 2}),
        OfferChange("P1#38", "Ботфорты коричневые (38)", barcode="2000007314597", price=5_990_00, levels={main.id: 0}),
        OfferChange("P1#39", "Ботфорты коричневые (39)", barcode="2000007314580"),  # the product's own: not the size's
        OfferChange("NOPE#1", "Сирота (38)"),
        OfferChange("NOPE", "Без товара"),
    ], utcnow())
    db.session.commit()
    assert (result.applied, result.variants_created) == (3, 3)
    assert [r.code for r in result.refused] == ["no_parent", "no_product"]
    size_38 = by_id("P1#38")
    assert (size_38.sku, size_38.variant, size_38.parent_id, size_38.unit, size_38.vat_rate, size_38.article) == (
        "БТ-2231/38", "38", boots.id, "пар", "18", "БТ-2231")
    assert codes(size_38) == ["2000007314597"] and codes(by_id("P1#39")) == []
    assert by_id("P1#39").price == 0  # no price in the offer: the product's
    assert db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == by_id("P1#37").id)) == 2
    created = db.session.scalars(db.select(AuditEvent.object_id).where(AuditEvent.action == "1c:product_created",
                                                                       AuditEvent.object_type == "products"))
    assert {by_id(f"P1#{n}").id for n in (37, 38, 39)} <= set(created)


def test_skus_stay_unique_within_a_batch_and_against_the_catalogue(boots):
    make_product("БТ-2231/40", 1_00)
    result = apply_offers([OfferChange("P1#40a", "Ботфорты коричневые (40)"),
                           OfferChange("P1#40b", "Ботфорты коричневые (40)")], utcnow())
    db.session.commit()
    assert result.applied == 2
    assert (by_id("P1#40a").sku, by_id("P1#40b").sku) == ("БТ-2231/40-2", "БТ-2231/40-3")


def test_a_barcode_held_by_another_product_or_wanted_twice_refuses_only_that_offer(boots):
    other = make_product("OTHER", 1_00)
    db.session.add(Barcode(product_id=other.id, code="4607012345011"))
    db.session.commit()
    result = apply_offers([OfferChange("P1#37", "(37)", barcode="4607012345011"),
                           OfferChange("P1#38", "(38)", barcode="2000000000015"),
                           OfferChange("P1#39", "(39)", barcode="2000000000015")], utcnow())
    db.session.commit()
    assert result.applied == 1 and sorted(r.code for r in result.refused) == ["barcode_taken", "barcode_taken"]
    assert by_id("P1#37") is None and by_id("P1#39") is None and codes(by_id("P1#38")) == ["2000000000015"]
    assert "OTHER" in str(next(r for r in result.refused if "4607012345011" in str(r)))


def test_a_size_renamed_or_rebarcoded_in_1c_follows_and_is_audited(boots):
    apply_offers([OfferChange("P1#38", "Ботфорты коричневые (38)", barcode="2000000000015", price=10_00)], utcnow())
    db.session.commit()
    apply_offers([OfferChange("P1#38", "Ботфорты коричневые, новые (38)", barcode="2000000000022", price=12_00)],
                 utcnow())
    db.session.commit()
    size = by_id("P1#38")
    assert (size.name, size.price, codes(size)) == ("Ботфорты коричневые, новые (38)", 12_00, ["2000000000022"])
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.object_id == size.id,
                                                                         AuditEvent.object_type == "products")
                                      .order_by(AuditEvent.id)))
    assert actions == ["1c:product_created", "1c:product_updated", "1c:product_price_changed"]


def test_a_product_card_hands_its_section_vat_and_being_off_sale_down_to_its_sizes(boots):
    apply_offers([OfferChange("P1#38", "Ботфорты коричневые (38)")], utcnow())
    db.session.commit()
    card = catalog.ProductCard("P1", "БТ-2231", "Ботфорты коричневые", "", None, deleted=True, vat="20")
    catalog.upsert_product(card, utcnow())
    db.session.commit()
    db.session.expire_all()
    size = by_id("P1#38")
    assert (size.vat_rate, size.active) == ("20", False)


def test_identity_rules():
    assert identity.variant_label("Свитер (M, серый)", "Свитер", ["M", "серый"]) == "M, серый"
    assert identity.variant_label("Женские ботфорты чёрные (39)", "Женские ботфорты чёрные", []) == "39"
    assert identity.variant_label("Носки 39-41", "Носки", []) == "39-41"
    assert identity.variant_label("Что-то другое", "Носки", []) == "Что-то другое"
    assert identity.variant_tail("M, серый") == "M-серый"
    assert identity.clean_article("  КР-050\u00a0 ") == "КР-050"
