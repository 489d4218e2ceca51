"""Crawl every public page of a seeded store as an anonymous visitor and find no
household personal data: no head's name, ID number or phone, canary included."""
import io
import logging
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core import mail
from django.core.management import call_command

from shop.brands.models import ProductOrigin
from shop.producers.models import Household
from tests.factories import fake_id_number, make_household

CANARY_NAME = "甄金丝雀"
CANARY_ID = fake_id_number(serial=777, prefix="441403", birth="19660606")
CANARY_PHONE = "13800007777"

PRIVATE_PREFIXES = ("/cms-admin", "/django-admin", "/documents", "/static", "/media", "/i18n")
PRIVATE_PARTS = ("/shop/dashboard", "/shop/accounts", "/shop/checkout", "/logout")
HREF = re.compile(r'href="([^"#]+)')
MAX_PAGES = 1500


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


def crawl(client, start_urls):
    seen, queue, pages = set(start_urls), deque(start_urls), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url, follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages[url] = html
        for href in HREF.findall(html):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            if link not in seen and _is_public_link(link):
                seen.add(link)
                queue.append(link)
    return pages


@pytest.mark.django_db
def test_no_household_personal_data_on_any_public_page(client, caplog):
    caplog.set_level(logging.DEBUG)
    call_command("seed_demo", households=60, products=30, stdout=io.StringIO())
    origin = ProductOrigin.objects.select_related("market_subject", "village").first()
    make_household(village=origin.village, head_name=CANARY_NAME, id_number=CANARY_ID, phone=CANARY_PHONE,
                   market_subjects=[origin.market_subject], alias_consent=True)

    secrets = {CANARY_NAME, CANARY_ID, CANARY_PHONE}
    for household in Household.objects.all():
        secrets.update({household.id_number, household.head_name})
        if household.phone:
            secrets.add(household.phone)

    pages = crawl(client, ["/zh-hans/", "/en/"])

    print(f"crawled {len(pages)} public pages")
    assert len(pages) >= 60
    product_url = origin.product.get_absolute_url()
    assert any(url.startswith(product_url) or url.endswith(product_url.split("/zh-hans")[-1]) for url in pages)
    pattern = re.compile("|".join(re.escape(secret) for secret in sorted(secrets, key=len, reverse=True)))
    leaks = [(url, match.group()) for url, html in pages.items() for match in [pattern.search(html)] if match]
    assert leaks == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert pattern.search(logged) is None
    assert [message for message in mail.outbox if pattern.search(message.body)] == []
