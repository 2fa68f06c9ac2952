"""Goods sold (SPEC §7 6): by SKU, with each product's catalogue section, and totals per section.

A line counts when its order was paid in the period (the sales rule of `common`): its quantity
and its amount after discounts (`price × qty − discount`, bonus spent included). Returns made in
the period are subtracted: their quantities and the value of what was taken back (money share
before any amount withheld, plus bonus given back). So net quantity and net sales per SKU add up
to the team's net sales of the same period, to the minor unit.

The section of a product is the one it is in now, shown with its path ("Tools / Drills"); the
chart sums net sales per such section (products outside the catalogue tree under "No section").
"""
from __future__ import annotations

from flask_babel import gettext as _

from ...extensions import db
from ...models import Client, Order, OrderLine, Product, Return, ReturnLine, Section
from ..order_list import visible_orders_condition
from .common import in_span, period_label
from .periods import Span, previous, span_of
from .report import Chart, ChartKind, Column, Period, Report, Series, ValueKind

MAX_ROWS = 1000
CHART_SECTIONS = 12


def _facts(viewer, span: Span):
    """One row per line sold or returned in `span`: product, quantities, amounts."""
    seen = visible_orders_condition(viewer)
    zero = db.literal_column("0")
    sold = (db.select(OrderLine.product_id.label("product_id"), OrderLine.qty.label("sold"),
                      zero.label("returned"), (OrderLine.price * OrderLine.qty - OrderLine.discount).label("sales"),
                      zero.label("returns"))
            .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
            .outerjoin(Client, Client.id == Order.client_id)
            .where(seen, Order.paid_at.is_not(None), *in_span(Order.paid_at, span)))
    back = (db.select(OrderLine.product_id.label("product_id"), zero.label("sold"), ReturnLine.qty.label("returned"),
                      zero.label("sales"), (ReturnLine.refund + ReturnLine.bonus_restored).label("returns"))
            .select_from(ReturnLine).join(Return, Return.id == ReturnLine.return_id)
            .join(OrderLine, OrderLine.id == ReturnLine.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .outerjoin(Client, Client.id == Order.client_id)
            .where(seen, *in_span(Return.created_at, span)))
    return db.union_all(sold, back).subquery("lines")


def _sum(column):
    return db.func.coalesce(db.func.sum(column), 0)


def _per_section(viewer, span: Span) -> dict[int | None, int]:
    facts = _facts(viewer, span)
    rows = db.session.execute(
        db.select(Product.section_id, _sum(facts.c.sales) - _sum(facts.c.returns))
        .select_from(facts).join(Product, Product.id == facts.c.product_id).group_by(Product.section_id)).all()
    return {section: int(net) for section, net in rows}


def section_paths() -> dict[int, str]:
    """Every catalogue section's path, e.g. "Tools / Drills" (the tree is small: read it once)."""
    nodes = {sid: (parent, name) for sid, parent, name in db.session.execute(
        db.select(Section.id, Section.parent_id, Section.name)).all()}
    paths: dict[int, str] = {}
    for sid in nodes:
        names, node, seen = [], sid, set()
        while node is not None and node in nodes and node not in seen:
            seen.add(node)
            parent, name = nodes[node]
            names.append(name)
            node = parent
        paths[sid] = " / ".join(reversed(names))
    return paths


def goods_sold(viewer, period: Period, compare: bool) -> Report:
    """Per SKU sold or returned in the period: its section, units sold, units returned, net units
    and net sales; sorted by net sales. Chart: net sales per catalogue section."""
    span = span_of(period)
    facts = _facts(viewer, span)
    sold, returned = _sum(facts.c.sold), _sum(facts.c.returned)
    net = _sum(facts.c.sales) - _sum(facts.c.returns)
    per_sku = (db.select(Product.id, Product.sku, Product.name, Product.section_id, sold.label("sold"),
                         returned.label("returned"), net.label("net"))
               .select_from(facts).join(Product, Product.id == facts.c.product_id)
               .group_by(Product.id, Product.sku, Product.name, Product.section_id)).subquery()
    found = db.session.execute(
        db.select(per_sku.c.sku, per_sku.c.name, per_sku.c.section_id, per_sku.c.sold, per_sku.c.returned,
                  per_sku.c.net).order_by(per_sku.c.net.desc(), per_sku.c.sku).limit(MAX_ROWS)).all()
    count, all_sold, all_returned, all_net = db.session.execute(db.select(
        db.func.count(), _sum(per_sku.c.sold), _sum(per_sku.c.returned), _sum(per_sku.c.net))).one()
    paths = section_paths()
    no_section = _("No section")
    rows = tuple({"sku": sku, "product": name, "section": paths.get(section_id, no_section),
                  "sold": int(s), "returned": int(r), "net_qty": int(s) - int(r), "net": int(n)}
                 for sku, name, section_id, s, r, n in found)

    def totals_of(s, r, n) -> dict:
        return {"sold": int(s), "returned": int(r), "net_qty": int(s) - int(r), "net": int(n)}

    totals = totals_of(all_sold, all_returned, all_net)
    sections = _per_section(viewer, span)
    ordered = sorted(sections, key=lambda s: (-sections[s], paths.get(s, no_section)))[:CHART_SECTIONS]
    series = [Series(period_label(period.start, period.end), tuple(sections[s] for s in ordered))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        before_span = span_of(before)
        earlier = _facts(viewer, before_span)
        previous_totals = totals_of(*db.session.execute(db.select(
            _sum(earlier.c.sold), _sum(earlier.c.returned), _sum(earlier.c.sales) - _sum(earlier.c.returns))).one())
        sections_before = _per_section(viewer, before_span)
        series.append(Series(period_label(before.start, before.end),
                             tuple(sections_before.get(s, 0) for s in ordered)))
    note = _("Lines of orders paid in the period, at their amount after discounts, less the goods returned in the "
             "period at the value taken back. Sections are the products' sections now.")
    if count > MAX_ROWS:
        note += " " + _("Shown are the %(top)d SKUs with the highest net sales of %(all)d; the totals cover all "
                        "of them.", top=MAX_ROWS, all=count)
    return Report(
        key="goods_sold", title=_("Goods sold"), period=period,
        columns=(Column("sku", _("SKU"), ValueKind.TEXT), Column("product", _("Product"), ValueKind.TEXT),
                 Column("section", _("Section"), ValueKind.TEXT), Column("sold", _("Sold"), ValueKind.INT),
                 Column("returned", _("Units returned"), ValueKind.INT), Column("net_qty", _("Net quantity"), ValueKind.INT),
                 Column("net", _("Net sales"), ValueKind.MONEY)),
        rows=rows, totals=totals, previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.HBARS, tuple(paths.get(s, no_section) for s in ordered), tuple(series),
                    ValueKind.MONEY) if ordered else None,
        note=note)
