"""Market subjects: each is (or links) an Oscar partner; cooperatives edit only their contact details."""
from oscar.core.loading import get_model

from shop.producers.models import MarketSubject

from .support import bo_url

Partner = get_model("partner", "Partner")


def _subject_data(world, **changes):
    data = {
        "name": "梅县客家娘酒合作社", "kind": "cooperative", "county": world.county_a.pk, "linkage_model": "cooperative",
        "unified_social_credit_code": "", "contact_name": "黄志强", "contact_phone": "0753-2188888",
        "description": "种植、酿造、销售一体。",
    }
    data.update(changes)
    return data


def test_creating_a_market_subject_creates_its_partner(world, login):
    client = login(world.users["admin"])
    partners_before = Partner.objects.count()
    response = client.post(bo_url("market-subject-create"), _subject_data(world))
    subject = MarketSubject.objects.get(name="梅县客家娘酒合作社")
    assert response["Location"] == bo_url("market-subject-detail", pk=subject.pk)
    assert Partner.objects.count() == partners_before + 1
    assert subject.partner.name == "梅县客家娘酒合作社"
    assert (subject.kind, subject.county, subject.linkage_model, subject.contact_name, subject.contact_phone) == (
        "cooperative", world.county_a, "cooperative", "黄志强", "0753-2188888"
    )


def test_creating_a_market_subject_can_link_an_existing_partner(world, login):
    partner = Partner.objects.create(name="英德红茶龙头企业")
    client = login(world.users["admin"])
    response = client.get(bo_url("market-subject-create"))
    assert list(response.context["form"].fields["partner"].queryset) == [partner]
    client.post(bo_url("market-subject-create"), _subject_data(world, name="英德红茶集团", kind="leading_enterprise",
                                                               linkage_model="leading_enterprise", partner=partner.pk))
    subject = MarketSubject.objects.get(name="英德红茶集团")
    assert subject.partner == partner
    assert (subject.kind, subject.linkage_model) == ("leading_enterprise", "leading_enterprise")


def test_a_partner_already_linked_cannot_be_linked_again(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("market-subject-create"), _subject_data(world, partner=world.subject_b.partner.pk))
    assert response.status_code == 403
    assert MarketSubject.objects.filter(name="梅县客家娘酒合作社").exists() is False


def test_unified_social_credit_code_check_character(world, login):
    client = login(world.users["admin"])
    data = _subject_data(world, unified_social_credit_code="91350100M000100Y44")
    response = client.post(bo_url("market-subject-create"), data)
    assert response.context["form"].errors == {"unified_social_credit_code": ["统一社会信用代码须为 18 位，且校验位正确。"]}
    client.post(bo_url("market-subject-create"), _subject_data(world, unified_social_credit_code="91350100m000100y43"))
    assert MarketSubject.objects.get(name="梅县客家娘酒合作社").unified_social_credit_code == "91350100M000100Y43"


def test_renaming_a_market_subject_renames_its_partner(world, login):
    client = login(world.users["admin"])
    subject = world.subject_a
    response = client.post(bo_url("market-subject-update", pk=subject.pk), _subject_data(world, name="梅县金柚联合社"))
    assert response.status_code == 302
    subject.refresh_from_db()
    subject.partner.refresh_from_db()
    assert (subject.name, subject.partner.name, subject.description) == ("梅县金柚联合社", "梅县金柚联合社", "种植、酿造、销售一体。")


def test_a_cooperative_edits_only_its_own_contact_details(world, login):
    client = login(world.users["coop_a"])
    subject = world.subject_a
    response = client.get(bo_url("market-subject-update", pk=subject.pk))
    assert list(response.context["form"].fields) == ["contact_name", "contact_phone", "description"]
    response = client.post(
        bo_url("market-subject-update", pk=subject.pk),
        {"contact_name": "李主任", "contact_phone": "13500001111", "description": "金柚之乡。",
         "name": "改名", "county": world.county_b.pk, "linkage_model": "entrepreneur"},
    )
    assert response["Location"] == bo_url("market-subject-detail", pk=subject.pk)
    subject.refresh_from_db()
    assert (subject.contact_name, subject.contact_phone, subject.description) == ("李主任", "13500001111", "金柚之乡。")
    assert (subject.name, subject.county, subject.linkage_model) == ("梅县金柚专业合作社", world.county_a, "cooperative")


def test_a_cooperative_lists_only_its_own_market_subjects(world, login):
    client = login(world.users["coop_a"])
    response = client.get(bo_url("market-subject-list"))
    assert [subject.name for subject in response.context["object_list"]] == ["梅县金柚专业合作社"]
    assert [row["cells"][-1][1] for row in response.context["rows"]] == [1]  # households linked
    assert client.get(bo_url("market-subject-create")).status_code == 403
