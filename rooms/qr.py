"""QR codes for join links, drawn on the server as SVG (segno): no script, no CDN."""

from __future__ import annotations

import io

import segno


def qr_svg(data: str, title: str = "") -> str:
    """An SVG element with a viewBox and no fixed size, so CSS decides how large it is drawn."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out,
        kind="svg",
        border=2,
        omitsize=True,
        xmldecl=False,
        svgns=True,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
        title=title or None,
    )
    return out.getvalue().decode()


def qr_svg_document(data: str, title: str = "") -> bytes:
    """A standalone SVG file (XML declaration included) for serving as image/svg+xml."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + qr_svg(data, title)).encode()
