"""What a trace QR code encodes, and the code itself (segno, SVG or PNG).

A batch's code points at its GS1 Digital Link URI ``/01/{GTIN-14}/10/{lot}``
when its product has a GTIN (any GS1 resolver or scanner app understands it),
else at the short URL ``/t/{code}/``; both open the same trace page."""
import io

import segno
from django.urls import reverse

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
GTIN_LENGTHS = (8, 12, 13, 14)


def gtin14(value) -> str:
    """A GTIN-8/12/13/14 zero-padded to 14 digits (as GS1 Digital Link writes
    it), or "" when ``value`` is not one."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) not in GTIN_LENGTHS:
        return ""
    return value.zfill(14)


def batch_qr_path(*, code: str, gtin: str = "") -> str:
    gtin = gtin14(gtin)
    if gtin:
        return reverse("trace:gs1", kwargs={"gtin": gtin, "lot": code})
    return reverse("trace:batch", kwargs={"code": code})


def village_qr_path(*, code: str) -> str:
    return reverse("trace:village", kwargs={"code": code})


def qr_image(data: str, kind: str) -> bytes:
    """A (never Micro) QR code of ``data``, error correction M, as SVG or PNG."""
    code = segno.make_qr(data, error="m")
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=4, border=4, xmldecl=False)
    else:
        code.save(out, kind="png", scale=8, border=4)
    return out.getvalue()
