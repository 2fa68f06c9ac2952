"""Why one item of a 1C catalogue cannot be taken, said in the reader's language.

An import keeps each refusal (or note) as `{"code": ..., "params": {...}}` in its counts; the
admin's 1C page shows it through `describe`, translated, and the exchange's log and 1C's answer
get the English text (`english`). The messages are marked with `N_` for `make extract-messages`.
"""
from __future__ import annotations

from flask_babel import gettext


def N_(text: str) -> str:  # noqa: N802 - the usual name of the no-op extraction marker
    return text


MESSAGES = {
    "empty_id": N_("An item has an empty Ид"),
    "long_id": N_("Ид %(id)s is longer than %(limit)s characters"),
    "group_unnamed": N_("Group %(id)s has no name"),
    "bad_card": N_("Product %(id)s («%(name)s»): %(reason)s"),
    "bad_vat": N_("Product %(id)s («%(name)s»): the VAT rate «%(rate)s» is not one the portal knows"),
    "unknown_group": N_("Product %(id)s («%(name)s»): its group %(group)s is not in the classifier"),
    "barcode_taken": N_("%(what)s: the barcode %(barcode)s already belongs to the product %(sku)s"),
    "no_product": N_("Offer %(id)s («%(name)s»): no product with this Ид came in import.xml"),
    "no_parent": N_("Offer %(id)s («%(name)s»): its product %(parent)s did not come in import.xml, so the "
                    "size or characteristic has nothing to belong to"),
    "bad_price": N_("Offer %(id)s («%(name)s»): the price «%(price)s» is not a number of money"),
    "bad_quantity": N_("Offer %(id)s («%(name)s»): the quantity «%(quantity)s» is not a number"),
    "quantity_out_of_range": N_("Offer %(id)s («%(name)s»): the quantity %(quantity)s is out of range"),
    "fraction_rounded": N_("Offer %(id)s («%(name)s»): %(quantity)s %(unit)s in stock at %(place)s kept as "
                           "%(kept)s: the portal counts stock in whole units"),
    "not_saved": N_("%(id)s («%(name)s») could not be saved (%(reason)s)"),
    "variant_of_variant": N_("Offer %(id)s («%(name)s»): %(parent)s is itself a variant"),
}


class ItemRefused(ValueError):
    """One group, product or offer cannot be applied: `code` names the reason, `params` fill it in."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, {k: "" if v is None else str(v) for k, v in params.items()}
        super().__init__(english(self.entry()))

    def entry(self) -> dict:
        return {"code": self.code, "params": self.params}


def _text(template: str, params: dict) -> str:
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


def english(entry) -> str:
    if isinstance(entry, str):  # imports made before refusals had codes kept English text
        return entry
    return _text(MESSAGES.get(entry.get("code"), entry.get("code", "")), entry.get("params") or {})


def describe(entry) -> str:
    """The refusal in the reader's language."""
    if isinstance(entry, str):
        return entry
    template = MESSAGES.get(entry.get("code"))
    if template is None:
        return english(entry)
    return _text(gettext(template), entry.get("params") or {})
