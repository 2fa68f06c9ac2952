"""Charts of the statistics reports as inline SVG, from hand-made `Chart` values.

Every chart must be well-formed XML that a page can embed under the site's Content-Security-Policy
(no `style` attributes, no scripts, no links), with the right number of bars or points, text
escaped, a readable axis, and the same string for the same chart.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from portal import create_app
from portal.documents.charts import PALETTE, nice_ticks, render_drawing, render_svg
from portal.services.statistics.report import Chart, ChartKind, Series, ValueKind

from ..conftest import TEST_CONFIG

SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"

MONTHS = ("Jan 2026", "Feb 2026", "Mar 2026")
BARS = Chart(ChartKind.BARS, MONTHS, (Series("Current period", (1_234_500, 2_000_000, 987_654)),
                                      Series("Previous period", (1_000_000, 1_500_000, 1_200_000))))
HBARS = Chart(ChartKind.HBARS,
              ("Ivanov", "Petrov & Sons <wholesale> department of the northern region, Moscow", "Sidorova"),
              (Series("Sales", (98_765_432, 45_000_000, 5_000)),))
LINE = Chart(ChartKind.LINE, tuple(f"2026-03-{day:02d}" for day in range(1, 32)),
             (Series("New clients", tuple(day % 7 for day in range(1, 32))),
              Series("Previous period", tuple(day % 5 for day in range(1, 32)))), unit=ValueKind.INT)
FUNNEL = Chart(ChartKind.FUNNEL, ("Created", "Confirmed", "Paid"), (Series("Orders", (1200, 860, 731)),),
               unit=ValueKind.INT)
ALL = {"bars": BARS, "hbars": HBARS, "line": LINE, "funnel": FUNNEL}


@pytest.fixture(scope="module")
def web():
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture
def svg(web):
    """svg(chart, language="en", **options) -> (markup, parsed root)."""

    def draw(chart: Chart, language: str = "en", **options):
        with web.test_request_context("/", headers={"Accept-Language": language}):
            markup = render_svg(chart, **options)
        return markup, ET.fromstring(markup)

    return draw


def find(root, tag: str, cls: str | None = None) -> list:
    return [e for e in root.iter(SVG + tag) if cls is None or e.get("class") == cls]


def shown(text) -> str:
    """What a <text> shows: its lines (<tspan>s) joined by a space, without its <title>."""
    lines = [tspan.text for tspan in text.findall(SVG + "tspan")]
    return " ".join(lines) if lines else text.text


def texts(root, cls: str) -> list[str]:
    return [shown(e) for e in find(root, "text", cls)]


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_kind_is_safe_accessible_xml(svg, kind):
    markup, root = svg(ALL[kind], title="Sales & returns <2026>")
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Sales & returns <2026>"
    assert root[0].tag == SVG + "title" and root[0].text == "Sales & returns <2026>"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.get("class") == f"chart chart-{kind}"
    # Nothing the Content-Security-Policy (or a careful reviewer) would refuse.
    for element in root.iter():
        assert "style" not in element.attrib, element.tag
        assert not any(name.endswith("href") or name.startswith("on") for name in element.attrib), element.attrib
        assert element.tag.removeprefix(SVG) not in {"script", "style", "foreignObject", "image", "a", "use"}
    assert "style=" not in markup and "<script" not in markup.lower() and "url(" not in markup
    assert "&lt;2026&gt;" in markup and "&amp;" in markup


@pytest.mark.parametrize("kind", sorted(ALL))
def test_the_same_chart_gives_the_same_string(svg, kind):
    assert svg(ALL[kind])[0] == svg(ALL[kind])[0]


def test_bars_one_per_label_and_series_with_colours_and_a_legend(svg):
    markup, root = svg(BARS)
    bars = find(root, "rect", "chart-bar")
    assert len(bars) == 6
    assert [bar.get("fill") for bar in bars] == [PALETTE[0], PALETTE[1]] * 3
    assert PALETTE[1] != PALETTE[0]
    # Tooltips carry the label, the series and the exact amount.
    assert bars[0].find(SVG + "title").text == "Jan 2026 — Current period: 12,345.00" + NBSP + "₽"
    assert bars[5].find(SVG + "title").text == "Mar 2026 — Previous period: 12,000.00" + NBSP + "₽"
    assert len(find(root, "rect", "chart-legend")) == 2
    assert "Current period" in markup and "Previous period" in markup
    assert texts(root, "chart-label") == list(MONTHS)
    # Axis ticks in whole roubles; the sign once, above them.
    assert texts(root, "chart-tick") == ["0", "5,000", "10,000", "15,000", "20,000"]
    assert texts(root, "chart-unit") == ["₽"]
    # Bars stand on the zero line and the taller value is the taller bar.
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[2] == max(heights)
    bottoms = [float(bar.get("y")) + float(bar.get("height")) for bar in bars]
    assert max(bottoms) - min(bottoms) < 0.2


def test_single_series_bars_have_no_legend_and_show_values_in_the_readers_format(svg):
    chart = Chart(ChartKind.BARS, ("Q1", "Q2"), (Series("Sales", (1_234_567, 7_654_321)),))
    _markup, root = svg(chart, "ru")
    assert find(root, "rect", "chart-legend") == []
    assert len(find(root, "rect", "chart-bar")) == 2
    assert texts(root, "chart-value") == [f"12{NBSP}345,67{NBSP}₽", f"76{NBSP}543,21{NBSP}₽"]
    assert texts(root, "chart-tick") == ["0", f"20{NBSP}000", f"40{NBSP}000", f"60{NBSP}000", f"80{NBSP}000"]


def test_negative_bars_hang_below_the_zero_line(svg):
    chart = Chart(ChartKind.BARS, ("Jan", "Feb"), (Series("Change", (-150_000, 300_000)),))
    _markup, root = svg(chart)
    down, up = find(root, "rect", "chart-bar")
    assert abs(float(down.get("y")) - (float(up.get("y")) + float(up.get("height")))) < 0.2
    assert texts(root, "chart-tick")[0].startswith("-")


def test_hbars_truncate_long_labels_and_keep_the_full_text_in_a_title(svg):
    markup, root = svg(HBARS)
    assert len(find(root, "rect", "chart-bar")) == 3
    labels = find(root, "text", "chart-label")
    assert labels[0].text == "Ivanov"
    long = labels[1]
    # Broken into two lines (the row has the height), the second cut short.
    assert len(long.findall(SVG + "tspan")) == 2
    assert shown(long).endswith("…") and shown(long).startswith("Petrov & Sons <wholesale>")
    assert long.find(SVG + "title").text == HBARS.labels[1]
    assert labels[0].find(SVG + "title") is None       # short labels are not repeated
    assert "Petrov &amp; Sons &lt;wholesale&gt;" in markup
    # Values written at the bars; millions of roubles on the axis in compact form.
    assert texts(root, "chart-value") == [f"987,654.32{NBSP}₽", f"450,000.00{NBSP}₽", f"50.00{NBSP}₽"]
    assert texts(root, "chart-tick") == ["0", "200K", "400K", "600K", "800K", "1M"]


def test_hbars_grow_to_give_many_labels_readable_rows(svg):
    chart = Chart(ChartKind.HBARS, tuple(f"Client {i}" for i in range(40)),
                  (Series("Sales", tuple(range(40, 0, -1))),), unit=ValueKind.INT)
    _markup, root = svg(chart, height=320)
    assert float(root.get("height")) > 320
    ys = [float(label.get("y")) for label in find(root, "text", "chart-label")]
    assert min(b - a for a, b in zip(ys, ys[1:])) >= 14


def test_line_one_polyline_per_series_and_a_point_per_value(svg):
    _markup, root = svg(LINE)
    lines = find(root, "polyline", "chart-line")
    assert len(lines) == 2
    assert {line.get("stroke") for line in lines} == {PALETTE[0], PALETTE[1]}
    assert all(len(line.get("points").split()) == 31 for line in lines)
    points = find(root, "circle", "chart-point")
    assert len(points) == 62
    assert points[-1].find(SVG + "title").text == "2026-03-31 — New clients: 3"
    # 31 dates do not fit side by side: every k-th is shown, whole, without overlapping.
    shown = find(root, "text", "chart-label")
    assert 3 <= len(shown) < 31
    assert all(label.find(SVG + "title") is None for label in shown)
    assert shown[0].text == "2026-03-01"
    xs = [float(label.get("x")) for label in shown]
    assert min(b - a for a, b in zip(xs, xs[1:])) > 70
    # Counts: integer ticks and no currency sign.
    assert texts(root, "chart-tick") == ["0", "2", "4", "6"]
    assert texts(root, "chart-unit") == []


def test_a_line_of_one_value_is_a_point(svg):
    _markup, root = svg(Chart(ChartKind.LINE, ("March",), (Series("Sales", (5_000,)),)))
    assert find(root, "polyline") == [] and len(find(root, "circle", "chart-point")) == 1


def test_funnel_bars_decrease_centred_with_value_and_share_of_the_first_stage(svg):
    _markup, root = svg(FUNNEL)
    bars = find(root, "rect", "chart-bar")
    assert len(bars) == 3
    widths = [float(bar.get("width")) for bar in bars]
    assert widths == sorted(widths, reverse=True)
    centres = [float(bar.get("x")) + float(bar.get("width")) / 2 for bar in bars]
    assert max(centres) - min(centres) < 0.2  # coordinates are written to a tenth of a pixel
    assert texts(root, "chart-value") == [f"1,200 · 100{NBSP}%", f"860 · 71.67{NBSP}%", f"731 · 60.92{NBSP}%"]
    assert len(find(root, "polygon", "chart-link")) == 2
    _markup, root = svg(FUNNEL, "ru")
    assert texts(root, "chart-value")[1] == f"860 · 71,67{NBSP}%"


def test_funnel_compared_with_the_previous_period(svg):
    chart = Chart(ChartKind.FUNNEL, ("Created", "Paid"), (Series("Now", (10, 5)), Series("Before", (8, 8))),
                  unit=ValueKind.INT)
    _markup, root = svg(chart)
    assert [bar.get("fill") for bar in find(root, "rect", "chart-bar")] == [PALETTE[0], PALETTE[1]] * 2
    assert len(find(root, "rect", "chart-legend")) == 2
    assert texts(root, "chart-value") == [f"10 · 100{NBSP}%", f"8 · 100{NBSP}%", f"5 · 50{NBSP}%", f"8 · 100{NBSP}%"]


@pytest.mark.parametrize("chart", [
    Chart(ChartKind.BARS, (), ()),
    Chart(ChartKind.LINE, ("Jan", "Feb"), ()),
    Chart(ChartKind.HBARS, ("A", "B"), (Series("Sales", (0, 0)),)),
    Chart(ChartKind.FUNNEL, ("Created", "Paid"), (Series("Now", (0, 0)), Series("Before", (0, 0)))),
])
def test_an_empty_chart_says_so(svg, chart):
    markup, root = svg(chart, title="Sales")
    assert float(root.get("height")) < 100
    assert texts(root, "chart-empty") == ["No data for this period"]
    assert root.get("aria-label") == "Sales: No data for this period"
    assert find(root, "rect", "chart-bar") == [] and "style=" not in markup


def test_labels_and_names_are_escaped_and_control_characters_dropped(svg):
    chart = Chart(ChartKind.BARS, ('<script>alert("x")</script>', "Tom & Jerry\x07"),
                  (Series("A\x00 \"quoted\" 'series'", (1, 2)), Series("B", (2, 1))), unit=ValueKind.INT)
    markup, root = svg(chart, title="</title><script>")
    assert "<script" not in markup
    assert root[0].text == "</title><script>"
    assert texts(root, "chart-label") == ['<script>alert("x")</script>', "Tom & Jerry"]
    assert find(root, "rect", "chart-bar")[0].find(SVG + "title").text.endswith('A "quoted" \'series\': 1')


def test_values_and_labels_must_match():
    chart = Chart(ChartKind.BARS, ("Jan", "Feb"), (Series("Sales", (1,)),))
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context("/"), pytest.raises(ValueError):
        render_svg(chart)


@pytest.mark.parametrize("low, high, expected", [
    (0, 7, [0, 2, 4, 6, 8]),
    (0, 100, [0, 20, 40, 60, 80, 100]),
    (0, 101, [0, 25, 50, 75, 100, 125]),
    (0, 12, [0, 5, 10, 15]),
    (0, 1, [0, 1, 2, 3]),
    (0, 0, [0, 1, 2, 3]),
    (-30, 100, [-50, 0, 50, 100]),
    (-7, -3, [-8, -6, -4, -2, 0]),
    (0, 98_765_432, [0, 20_000_000, 40_000_000, 60_000_000, 80_000_000, 100_000_000]),
    (0, 35_900_000, [0, 10_000_000, 20_000_000, 30_000_000, 40_000_000]),
])
def test_nice_ticks(low, high, expected):
    assert nice_ticks(low, high) == expected


@pytest.mark.parametrize("high", [1, 3, 9, 11, 49, 99, 123, 999, 1_001, 77_777, 250_001, 10**9 + 7])
def test_ticks_are_four_to_six_nice_steps_covering_the_values(high):
    ticks = nice_ticks(0, high)
    assert 4 <= len(ticks) <= 6
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = re.sub(r"0+$", "", str(step)) or "0"
    assert mantissa in {"1", "2", "25", "5"}
    assert ticks[0] == 0 and ticks[-1] >= high
    assert ticks[-2] < high or len(ticks) == 4  # the last tick is needed, unless to make up four


def test_the_pdf_drawing_comes_from_the_same_layout(web):
    from reportlab.graphics.shapes import String

    with web.test_request_context("/"):
        drawing = render_drawing(HBARS, width=500)
    assert round(drawing.width) == 500
    strings = [node.text for node in drawing.getContents()[0].contents if isinstance(node, String)]
    assert "Ivanov" in strings and f"987,654.32{NBSP}₽" in strings
