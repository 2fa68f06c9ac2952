"""Charts of the statistics reports (SPEC §7): inline SVG for the pages, reportlab drawings for the PDF.

Both are drawn from one layout of plain shapes (`_layout`), so a report's chart looks the same on
the screen and on paper. Text widths are measured with the DejaVu Sans metrics the PDF embeds
(a rather wide font, so on screen, in the page's own font, text has room to spare).

The SVG is self-contained and safe to put into a page as it is: no scripts, no links, no external
fonts, no `style` attributes (the site's Content-Security-Policy forbids inline styles; colours and
fonts are SVG presentation attributes), every text XML-escaped, and the same chart always gives
the same string. Amounts of a MONEY chart are minor units: values are written with `money()`,
axis ticks in major units ("25,000"; "2.5M" from a million up). Geometry is float pixels;
amounts are never floats.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from babel.numbers import format_compact_decimal
from babel.numbers import format_decimal as babel_decimal
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from portal.documents import BOLD, REGULAR, register_fonts
from portal.i18n import currency_sign, money, percent_bp
from portal.services.statistics.report import Chart, ChartKind, ValueKind

# A fixed palette, each colour at least 3:1 against white (WCAG 1.4.11): the current period
# first, the previous period grey, then four more for charts with more series.
PALETTE = ("#2563eb", "#878e99", "#c2410c", "#059669", "#7c3aed", "#0e7490")
TEXT = "#1f2937"
MUTED = "#4b5563"
GRID = "#e5e7eb"
AXIS = "#6b7280"
FUNNEL_LINK = "#dbe4f3"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"

LABEL_SIZE = 12       # category labels, legend
SMALL_SIZE = 11       # ticks, values
LINE_GAP = 13         # between the two lines of a wrapped label
MIN_TICKS, MAX_TICKS = 4, 6
EMPTY_HEIGHT = 64


# -- public ---------------------------------------------------------------------------------------

def render_svg(chart: Chart, *, width: int = 720, height: int = 320, title: str = "") -> str:
    """The chart as an inline SVG document (a string of markup, safe to insert as it is).

    HBARS and FUNNEL take the height their rows need: `height` shared by the rows, but never rows
    too thin to read (the chart grows) nor needlessly fat (it shrinks).
    An empty chart (no labels, no series or only zeros) is a small SVG saying so.
    Needs a Flask application context (translations, the reader's number format).
    """
    return _svg(_layout(chart, width, height), title=title or ", ".join(s.name for s in chart.series))


def render_drawing(chart: Chart, *, width: float, max_height: float | None = None, scale: float = 0.72):
    """The chart as a reportlab Drawing `width` points wide (for PDF), from the same layout as the SVG.

    The layout is made `width / scale` pixels wide and shrunk by `scale`, so 12 px text becomes
    about 8.6 pt; a drawing taller than `max_height` is shrunk further to fit.
    """

    scene = _layout(chart, max(int(round(width / scale)), 200), 320)
    factor = width / scene.width
    if max_height is not None and scene.height * factor > max_height:
        factor = max_height / scene.height
    group = Group(*_reportlab_shapes(scene))
    group.transform = (factor, 0, 0, factor, 0, 0)
    drawing = Drawing(scene.width * factor, scene.height * factor)
    drawing.add(group)
    return drawing


def is_empty(chart: Chart) -> bool:
    """No labels, no series, or nothing but zeros: drawn as "No data for this period"."""
    return not chart.labels or not chart.series or all(v == 0 for s in chart.series for v in s.values)


def nice_ticks(low: int, high: int) -> list[int]:
    """4–6 evenly spaced integer ticks covering [min(low, 0), max(high, 0)], spaced by 1, 2, 2.5 or 5 × 10^n.

    Spacing is an integer (2.5 only from 25 up), so the ticks are exact in the values' own units
    (minor units for money).
    """
    low, high = min(int(low), 0), max(int(high), 0)
    if low == high:
        high = 1
    for step in _steps():
        first = (low // step) * step
        last = -(-high // step) * step
        if (last - first) // step + 1 <= MAX_TICKS:
            break
    while (last - first) // step + 1 < MIN_TICKS:
        if high > 0 or low == 0:
            last += step
        else:
            first -= step
    return list(range(first, last + 1, step))


def _steps():
    yield from (1, 2, 5)
    power = 10
    while True:
        for mantissa in (10, 20, 25, 50):
            yield mantissa * power // 10
        power *= 10


# -- shapes ---------------------------------------------------------------------------------------
# y grows downwards, as in SVG; the reportlab side flips it.

@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    cls: str = ""
    tip: str = ""
    rx: float = 0


@dataclass(frozen=True)
class _Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1


@dataclass(frozen=True)
class _Path:
    points: tuple[tuple[float, float], ...]
    stroke: str = "none"
    fill: str = "none"
    width: float = 2
    cls: str = ""
    closed: bool = False


@dataclass(frozen=True)
class _Dot:
    cx: float
    cy: float
    r: float
    fill: str
    cls: str = ""
    tip: str = ""


@dataclass(frozen=True)
class _Text:
    x: float
    y: float            # baseline
    text: str
    size: float = LABEL_SIZE
    anchor: str = "start"   # start | middle | end
    fill: str = TEXT
    bold: bool = False
    full: str = ""      # the whole text when `text` was shortened with "…"
    cls: str = ""
    more: tuple[str, ...] = ()  # further lines, LINE_GAP apart


@dataclass
class _Scene:
    width: float
    height: float
    kind: str
    items: list = field(default_factory=list)

    def add(self, item) -> None:
        self.items.append(item)


# -- text -----------------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile("[ \t\n\r]+")


def _clean(text) -> str:
    """Text that XML can hold: control characters out, runs of spaces and line breaks made one
    space (no-break spaces, as in "1 234,56 ₽", stay)."""
    return _SPACES.sub(" ", _CONTROL.sub("", str(text))).strip(" ")


def _width(text: str, size: float = LABEL_SIZE, bold: bool = False) -> float:
    return stringWidth(text, BOLD if bold else REGULAR, size)


def _fit(text: str, room: float, size: float = LABEL_SIZE) -> str:
    """`text`, or its longest start that fits into `room` with "…" after it."""
    if _width(text, size) <= room:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _width(text[:middle].rstrip() + "…", size) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _locale() -> str:
    return str(get_locale() or "en")


def _value_text(value: int, unit: ValueKind) -> str:
    if unit == ValueKind.MONEY:
        return money(value)
    return babel_decimal(int(value), format="#,##0", locale=_locale())


def _tick_texts(ticks: list[int], unit: ValueKind) -> list[str]:
    """Tick labels: money in major units, whole when the ticks are whole; from a million up, compact."""
    if unit == ValueKind.MONEY:
        numbers = [Decimal(t) / 100 for t in ticks]
    else:
        numbers = [Decimal(t) for t in ticks]
    locale = _locale()
    if unit == ValueKind.MONEY and max(abs(n) for n in numbers) >= 1_000_000 and all(map(_compact_is_exact, numbers)):
        return [format_compact_decimal(n, format_type="short", locale=locale, fraction_digits=2) for n in numbers]
    whole = all(n == n.to_integral_value() for n in numbers)
    return [babel_decimal(n, format="#,##0" if whole else "#,##0.00", locale=locale) for n in numbers]


def _compact_is_exact(number: Decimal) -> bool:
    """Whether "1.25M" (thousands, millions, … with at most two decimals) says exactly `number`."""
    magnitude = abs(number)
    if magnitude < 1000:
        return magnitude == magnitude.quantize(Decimal("0.01"))
    digits = len(str(int(magnitude)))
    mantissa = magnitude / (Decimal(10) ** (3 * ((digits - 1) // 3)))
    return mantissa == mantissa.quantize(Decimal("0.01"))


def _share_text(value: int, first: int) -> str:
    """value / first as a percentage, half-up to a basis point, in the reader's format."""
    if first <= 0:
        return ""
    points, rest = divmod(max(value, 0) * 10000, first)
    if 2 * rest >= first:
        points += 1
    return percent_bp(points)


def _tip(label: str, series_name: str, value_text: str, many: bool) -> str:
    return f"{label} — {series_name}: {value_text}" if many else f"{label}: {value_text}"


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


# -- layout ---------------------------------------------------------------------------------------

def _layout(chart: Chart, width: int, height: int) -> _Scene:
    register_fonts()  # the text is measured with the fonts the PDF embeds
    for series in chart.series:
        if len(series.values) != len(chart.labels):
            raise ValueError(f"chart series {series.name!r} has {len(series.values)} values "
                             f"for {len(chart.labels)} labels")
    if is_empty(chart):
        scene = _Scene(width, EMPTY_HEIGHT, "empty")
        scene.add(_Rect(0.5, 0.5, width - 1, EMPTY_HEIGHT - 1, "#f9fafb", cls="chart-frame", rx=6))
        scene.add(_Text(width / 2, EMPTY_HEIGHT / 2 + 5, _("No data for this period"), 13, "middle", MUTED,
                        cls="chart-empty"))
        return scene
    labels = [_clean(label) for label in chart.labels]
    layouts = {ChartKind.BARS: _bars, ChartKind.HBARS: _hbars, ChartKind.LINE: _line, ChartKind.FUNNEL: _funnel}
    return layouts[ChartKind(chart.kind)](chart, labels, width, height)


def _legend(scene: _Scene, chart: Chart, x0: float, y0: float, right: float) -> float:
    """Swatches and series names from (x0, y0), wrapping at `right`; returns the y below it.
    Drawn only for more than one series."""
    if len(chart.series) < 2:
        return y0
    x, y = x0, y0
    for index, series in enumerate(chart.series):
        name = _fit(_clean(series.name), right - x0 - 18)
        item = 12 + 6 + _width(name) + 18
        if x > x0 and x + item - 18 > right:
            x, y = x0, y + 18
        scene.add(_Rect(x, y + 1, 12, 12, _colour(index), cls="chart-legend", rx=2))
        scene.add(_Text(x + 18, y + 11.5, name, full=series.name if name != _clean(series.name) else ""))
        x += item
    return y + 18


def _values(chart: Chart) -> list[int]:
    return [int(v) for s in chart.series for v in s.values]


class _Scale:
    """Maps values onto pixels between `start` and `end` (either way round) over the ticks' range."""

    def __init__(self, ticks: list[int], start: float, end: float):
        self.low, self.high, self.start, self.end = ticks[0], ticks[-1], start, end

    def __call__(self, value: int) -> float:
        return self.start + (self.end - self.start) * (int(value) - self.low) / (self.high - self.low)


def _value_axis(scene: _Scene, chart: Chart, ticks: list[int], texts: list[str], left: float, right: float,
                top: float, bottom: float) -> _Scale:
    """Horizontal grid lines with tick labels on the left (BARS, LINE); the currency sign above them."""
    scale = _Scale(ticks, bottom, top)
    for tick, text in zip(ticks, texts):
        y = scale(tick)
        scene.add(_Line(left, y, right, y, AXIS if tick == 0 else GRID))
        scene.add(_Text(left - 8, y + 4, text, SMALL_SIZE, "end", MUTED, cls="chart-tick"))
    if chart.unit == ValueKind.MONEY:
        scene.add(_Text(left - 8, top - 10, currency_sign_text(), SMALL_SIZE, "end", MUTED, cls="chart-unit"))
    return scale


def currency_sign_text() -> str:
    return currency_sign(current_app.config["PORTAL_CURRENCY"])


def _two_lines(text: str, room: float, size: float = LABEL_SIZE) -> tuple[str, ...]:
    """`text` in one line, or broken between words into two, the second shortened with "…" if need be."""
    if _width(text, size) <= room:
        return (text,)
    words, first = text.split(" "), ""
    for word in words:
        candidate = f"{first} {word}" if first else word
        if _width(candidate, size) > room:
            break
        first = candidate
    if not first:  # the first word alone is too long for a line
        return (_fit(text, room, size),)
    return first, _fit(text[len(first):].strip(), room, size)


def _x_plan(labels: list[str], spacing: float) -> tuple[int, float, bool]:
    """How category labels fit under the plot: every k-th one, the room each has, and whether they
    take two lines (only when every one is shown and some are too long for one line)."""
    widest = max(_width(label, SMALL_SIZE) for label in labels)
    need = min(widest, 90)
    every = 1
    while every < len(labels) and every * spacing - 6 < need:
        every += 1
    room = max(every * spacing - 6, need)
    return every, room, every == 1 and widest > room


def _x_labels(scene: _Scene, labels: list[str], xs: list[float], plan: tuple[int, float, bool],
              baseline: float) -> None:
    """Category labels under the plot, centred on `xs`: every k-th when they would not fit side by
    side, each shortened with "…" to the room it has (the whole text in its <title>)."""
    every, room, two = plan
    for index in range(0, len(labels), every):
        lines = _two_lines(labels[index], room, SMALL_SIZE) if two else (_fit(labels[index], room, SMALL_SIZE),)
        half = max(_width(line, SMALL_SIZE) for line in lines) / 2
        x = min(max(xs[index], half + 2), scene.width - half - 2)
        scene.add(_Text(x, baseline, lines[0], SMALL_SIZE, "middle", MUTED, more=lines[1:],
                        full=labels[index] if " ".join(lines) != labels[index] else "", cls="chart-label"))


def _axis_frame(scene: _Scene, chart: Chart, labels: list[str], width: int, height: int, inset: float):
    """Legend, value axis and category positions shared by BARS (`inset` 0: a slot per label) and
    LINE (a point per label, `inset` pixels in from the sides)."""
    values = _values(chart)
    ticks = nice_ticks(min(values), max(values))
    texts = _tick_texts(ticks, chart.unit)
    left = 8 + max(_width(t, SMALL_SIZE) for t in texts) + 8
    if chart.unit == ValueKind.MONEY:
        left = max(left, 16 + _width(currency_sign_text(), SMALL_SIZE))
    right = width - 14
    count = len(labels)
    if not inset:
        spacing = (right - left) / count
        xs = [left + (i + 0.5) * spacing for i in range(count)]
    elif count == 1:
        spacing, xs = right - left, [(left + right) / 2]
    else:
        spacing = (right - left - 2 * inset) / (count - 1)
        xs = [left + inset + i * spacing for i in range(count)]
    plan = _x_plan(labels, spacing)
    legend_bottom = _legend(scene, chart, left, 8, right)
    top = legend_bottom + 24
    bottom = height - 28 - (LINE_GAP if plan[2] else 0)
    scale = _value_axis(scene, chart, ticks, texts, left, right, top, bottom)
    _x_labels(scene, labels, xs, plan, bottom + 17)
    return left, right, top, bottom, scale, xs, spacing


def _bars(chart: Chart, labels: list[str], width: int, height: int) -> _Scene:
    scene = _Scene(width, height, "bars")
    left, right, _top, _bottom, scale, centres, group = _axis_frame(scene, chart, labels, width, height, 0)
    per_group = len(chart.series)
    bar = min(group * 0.76 / per_group, 56)
    gap = 1.5 if per_group > 1 and bar > 6 else 0
    zero = scale(0)
    texts = [[_value_text(v, chart.unit) for v in s.values] for s in chart.series]
    room = group - 6 if per_group == 1 else bar + 2
    show_values = all(_width(t, SMALL_SIZE - 1) <= room for row in texts for t in row)
    for i, label in enumerate(labels):
        start = centres[i] - bar * per_group / 2
        for j, series in enumerate(chart.series):
            value = int(series.values[i])
            x = start + j * bar
            y = scale(max(value, 0))
            scene.add(_Rect(x, y, bar - gap, scale(min(value, 0)) - y, _colour(j), cls="chart-bar",
                            tip=_tip(label, _clean(series.name), texts[j][i], per_group > 1)))
            if show_values and value != 0:
                ty = y - 4 if value > 0 else scale(value) + SMALL_SIZE + 1
                scene.add(_Text(x + (bar - gap) / 2, ty, texts[j][i], SMALL_SIZE - 1, "middle", TEXT,
                                cls="chart-value"))
    scene.add(_Line(left, zero, right, zero, AXIS))
    return scene


def _line(chart: Chart, labels: list[str], width: int, height: int) -> _Scene:
    scene = _Scene(width, height, "line")
    _left, _right, _top, _bottom, scale, xs, _spacing = _axis_frame(scene, chart, labels, width, height, 14)
    count, many = len(labels), len(chart.series) > 1
    radius = 3.5 if count <= 40 else 2.5
    # The previous period (second series) is drawn first, under the current one.
    for j in reversed(range(len(chart.series))):
        series = chart.series[j]
        points = tuple((xs[i], scale(int(v))) for i, v in enumerate(series.values))
        if count > 1:
            scene.add(_Path(points, stroke=_colour(j), width=2.5 if j == 0 else 2, cls="chart-line"))
        for i, (x, y) in enumerate(points):
            scene.add(_Dot(x, y, radius, _colour(j), cls="chart-point",
                           tip=_tip(labels[i], _clean(series.name), _value_text(series.values[i], chart.unit),
                                    many)))
    return scene


def _rows(wanted_height: int, top: float, bottom_space: float, count: int, min_row: float,
          max_row: float) -> tuple[float, float]:
    """The height of the whole chart and of one row: rows share `wanted_height`, but each is at
    least `min_row` (readable labels) and at most `max_row` (no lone fat bars)."""
    row = min(max((wanted_height - top - bottom_space) / count, min_row), max_row)
    return top + count * row + bottom_space, row


def _category_labels(scene: _Scene, labels: list[str], room: float, right_x: float, centres: list[float],
                     row: float) -> None:
    """Labels right-aligned left of the bars, in two lines when a row has the height for them."""
    for label, y in zip(labels, centres):
        lines = _two_lines(label, room) if row >= 2 * LINE_GAP + 2 else (_fit(label, room),)
        baseline = y + 4 - (LINE_GAP / 2 if len(lines) == 2 else 0)
        scene.add(_Text(right_x, baseline, lines[0], LABEL_SIZE, "end", TEXT, more=lines[1:],
                        full=label if " ".join(lines) != label else "", cls="chart-label"))


def _hbars(chart: Chart, labels: list[str], width: int, height: int) -> _Scene:
    scene = _Scene(width, height, "hbars")
    per_group, many = len(chart.series), len(chart.series) > 1
    values = _values(chart)
    ticks = nice_ticks(min(values), max(values))
    tick_texts = _tick_texts(ticks, chart.unit)
    texts = [[_value_text(v, chart.unit) for v in s.values] for s in chart.series]
    label_room = min(max(_width(label) for label in labels), width * 0.32)
    left = 8 + label_room + 10
    sign = currency_sign_text() if chart.unit == ValueKind.MONEY else ""
    value_room = max(max(_width(t, SMALL_SIZE) for row in texts for t in row),
                     _width(sign, SMALL_SIZE), _width(tick_texts[-1], SMALL_SIZE) / 2) + 10
    right = width - 8 - value_room
    top = _legend(scene, chart, left, 8, width - 8) + (6 if many else 4)
    bar_min = 14 if per_group == 1 else 13
    min_row = per_group * bar_min + (per_group - 1) * 2 + 10
    height, row = _rows(height, top, 30, len(labels), min_row, min_row + 12)
    scene.height = height
    bottom = height - 30
    bar = min(22, (row - 10 - (per_group - 1) * 2) / per_group)
    scale = _Scale(ticks, left, right)
    # Vertical grid lines and tick labels under the plot (every other one when they would collide).
    spacing = (right - left) / (len(ticks) - 1)
    every = 1 if max(_width(t, SMALL_SIZE) for t in tick_texts) + 8 <= spacing else 2
    for index, (tick, text) in enumerate(zip(ticks, tick_texts)):
        x = scale(tick)
        scene.add(_Line(x, top, x, bottom, AXIS if tick == 0 else GRID))
        if index % every == 0:
            scene.add(_Text(x, bottom + 16, text, SMALL_SIZE, "middle", MUTED, cls="chart-tick"))
    if sign:
        scene.add(_Text(right + value_room - 4, bottom + 16, sign, SMALL_SIZE, "end", MUTED, cls="chart-unit"))
    centres = []
    zero = scale(0)
    for i in range(len(labels)):
        y0 = top + i * row
        centres.append(y0 + row / 2)
        block = per_group * bar + (per_group - 1) * 2
        for j, series in enumerate(chart.series):
            value = int(series.values[i])
            y = y0 + (row - block) / 2 + j * (bar + 2)
            x = scale(min(value, 0))
            scene.add(_Rect(x, y, scale(max(value, 0)) - x, bar, _colour(j), cls="chart-bar",
                            tip=_tip(labels[i], _clean(series.name), texts[j][i], many)))
            if value == 0 and many:
                continue  # no bar, no "0.00" clutter beside the others; the tooltip still says it
            tx = scale(value) + 4 if value > 0 else zero + 4
            scene.add(_Text(tx, y + bar / 2 + 4, texts[j][i], SMALL_SIZE, "start", TEXT, cls="chart-value"))
    scene.add(_Line(zero, top, zero, bottom, AXIS))
    _category_labels(scene, labels, label_room, left - 10, centres, row)
    return scene


def _funnel(chart: Chart, labels: list[str], width: int, height: int) -> _Scene:
    scene = _Scene(width, height, "funnel")
    per_group, many = len(chart.series), len(chart.series) > 1
    texts = []
    for series in chart.series:
        first = int(series.values[0])
        row_texts = []
        for v in series.values:
            value, share = _value_text(int(v), chart.unit), _share_text(int(v), first)
            row_texts.append(f"{value} · {share}" if share else value)
        texts.append(row_texts)
    label_room = min(max(_width(label) for label in labels), width * 0.3)
    left = 8 + label_room + 12
    right = width - 8
    text_room = max(_width(t, SMALL_SIZE) for row in texts for t in row) + 8
    top = _legend(scene, chart, left, 8, right) + (8 if many else 4)
    bar_min = 24 if per_group == 1 else 15
    gap = 14 if per_group == 1 else 12
    min_row = per_group * bar_min + (per_group - 1) * 3 + gap
    height, row = _rows(height, top, 8, len(labels), min_row, min_row + 24)
    scene.height = height
    bar = min(40 if per_group == 1 else 22, (row - gap - (per_group - 1) * 3) / per_group)
    biggest = max(max(_values(chart)), 1)
    centre = (left + right) / 2
    widest = max(right - left - 2 * text_room, 40)
    previous = None   # the bar of the stage above, for the funnel's connecting band (one series)
    centres = []
    for i in range(len(labels)):
        y0 = top + i * row
        centres.append(y0 + row / 2)
        block = per_group * bar + (per_group - 1) * 3
        for j, series in enumerate(chart.series):
            value = max(int(series.values[i]), 0)
            w = widest * value / biggest
            if value > 0:
                w = max(w, 2)
            y = y0 + (row - block) / 2 + j * (bar + 3)
            x = centre - w / 2
            if per_group == 1 and previous is not None:
                px, pw, pbottom = previous
                scene.add(_Path(((px, pbottom), (px + pw, pbottom), (x + w, y), (x, y)), fill=FUNNEL_LINK,
                                cls="chart-link", closed=True))
            scene.add(_Rect(x, y, w, bar, _colour(j), cls="chart-bar",
                            tip=_tip(labels[i], _clean(series.name), texts[j][i], many)))
            scene.add(_Text(centre + w / 2 + 6, y + bar / 2 + 4, texts[j][i], SMALL_SIZE, "start", TEXT,
                            cls="chart-value"))
            previous = (x, w, y + bar)
    _category_labels(scene, labels, label_room, left - 12, centres, row)
    return scene


# -- SVG ------------------------------------------------------------------------------------------

def _n(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _attr(text: str) -> str:
    return escape(_clean(text), {'"': "&quot;"})


def _svg(scene: _Scene, title: str) -> str:
    title = _clean(title)
    label = title
    if scene.kind == "empty":
        message = _("No data for this period")
        label = f"{title}: {message}" if title else message
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(scene.width)}" height="{_n(scene.height)}" '
            f'viewBox="0 0 {_n(scene.width)} {_n(scene.height)}" role="img" aria-label="{_attr(label)}" '
            f'class="chart chart-{scene.kind}" font-family="{_attr(FONT_FAMILY)}" font-size="{LABEL_SIZE}">')
    parts = [head, f"<title>{_attr(label)}</title>"]
    for item in scene.items:
        parts.append(_svg_item(item))
    parts.append("</svg>")
    return "\n".join(parts)


def _tip_svg(tip: str) -> str:
    return f"<title>{_attr(tip)}</title>" if tip else ""


def _class(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


def _svg_item(item) -> str:
    if isinstance(item, _Rect):
        rx = f' rx="{_n(item.rx)}"' if item.rx else ""
        body = (f'<rect{_class(item.cls)} x="{_n(item.x)}" y="{_n(item.y)}" width="{_n(max(item.w, 0))}" '
                f'height="{_n(max(item.h, 0))}"{rx} fill="{item.fill}"')
        if item.cls == "chart-frame":
            body += f' stroke="{GRID}"'
        tip = _tip_svg(item.tip)
        return f"{body}>{tip}</rect>" if tip else f"{body}/>"
    if isinstance(item, _Line):
        return (f'<line x1="{_n(item.x1)}" y1="{_n(item.y1)}" x2="{_n(item.x2)}" y2="{_n(item.y2)}" '
                f'stroke="{item.stroke}" stroke-width="{_n(item.width)}" shape-rendering="crispEdges"/>')
    if isinstance(item, _Path):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in item.points)
        tag = "polygon" if item.closed else "polyline"
        return (f'<{tag}{_class(item.cls)} points="{points}" fill="{item.fill}" stroke="{item.stroke}" '
                f'stroke-width="{_n(item.width)}" stroke-linejoin="round" stroke-linecap="round"/>')
    if isinstance(item, _Dot):
        return (f'<circle{_class(item.cls)} cx="{_n(item.cx)}" cy="{_n(item.cy)}" r="{_n(item.r)}" '
                f'fill="{item.fill}" stroke="#ffffff" stroke-width="1">{_tip_svg(item.tip)}</circle>')
    if isinstance(item, _Text):
        anchor = f' text-anchor="{item.anchor}"' if item.anchor != "start" else ""
        size = f' font-size="{_n(item.size)}"' if item.size != LABEL_SIZE else ""
        weight = ' font-weight="bold"' if item.bold else ""
        if item.more:
            body = "".join(f'<tspan x="{_n(item.x)}" y="{_n(item.y + i * LINE_GAP)}">{_attr(line)}</tspan>'
                           for i, line in enumerate((item.text, *item.more)))
        else:
            body = _attr(item.text)
        return (f'<text{_class(item.cls)} x="{_n(item.x)}" y="{_n(item.y)}"{anchor}{size}{weight} '
                f'fill="{item.fill}">{body}{_tip_svg(item.full)}</text>')
    raise TypeError(item)


# -- reportlab ------------------------------------------------------------------------------------

def _reportlab_shapes(scene: _Scene) -> list:

    height = scene.height
    shapes = []
    for item in scene.items:
        if isinstance(item, _Rect):
            if item.w <= 0 or item.h <= 0:
                continue
            stroke = colors.HexColor(GRID) if item.cls == "chart-frame" else None
            shapes.append(Rect(item.x, height - item.y - item.h, item.w, item.h, rx=item.rx, ry=item.rx,
                               fillColor=colors.HexColor(item.fill), strokeColor=stroke, strokeWidth=0.5))
        elif isinstance(item, _Line):
            shapes.append(Line(item.x1, height - item.y1, item.x2, height - item.y2,
                               strokeColor=colors.HexColor(item.stroke), strokeWidth=item.width))
        elif isinstance(item, _Path):
            points = [coordinate for x, y in item.points for coordinate in (x, height - y)]
            if item.closed:
                shapes.append(Polygon(points, fillColor=colors.HexColor(item.fill), strokeColor=None))
            else:
                shapes.append(PolyLine(points, strokeColor=colors.HexColor(item.stroke), strokeWidth=item.width,
                                       strokeLineJoin=1, strokeLineCap=1))
        elif isinstance(item, _Dot):
            shapes.append(Circle(item.cx, height - item.cy, item.r, fillColor=colors.HexColor(item.fill),
                                 strokeColor=colors.white, strokeWidth=1))
        elif isinstance(item, _Text):
            for i, line in enumerate((item.text, *item.more)):
                shapes.append(String(item.x, height - item.y - i * LINE_GAP, line,
                                     fontName=BOLD if item.bold else REGULAR, fontSize=item.size,
                                     fillColor=colors.HexColor(item.fill), textAnchor=item.anchor))
    return shapes
