"""Sending a PDF the portal made: shown in the browser (receipts) or downloaded (invoices)."""
from flask import make_response


def pdf_response(data: bytes, filename: str, *, download: bool = False):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{filename}"'
    return response
