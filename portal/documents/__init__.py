"""PDF documents made with reportlab: receipts (and later invoices and report exports)."""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONTS = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


def register_fonts() -> None:
    """Cyrillic-capable fonts, embedded in every PDF (reportlab's built-in fonts lack Cyrillic)."""
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))


def numbered_canvas(title: str, pagesize, margin: float, left: float):
    """A reportlab canvas class that holds the pages back until the end, to write the document's
    title and "Page n of N" at the foot of each (invoices, report exports)."""

    width = pagesize[0]

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            count = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(REGULAR, 7)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(left, margin, title)
                self.drawRightString(width - left, margin, _("Page %(page)d of %(pages)d", page=number, pages=count))
                super().showPage()
            super().save()

    return NumberedCanvas
