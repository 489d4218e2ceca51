"""English pages: the project's Chinese source strings have English in
locale/en, the catalogue is complete and compiled, and Chinese pages stay
Chinese (with the Oscar strings that Oscar's own zh_Hans catalogue lacks
translated by locale/zh_Hans)."""
import gettext
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from tests.factories import BrandFactory, CountyFactory, MarketSubjectFactory, ServicePointFactory, VillageFactory, make_product

LOCALE = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


# --- a small .po reader (no polib at test time) -------------------------------


def _unquote(text):
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    return re.sub(r'\\(.)', lambda m: escapes[m.group(1)], body[1:-1])


def read_po(path):
    """The entries of a .po file as dicts: msgctxt, msgid, msgid_plural,
    msgstr (a str, or a list for plural entries), flags. Obsolete (#~) entries
    are left out; the header is the entry whose msgid is empty."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                entry, field = None, None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid_plural": None, "flags": set()}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, value = line.split(" ", 1)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                entry.setdefault("msgstr", [])
                entry["msgstr"].append(_unquote(value))
                field = ("msgstr", int(match.group(1)))
            else:
                assert keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"), line
                entry[keyword] = _unquote(value)
                field = keyword
    return entries


def messages(path):
    return [entry for entry in read_po(path) if entry["msgid"]]


def translations(entry):
    return entry["msgstr"] if isinstance(entry["msgstr"], list) else [entry["msgstr"]]


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


CATALOGUES = [LOCALE / "en" / "LC_MESSAGES" / "django.po", LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"]


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parts[-3])
def test_catalogue_has_no_untranslated_or_fuzzy_entry(po):
    entries = messages(po)

    assert len(entries) > 100
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in entries if not all(translations(e))] == []
    header = next(entry for entry in read_po(po) if not entry["msgid"])
    assert "fuzzy" not in header["flags"]


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parts[-3])
def test_translations_keep_every_placeholder(po):
    wrong = [
        (entry["msgid"], text)
        for entry in messages(po)
        for text in translations(entry)
        if placeholders(text) != placeholders(entry["msgid"])
    ]
    assert wrong == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parts[-3])
def test_compiled_catalogue_matches_the_po(po):
    """The committed .mo is the compiled .po: English is served without gettext installed."""
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in messages(po):
        key = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if isinstance(entry["msgstr"], list):
            for index, text in enumerate(entry["msgstr"]):
                expected[(key, index)] = text
        else:
            expected[key] = entry["msgstr"]
    compiled.pop("", None)
    assert compiled == expected


def test_english_catalogue_covers_the_project_glossary():
    english = {entry["msgid"]: translations(entry) for entry in messages(CATALOGUES[0])}

    assert english["省定贫困村"] == ["Provincially designated poor village"]
    assert english["建档立卡贫困户"] == ["Registered poor household"]
    assert english["扶贫产品认定"] == ["Poverty-alleviation product certification"]
    assert english["利益联结模式"] == ["Interest-linkage model"]
    assert english["县级电子商务公共服务中心"] == ["County e-commerce service centre"]
    assert english["乡镇电子商务服务站"] == ["Township e-commerce station"]
    assert english["村级电子商务服务点"] == ["Village e-commerce point"]
    assert english["提货柜"] == ["Pickup locker"]
    assert english["到自提点付款"] == ["Pay at pickup"]
    assert english["%(year)s年已脱贫"] == ["Lifted out of poverty in %(year)s"]
    assert english["%(counter)s 件商品"] == ["%(counter)s product", "%(counter)s products"]


# --- pages ----------------------------------------------------------------------


def text_of(response):
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def url(language, name, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    cache.clear()
    yield
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def pomelo(db):
    county = CountyFactory(code="441403", name="梅县区", name_en="Meixian", city__code="441400",
                           city__name="梅州市", city__name_en="Meizhou")
    brand = BrandFactory(name="梅州金柚", name_en="Meizhou Pomelo", slug="meizhou-pomelo", counties=[county],
                         story="梅州金柚，岭南佳果。", standards="统一品种、统一采摘、统一分级包装。", is_featured=True)
    subject = MarketSubjectFactory(name="梅县金柚专业合作社", county=county)
    village = VillageFactory(township__county=county, township__name="石扇镇", name="石扇村")
    return make_product(title="梅县金柚 5斤装", price=Decimal("39.90"), brand=brand, market_subject=subject,
                        village=village, is_fresh=True, certificate_number="粤扶认〔2020〕0101号")


# (English, Chinese) pairs asserted on each page.
BRAND_LIST = [
    ("Regional public brands | Xiangpin", "区域公用品牌 | 乡品通"),
    ("One county, one brand", "一县一品"),
    ("1 product", "1 件商品"),
    ("Poverty-alleviation farm products from Guangdong", "广东扶贫农产品"),
]
BRAND_PAGE = [
    ("Counties/districts covered", "覆盖县（市、区）"),
    ("Brand story", "品牌故事"),
    ("Common production standards", "统一生产标准"),
    ("Brand products (1)", "品牌商品（1）"),
]
PRODUCT_PAGE = [
    ("Origin and poverty-alleviation certification", "产地与扶贫认定"),
    ("Provincially designated poor village", "省定贫困村"),
    ("Poverty-alleviation product certification 粤扶认〔2020〕0101号 Valid", "扶贫产品认定 粤扶认〔2020〕0101号 有效"),
    ("Valid until 2027-12-31", "有效期至 2027-12-31"),
    ("Fresh produce Yes (cold-chain delivery)", "鲜活产品 是（冷链配送）"),
    ("Farmers' cooperative", "农民专业合作社"),
    ("Add to basket", "加入购物车"),
]
CATALOGUE_PAGE = [
    ("All products", "全部商品"),
    ("Regional brands Meizhou Pomelo 1", "区域品牌 梅州金柚 1"),
    ("Meizhou · Meixian Fresh ¥39.90 Add to basket", "梅州市 · 梅县区 鲜 ¥39.90 加入购物车"),
]


def assert_page(client, language, path, pairs):
    response = client.get(path)
    assert response.status_code == 200, path
    assert f'<html lang="{language}"' in response.content.decode()
    text = text_of(response).replace("&#x27;", "'")
    column = 0 if language == "en" else 1
    for pair in pairs:
        assert pair[column] in text, (path, pair[column])
        assert pair[1 - column] not in text, (path, pair[1 - column])
    return text


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_brand_pages_in_each_language(client, pomelo, language):
    assert_page(client, language, url(language, "brands:list"), BRAND_LIST)
    assert_page(client, language, url(language, "brands:detail", slug="meizhou-pomelo"), BRAND_PAGE)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_catalogue_and_product_page_in_each_language(client, pomelo, language):
    assert_page(client, language, url(language, "catalogue:index"), CATALOGUE_PAGE)
    with translation.override(language):
        product_url = pomelo.get_absolute_url()
    assert product_url.startswith(f"/{language}/")
    assert_page(client, language, product_url, PRODUCT_PAGE)


def test_english_home_page(client, pomelo):
    from wagtail.models import Page, Site

    from cms.models import HomePage

    home = Page.get_first_root_node().add_child(
        instance=HomePage(title="乡品通", slug="xp-i18n-home", hero_title="广东扶贫好物", hero_text="产地直达"))
    Site.objects.filter(is_default_site=True).update(root_page=home)

    pairs = [
        ("Browse all products", "逛全部商品"),
        ("See the regional brands", "看区域品牌"),
        ("All regional brands", "全部区域品牌"),
        ("Poor households' personal details are never made public.", "贫困户个人信息绝不公开。"),
    ]
    assert_page(client, "en", "/en/", pairs)
    assert_page(client, "zh-hans", "/zh-hans/", pairs)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_basket_and_checkout_in_each_language(client, pomelo, language):
    ServicePointFactory(name="林和社区自提点", address="林和西路 1 号", has_cold_storage=True)
    response = client.post(url(language, "basket:add", pk=pomelo.pk), {"quantity": 1})
    assert response.status_code == 302

    basket = text_of(client.get(url(language, "basket:summary")))
    gateway = text_of(client.get(url(language, "checkout:index")))
    response = client.post(url(language, "checkout:index"), {"username": "guest@example.com", "options": "anonymous"})
    assert response.status_code == 302 and response.url == url(language, "checkout:shipping-address")
    pickup = text_of(client.get(response.url))

    if language == "en":
        assert "Basket" in basket and "Your cart total is now ¥39.90" in basket
        assert "1. Delivery and address 2. Delivery charge 3. Payment method 4. Review order 5. Order placed" in gateway
        assert "Choose a pickup point" in pickup
        assert "Community pickup point Cold storage" in pickup
        assert "Recipient Recipient's name Recipient's mobile number" in pickup.replace("&#x27;", "'")
        assert "Used to check identity at pickup; never made public." in pickup
        assert "Fresh produce in your basket needs cold storage (梅县金柚 5斤装)" in pickup
    else:
        # Oscar's zh_Hans lacks this one: locale/zh_Hans supplies it.
        assert "购物车总额现为 ¥39.90" in basket and "Your basket total" not in basket
        # ... while Oscar's own translations still apply (the catalogues merge).
        assert "购物车总计 ¥39.90" in basket and "进行结算" in basket
        assert "1. 配送方式与地址 2. 运费 3. 付款方式 4. 确认订单 5. 下单成功" in gateway
        assert "选择自提点" in pickup and "社区自提点 可冷藏" in pickup
        assert "收货人 收货人姓名 收货人手机号" in pickup
        assert "购物车中的 梅县金柚 5斤装 是鲜活产品" in pickup
