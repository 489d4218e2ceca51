"""Household personal data never reaches a public page, a trace page, an order
page, a log line or an e-mail (issue 3, point 6).

The store is seeded (with its batches and order history), then two canary
households with known fake names, ID numbers and phones join a market subject
and supply a batch of one of its products: one refused an alias, the other
consented (its alias may show, its name, ID and phone may not). That batch is
then sold through the real checkout, to a guest and to the signed-in demo
consumer. The crawl starts at the home pages and at the trace page of every
batch (short URL and GS1 Digital Link), every village page (一村一码) and the
order pages, and follows every public link. Every log record at DEBUG
(database queries included) and every e-mail of the whole run is checked too.
"""
import datetime
import io
import logging
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.brands.models import ProductOrigin
from shop.harvest.models import HarvestBatch
from shop.producers.models import Household
from shop.regions.models import ServicePoint, Village
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest
from tests.factories import fake_id_number, make_batch, make_household

CANARY_NAME = "甄金丝雀"
CANARY_ID = fake_id_number(serial=777, prefix="441403", birth="19660606")
CANARY_PHONE = "13800007777"
# The second canary consented to an alias (「<county> 甄姓农户」): that may show.
CONSENTING_NAME = "甄银丝雀"
CONSENTING_ID = fake_id_number(serial=778, prefix="441403", birth="19700707")
CONSENTING_PHONE = "13800007778"
GUEST_EMAIL = "canary.buyer@example.com"

PRIVATE_PREFIXES = ("/cms-admin", "/django-admin", "/documents", "/static", "/media", "/i18n")
PRIVATE_PARTS = ("/shop/dashboard", "/shop/accounts", "/shop/checkout", "/logout")
HREF = re.compile(r'(?:href|src)="([^"#]+)')
TEXT_TYPES = ("text/", "application/json", "image/svg+xml", "application/xml")
MAX_PAGES = 4000


def _is_public_link(url):
    parts = urlsplit(url)
    # Filter combinations are the same page many times over: follow each
    # filter, sort and page link on its own (one query parameter at most).
    if parts.query.count("&") > 0:
        return False
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return False
    if parts.path.startswith(PRIVATE_PREFIXES):
        return False
    return not any(part in parts.path for part in PRIVATE_PARTS)


def crawl(client, start_urls, *, follow=_is_public_link):
    """Visit ``start_urls`` and every link ``follow`` accepts; return
    {url: (status, text)} for every text response (HTML, JSON, SVG…), error
    pages included (a friendly 404 must not leak either)."""
    seen, queue, pages = set(start_urls), deque(start_urls), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url, follow=True)
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(TEXT_TYPES):
            continue
        text = response.content.decode("utf-8", errors="replace")
        pages[url] = (response.status_code, text)
        if "text/html" not in content_type:
            continue
        for href in HREF.findall(text):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            if link not in seen and follow(link):
                seen.add(link)
                queue.append(link)
    return pages


def _canary_product():
    """A sold product with a GTIN (so its GS1 URL exists) and demo batches."""
    sold = set(LineAllocation.objects.values_list("batch__product_id", flat=True))
    origins = ProductOrigin.objects.exclude(gtin="").filter(product_id__in=sold).select_related(
        "product", "market_subject", "village__township__county", "county").order_by("product__upc")
    return origins.first()


def _canary_batch(origin):
    village = origin.village if origin.village.is_provincial_poor_village else Village.objects.filter(
        township__county=origin.county, is_provincial_poor_village=True).order_by("code").first()
    refused = make_household(village=village, head_name=CANARY_NAME, id_number=CANARY_ID, phone=CANARY_PHONE,
                             market_subjects=[origin.market_subject], alias_consent=False)
    consented = make_household(village=village, head_name=CONSENTING_NAME, id_number=CONSENTING_ID,
                               phone=CONSENTING_PHONE, market_subjects=[origin.market_subject], alias_consent=True)
    oldest = HarvestBatch.objects.filter(product=origin.product).order_by("harvested_on").first()
    # Harvested before the product's other batches: first harvested, first sold.
    harvested_on = oldest.harvested_on - datetime.timedelta(days=1)
    batch = make_batch(product=origin.product, quantity=12, households=[(refused, 4), (consented, 5)],
                       harvested_on=harvested_on, inspection_report_number="GDJC-2026-0417",
                       inspection_agency=f"{origin.county.name}农产品质量安全检测站")
    return batch, refused, consented


def _buy(client, product, point, **recipient):
    add_to_basket(client, product, 1)
    go_to_preview(client, point, **recipient)
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:thank-you"), response
    thank_you = client.get(reverse("checkout:thank-you"))
    assert thank_you.status_code == 200
    return thank_you.context["order"], thank_you.content.decode()


def _secrets():
    secrets = {CANARY_NAME, CANARY_ID, CANARY_PHONE, CONSENTING_NAME, CONSENTING_ID, CONSENTING_PHONE}
    for household in Household.objects.all():
        secrets.update({household.id_number, household.head_name})
        if household.phone:
            secrets.add(household.phone)
    return secrets


def _mail_texts(message):
    texts = [message.subject, message.body, " ".join(message.to)]
    texts += [content for content, _mimetype in getattr(message, "alternatives", [])]
    return texts


@pytest.mark.django_db
def test_no_household_personal_data_anywhere_public(client, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.db.backends", "django.request", "django.server"):
        caplog.set_level(logging.DEBUG, logger=name)  # Django's default logging stops "django" at INFO
    connection.force_debug_cursor = True  # log every SQL statement (django.db.backends, DEBUG)
    try:
        call_command("seed_demo", households=60, products=30, stdout=io.StringIO())
        origin = _canary_product()
        assert origin is not None
        product = origin.product
        canary_batch, refused, consented = _canary_batch(origin)
        point = ServicePoint.objects.get(code="gz-th-liede")

        # A guest buys the canary batch through the real checkout.
        add_to_basket(client, product, 1)
        start_as_guest(client, GUEST_EMAIL)
        go_to_preview(client, point, name="王小明", phone="13712345678")
        assert place_order(client).url == reverse("checkout:thank-you")
        thank_you = client.get(reverse("checkout:thank-you"))
        guest_order = thank_you.context["order"]
        # And so does the demo consumer, signed in.
        consumer_client = type(client)()
        consumer = get_user_model().objects.get(username="consumer@xiangpin.demo")
        consumer_client.force_login(consumer)
        consumer_order, consumer_thank_you = _buy(consumer_client, product, point, name="陈小敏", phone="13700000001")

        for order in (guest_order, consumer_order):
            [line] = order.lines.all()
            assert list(line.batch_allocations.values_list("batch_id", flat=True)) == [canary_batch.pk]
            assert LedgerEntry.objects.filter(line=line, household=refused).exists()
            assert LedgerEntry.objects.filter(line=line, household=consented).exists()

        secrets = _secrets()
        batches = list(HarvestBatch.objects.select_related("product__origin").order_by("pk"))
        batch_urls = [batch.get_absolute_url() for batch in batches]
        gs1_urls = [f"/01/{b.product.origin.gtin}/10/{b.code}" for b in batches if b.product.origin.gtin]
        village_urls = [f"/v/{code}/" for code in Village.objects.order_by("code").values_list("code", flat=True)]
        # The guest's order page (the link in the e-mail): Oscar first asks for the order's e-mail address.
        order_kwargs = {"order_number": guest_order.number, "hash": guest_order.verification_hash()}
        anon_order_url = reverse("customer:anon-order", kwargs=order_kwargs)
        anon_form_url = reverse("customer:anon-order-form", kwargs=order_kwargs)
        response = client.post(anon_form_url, {"email": GUEST_EMAIL})
        assert response.status_code == 302 and response.url == anon_order_url
        start = ["/zh-hans/", "/en/", anon_form_url, anon_order_url, "/t/ZZZZ9999/",
                 *batch_urls, *gs1_urls, *village_urls]

        pages = crawl(client, start)
        pages[reverse("checkout:thank-you") + "#guest"] = (200, thank_you.content.decode())
        pages[reverse("checkout:thank-you") + "#consumer"] = (200, consumer_thank_you)
        # The consumer's own order pages (not public, but no household data there either).
        account = crawl(consumer_client, [reverse("customer:order-list")],
                        follow=lambda url: urlsplit(url).path.startswith(reverse("customer:order-list")))
        pages.update({f"{url}#consumer": page for url, page in account.items()})
    finally:
        connection.force_debug_cursor = False

    print(f"checked {len(pages)} pages, {len(caplog.records)} log records, {len(mail.outbox)} e-mails")
    ok = {url for url, (status, _text) in pages.items() if status == 200}
    # The crawl really reached the trace pages: it cannot pass by visiting nothing.
    assert len(batches) >= 20
    assert set(batch_urls) <= ok
    assert set(gs1_urls) <= ok and len(gs1_urls) >= 5
    assert set(village_urls) <= ok
    assert pages["/t/ZZZZ9999/"][0] == 404
    assert anon_order_url in ok and guest_order.number in pages[anon_order_url][1]
    assert canary_batch.get_absolute_url() in pages[anon_order_url][1]  # the order page links to the trace page
    assert f"/v/{canary_batch.village.code}/" in ok
    assert any(url.startswith(product.get_absolute_url()) for url in ok)
    assert any(f"/shop/accounts/orders/{consumer_order.number}/" in url for url in ok)
    canary_page = pages[canary_batch.get_absolute_url()][1]
    assert consented.public_alias in canary_page  # the consented alias is what shows
    assert len(pages) >= 400

    pattern = re.compile("|".join(re.escape(secret) for secret in sorted(secrets, key=len, reverse=True)))
    leaks = [(url, match.group()) for url, (_status, text) in pages.items() for match in pattern.finditer(text)]
    assert leaks == []
    assert any(record.name == "django.db.backends" for record in caplog.records)  # queries were logged
    logged = "\n".join(record.getMessage() for record in caplog.records) + "\n" + caplog.text
    assert pattern.search(logged) is None
    assert sorted(message.to[0] for message in mail.outbox) == sorted([GUEST_EMAIL, "consumer@xiangpin.demo"])
    assert [message.subject for message in mail.outbox if pattern.search("\n".join(_mail_texts(message)))] == []
