"""Goods sold (SPEC §7 6): by SKU, with each product's catalogue section, and totals per section.

A line counts when its order was paid in the period (the sales rule of `common`): its quantity
and its amount after discounts (`price × qty − discount`, bonus spent included). Returns made in
the period are subtracted: their quantities and the value of what was taken back (money share
before any amount withheld, plus bonus given back). So net quantity and net sales per SKU add up
to the team's net sales of the same period, to the minor unit.

The section of a product is the one it is in now, shown with its path ("Tools / Drills"); the
chart sums net sales per such section (products outside the catalogue tree under "No section").

The figures are read from the goods sums kept by the sales and returns services
(`portal/daily_sums.py`): by month for the period's whole calendar months, by day for the rest.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import GoodsDay, GoodsMonth, Product, Section
from portal.services.statistics.common import in_days, period_label, team_sums_condition
from portal.services.statistics.periods import month_end, month_start, previous
from portal.services.statistics.report import Chart, ChartKind, Column, Period, Report, Series, ValueKind

MAX_ROWS = 1000
CHART_SECTIONS = 12


def _covering(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The period as whole calendar months (first and last month's first day, or None) and the days
    left over at either end (ranges of days, both ends included)."""
    first = period.start if period.start.day == 1 else month_end(period.start) + timedelta(days=1)
    last = period.end if period.end == month_end(period.end) else month_start(period.end) - timedelta(days=1)
    if first > last:
        return None, [(period.start, period.end)]
    days = [(a, b) for a, b in ((period.start, first - timedelta(days=1)), (last + timedelta(days=1), period.end))
            if a <= b]
    return (first, month_start(last)), days


def _facts(viewer, period: Period):
    """The team's goods sums covering the period: monthly rows for its whole months, daily rows
    for the days at either end."""
    months, days = _covering(period)
    columns = lambda t: (t.product_id.label("product_id"), t.sold.label("sold"), t.returned.label("returned"),  # noqa: E731
                         t.sales.label("sales"), t.returns.label("returns"))
    parts = []
    if months is not None:
        parts.append(db.select(*columns(GoodsMonth)).where(team_sums_condition(viewer, GoodsMonth),
                                                           GoodsMonth.month >= months[0], GoodsMonth.month <= months[1]))
    if days:
        parts.append(db.select(*columns(GoodsDay)).where(team_sums_condition(viewer, GoodsDay), db.or_(
            *[db.and_(*in_days(GoodsDay.day, Period(a, b))) for a, b in days])))
    return (db.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("lines")


def _sum(column):
    return db.func.coalesce(db.func.sum(column), 0)


def _figures(viewer, period: Period, with_rows: bool) -> tuple[list, tuple, dict]:
    """In one statement (the per-SKU sums are made once): the top SKUs (if `with_rows`), the
    totals (SKUs, sold, returned, net) and the net sales per section."""
    facts = _facts(viewer, period)
    per = (db.select(Product.sku.label("sku"), Product.name.label("name"), Product.section_id.label("section_id"),
                     _sum(facts.c.sold).label("sold"), _sum(facts.c.returned).label("returned"),
                     (_sum(facts.c.sales) - _sum(facts.c.returns)).label("net"))
           .select_from(facts).join(Product, Product.id == facts.c.product_id)
           .group_by(Product.id, Product.sku, Product.name, Product.section_id)).cte("per")
    text, number = db.cast(db.null(), db.String), db.cast(db.null(), db.BigInteger)
    parts = []
    if with_rows:
        top = (db.select(per).order_by(per.c.net.desc(), per.c.sku).limit(MAX_ROWS)).subquery("top")
        parts.append(db.select(db.literal(0).label("level"), top.c.sku, top.c.name, top.c.section_id, top.c.sold,
                               top.c.returned, top.c.net, number.label("n")))
    parts.append(db.select(db.literal(1), text, text, db.cast(db.null(), db.Integer), _sum(per.c.sold),
                           _sum(per.c.returned), _sum(per.c.net), db.func.count()))
    parts.append(db.select(db.literal(2), text, text, per.c.section_id, db.literal(0), db.literal(0),
                           _sum(per.c.net), number).group_by(per.c.section_id))
    found = db.session.execute(db.union_all(*parts)).all()
    rows = [r[1:7] for r in found if r[0] == 0]
    rows.sort(key=lambda r: (-int(r[5]), r[0]))
    _l, _sku, _name, _section, sold, returned, net, count = next(r for r in found if r[0] == 1)
    sections = {r[3]: int(r[6]) for r in found if r[0] == 2}
    return rows, (int(count or 0), int(sold), int(returned), int(net)), sections


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
    found, (count, all_sold, all_returned, all_net), sections = _figures(viewer, period, with_rows=True)
    paths = section_paths()
    no_section = _("No section")
    rows = tuple({"sku": sku, "product": name, "section": paths.get(section_id, no_section),
                  "sold": int(s), "returned": int(r), "net_qty": int(s) - int(r), "net": int(n)}
                 for sku, name, section_id, s, r, n in found)

    def totals_of(s, r, n) -> dict:
        return {"sold": int(s), "returned": int(r), "net_qty": int(s) - int(r), "net": int(n)}

    totals = totals_of(all_sold, all_returned, all_net)
    ordered = sorted(sections, key=lambda s: (-sections[s], paths.get(s, no_section)))[:CHART_SECTIONS]
    series = [Series(period_label(period.start, period.end), tuple(sections[s] for s in ordered))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        _rows, (_count, *earlier), sections_before = _figures(viewer, before, with_rows=False)
        previous_totals = totals_of(*earlier)
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
