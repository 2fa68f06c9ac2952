"""The QR code of a fiscal receipt (ФНС's text: t=...&s=...&fn=...&i=...&fp=...&n=...), drawn with
reportlab's QR encoder: as a reportlab Drawing for the PDF receipt, and as inline SVG for the page
(one path of dark modules, no script, no style: it passes the portal's content security policy)."""
from __future__ import annotations

from markupsafe import Markup
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

BORDER = 4  # modules of quiet zone around the code, as the QR standard asks


def _modules(text: str) -> list[list[bool]]:
    widget = QrCodeWidget(text, barLevel="M")
    widget.qr.make()
    return [[bool(cell) for cell in row] for row in widget.qr.modules]


def drawing(text: str, size: float) -> Drawing:
    """A square Drawing of `size` points with the code and its quiet zone."""
    widget = QrCodeWidget(text, barLevel="M", barWidth=size, barHeight=size, barBorder=BORDER)
    picture = Drawing(size, size)
    picture.add(widget)
    return picture


def svg(text: str, label: str = "") -> Markup:
    """The code as an inline SVG element that scales to its box (CSS sets the size)."""
    rows = _modules(text)
    count = len(rows) + 2 * BORDER
    path = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.append(f"M{start + BORDER} {r + BORDER}h{c - start}v1h-{c - start}z")
            else:
                c += 1
    title = Markup("<title>{}</title>").format(label) if label else ""
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" class="fiscal-qr" role="img" '
                  'shape-rendering="crispEdges" data-qr="{text}">{title}<rect width="{n}" height="{n}" fill="#fff"/>'
                  '<path fill="#000" d="{d}"/></svg>').format(n=count, text=text, title=title, d="".join(path))
