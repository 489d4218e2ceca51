"""Public trace pages: a batch (short URL and GS1 Digital Link), its QR code,
the village code (一村一码), and a friendly not-found page.

Not served from the page cache (their view names are not in
``PAGE_CACHE_VIEWS``): each render reads the batch's current events. QR images
are cacheable by browsers and shared caches for a day.
"""
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control

from shop.harvest.services import batch_code_normalise

from . import qr, selectors

QR_MAX_AGE = 24 * 60 * 60
# A URLconf without i18n_patterns, see ``not_found``.
UNPREFIXED_URLCONF = "shop.traceability.urls"


def not_found(request, code=""):
    """The friendly 404 (a code search box and a link home).

    These URLs live outside ``i18n_patterns``. On a 404, LocaleMiddleware
    tries the path again under a language prefix, and Wagtail's catch-all
    matches ``/zh-hans/t/<anything>/``, so it would answer with a redirect
    to a Wagtail 404. Telling it that this request's URLconf uses no
    language prefixes (the URLconf of these views alone) keeps the 404."""
    request.urlconf = UNPREFIXED_URLCONF
    return render(request, "traceability/not_found.html", {"code": (code or "")[:40], "not_found": True}, status=404)


def lookup(request):
    """``/t/?code=…``: the trace page of a typed code; without one, the search box."""
    typed = request.GET.get("code", "")
    code = batch_code_normalise(typed)[:selectors.MAX_CODE_LENGTH]
    if code:
        return redirect("trace:batch", code=code)
    if typed.strip():
        return not_found(request, typed)
    return render(request, "traceability/not_found.html", {"code": "", "not_found": False})


def _batch_page(request, trace):
    return render(request, "traceability/batch_detail.html", {
        "trace": trace,
        "batch": trace.batch,
        "qr_url": request.build_absolute_uri(trace.qr_path),
        "canonical_url": request.build_absolute_uri(trace.batch.get_absolute_url()),
    })


def batch_detail(request, code):
    trace = selectors.batch_trace(code=code)
    if trace is None:
        return not_found(request, code)
    return _batch_page(request, trace)


def batch_gs1(request, gtin, lot):
    """GS1 Digital Link: ``/01/{GTIN}/10/{lot}``; a GTIN that is not the
    batch's product's is not found."""
    trace = selectors.batch_trace(code=lot)
    if trace is None or not selectors.gtin_matches(trace, gtin):
        return not_found(request, lot)
    return _batch_page(request, trace)


def _qr_response(request, path, kind):
    response = HttpResponse(qr.qr_image(request.build_absolute_uri(path), kind), content_type=qr.CONTENT_TYPES[kind])
    patch_cache_control(response, public=True, max_age=QR_MAX_AGE)
    return response


def batch_qr(request, code, kind):
    path = selectors.batch_qr_path(code=code)
    if path is None:
        return not_found(request, code)
    return _qr_response(request, path, kind)


def village_detail(request, code):
    trace = selectors.village_trace(code=code)
    if trace is None:
        return not_found(request, code)
    return render(request, "traceability/village_detail.html", {
        "trace": trace,
        "village": trace.village,
        "qr_url": request.build_absolute_uri(qr.village_qr_path(code=trace.village.code)),
    })


def village_qr(request, code, kind):
    village = selectors.village_by_code(code)
    if village is None:
        return not_found(request, code)
    return _qr_response(request, qr.village_qr_path(code=village.code), kind)
