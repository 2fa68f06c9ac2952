"""The loyalty card as pictures for a phone screen: a Code 128 barcode and a QR code of the card
number, drawn with reportlab and rendered to SVG (no script, no external code).

Sizes: the drawings keep the proportions a scanner needs (a narrowest bar of 0.5 mm against a
bar height of 22 mm and quiet zones of ten modules; a QR code with error correction M and a
four-module quiet zone) and carry a viewBox, so the page sets their size: the barcode spans the
card's width up to 28 rem (its narrowest bar never under 2 CSS px, about 0.35 mm on a phone), the
QR code is 12 rem square (about 32 mm on a phone) — what a till's imaging scanner and a phone
camera read from a bright screen at 10–20 cm.
"""
from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm

BAR_WIDTH = 0.5 * mm
BAR_HEIGHT = 22 * mm
QR_SIZE = 40 * mm


def barcode_svg(number: str) -> bytes:
    """The card number as a Code 128 barcode (the page prints the number under it, large)."""
    drawing = createBarcodeDrawing("Code128", value=number, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT,
                                   humanReadable=False, quiet=True, lquiet=10 * BAR_WIDTH,
                                   rquiet=10 * BAR_WIDTH)
    return _svg(drawing)


def qr_svg(number: str) -> bytes:
    """The card number as a QR code."""
    widget = QrCodeWidget(number, barLevel="M", barBorder=4)
    x1, y1, x2, y2 = widget.getBounds()
    width, height = x2 - x1, y2 - y1
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / width, 0, 0, QR_SIZE / height, -x1, -y1])
    drawing.add(widget)
    return _svg(drawing)


def _svg(drawing: Drawing) -> bytes:
    return renderSVG.drawToString(drawing).encode("utf-8")
