"""The household registry in the back office: masked everywhere, never pre-filled,
blank keeps, check digit and duplicates refused, found by the full ID number."""
import pytest
from django.db import connection

from shop.producers.models import Household, Membership
from tests.factories import fake_id_number

from .support import HEAD_NAME_A, HEAD_NAME_B, ID_NUMBER_A, ID_NUMBER_B, PHONE_A, PHONE_B, bo_url

MASKED_ID_A = "4414**********" + ID_NUMBER_A[-4:]
MASKED_ID_B = "4414**********" + ID_NUMBER_B[-4:]
PLAINTEXT = (HEAD_NAME_A, ID_NUMBER_A, PHONE_A, HEAD_NAME_B, ID_NUMBER_B, PHONE_B)


def _assert_no_plaintext(html):
    for secret in PLAINTEXT:
        assert secret not in html
    # Nor the ID numbers' middle (birth date and sequence).
    assert ID_NUMBER_A[4:14] not in html
    assert ID_NUMBER_B[4:14] not in html


def _raw_personal_columns(household):
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_name, id_number, phone, id_number_digest FROM producers_household WHERE id = %s",
                       [household.pk])
        return cursor.fetchone()


def _edit_data(household, **changes):
    data = {
        "head_name": "", "id_number": "", "phone": "", "village": household.village_id,
        "registration_number": household.registration_number, "members": household.members,
        "able_bodied_members": household.able_bodied_members, "status": household.status,
        "lifted_out_year": household.lifted_out_year or "", "alias_consent": "on" if household.alias_consent else "",
        "market_subjects": list(household.cooperatives.values_list("pk", flat=True)),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.parametrize("role", ["admin", "officer", "coop_a"])
def test_household_list_shows_only_masked_personal_data(world, login, role):
    html = login(world.users[role]).get(bo_url("household-list")).content.decode()
    _assert_no_plaintext(html)
    assert "李**" in html
    assert MASKED_ID_A in html
    assert "138****5678" in html
    assert (MASKED_ID_B in html) is (role != "coop_a")


@pytest.mark.parametrize("role", ["admin", "officer", "coop_a"])
def test_household_detail_shows_only_masked_personal_data(world, login, role):
    response = login(world.users[role]).get(bo_url("household-detail", pk=world.household_a.pk))
    html = response.content.decode()
    _assert_no_plaintext(html)
    fields = dict(response.context["fields"])
    assert (fields["户主姓名"], fields["户主身份证号"], fields["联系电话"]) == ("李**", MASKED_ID_A, "138****5678")
    assert (fields["所在行政村"], fields["公开化名"], fields["所属市场主体"]) == (
        "梅县区 · 松口镇 · 大黄村", "梅县区 李姓农户", "梅县金柚专业合作社"
    )


@pytest.mark.parametrize("role", ["admin", "coop_a"])
def test_household_edit_form_never_prefills_personal_data(world, login, role):
    response = login(world.users[role]).get(bo_url("household-update", pk=world.household_a.pk))
    html = response.content.decode()
    _assert_no_plaintext(html)
    assert MASKED_ID_A in html
    form = response.context["form"]
    assert (form["head_name"].value(), form["id_number"].value(), form["phone"].value()) == (None, None, None)


def test_editing_with_blank_personal_fields_keeps_the_encrypted_values(world, login):
    household = world.household_a
    client = login(world.users["admin"])
    data = _edit_data(household, members=6, able_bodied_members=4)
    response = client.post(bo_url("household-update", pk=household.pk), data)
    assert response["Location"] == bo_url("household-detail", pk=household.pk)
    stored = Household.objects.get(pk=household.pk)
    assert (stored.head_name, stored.id_number, stored.phone) == (HEAD_NAME_A, ID_NUMBER_A, PHONE_A)
    assert (stored.members, stored.able_bodied_members) == (6, 4)
    head_name, id_number, phone, digest = _raw_personal_columns(household)
    for raw, plain in ((head_name, HEAD_NAME_A), (id_number, ID_NUMBER_A), (phone, PHONE_A)):
        assert raw.startswith("gAAAAA") and plain not in raw
    assert digest == household.id_number_digest


def test_editing_personal_fields_replaces_them_and_the_digest(world, login):
    household = world.household_a
    new_id = fake_id_number(serial=777, prefix="441403", birth="19750312")
    client = login(world.users["admin"])
    response = client.post(
        bo_url("household-update", pk=household.pk),
        _edit_data(household, head_name="陈春梅", id_number=new_id, phone="13700002222"),
    )
    assert response.status_code == 302
    stored = Household.objects.get(pk=household.pk)
    assert (stored.head_name, stored.id_number, stored.phone, stored.public_alias) == (
        "陈春梅", new_id, "13700002222", "梅县区 陈姓农户"
    )
    assert stored.id_number_digest != household.id_number_digest
    assert Household.objects.filter(pk=household.pk, id_number_digest=household.id_number_digest).exists() is False


def test_wrong_check_digit_is_refused_and_not_echoed(world, login):
    household = world.household_a
    wrong = ID_NUMBER_A[:17] + ("0" if ID_NUMBER_A[17] != "0" else "1")
    response = login(world.users["admin"]).post(
        bo_url("household-update", pk=household.pk), _edit_data(household, id_number=wrong, members=9)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"id_number": ["身份证号码格式或校验位不正确。"]}
    assert wrong not in response.content.decode()
    stored = Household.objects.get(pk=household.pk)
    assert (stored.id_number, stored.members) == (ID_NUMBER_A, 5)


def test_a_registered_id_number_is_refused(world, login):
    household = world.household_a
    response = login(world.users["admin"]).post(
        bo_url("household-update", pk=household.pk), _edit_data(household, id_number=ID_NUMBER_B)
    )
    assert response.context["form"].errors == {"id_number": ["该身份证号码已登记。"]}
    _assert_no_plaintext(response.content.decode())
    assert Household.objects.get(pk=household.pk).id_number == ID_NUMBER_A


def test_create_household_with_alias_consent(world, login):
    new_id = fake_id_number(serial=888, prefix="441403", birth="19820101")
    client = login(world.users["admin"])
    response = client.post(bo_url("household-create"), {
        "head_name": "张德明", "id_number": new_id, "phone": "13600003333", "village": world.village_a2.pk,
        "registration_number": "JD44140300002", "members": 3, "able_bodied_members": 2, "status": "lifted",
        "lifted_out_year": 2019, "alias_consent": "on", "market_subjects": [world.subject_a.pk],
    })
    household = Household.objects.get(registration_number="JD44140300002")
    assert response["Location"] == bo_url("household-detail", pk=household.pk)
    assert (household.head_name, household.id_number, household.phone) == ("张德明", new_id, "13600003333")
    assert (household.village, household.members, household.able_bodied_members) == (world.village_a2, 3, 2)
    assert (household.status, household.lifted_out_year, str(household.status_label)) == ("lifted", 2019, "2019年已脱贫")
    assert household.public_alias == "梅县区 张姓农户"
    assert list(household.cooperatives.all()) == [world.subject_a]


def test_create_requires_name_and_id_number(world, login):
    response = login(world.users["admin"]).post(bo_url("household-create"), {
        "village": world.village_a2.pk, "registration_number": "JD44140300002", "members": 3,
        "able_bodied_members": 2, "status": "in_poverty",
    })
    assert response.context["form"].errors == {"head_name": ["必需字段"], "id_number": ["必需字段"]}
    assert Household.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"status": "lifted"}, {"lifted_out_year": ["已脱贫户须填写脱贫年份。"]}),
        ({"status": "lifted", "lifted_out_year": 2012}, {"lifted_out_year": ["脱贫年份须在 2014 年至今年之间。"]}),
        ({"status": "in_poverty", "lifted_out_year": 2019}, {"lifted_out_year": ["未脱贫户不应填写脱贫年份。"]}),
        ({"members": 2, "able_bodied_members": 3}, {"able_bodied_members": ["有劳动能力人数不能多于家庭人口。"]}),
    ],
)
def test_status_year_and_member_counts_stay_consistent(world, login, changes, errors):
    household = world.household_a
    client = login(world.users["admin"])
    response = client.post(bo_url("household-update", pk=household.pk), _edit_data(household, **changes))
    assert response.context["form"].errors == errors
    stored = Household.objects.get(pk=household.pk)
    assert (stored.status, stored.lifted_out_year, stored.members) == ("in_poverty", None, 5)


def test_withdrawing_alias_consent_clears_the_alias(world, login):
    household = world.household_a
    client = login(world.users["admin"])
    client.post(bo_url("household-update", pk=household.pk), _edit_data(household, alias_consent=""))
    stored = Household.objects.get(pk=household.pk)
    assert (stored.alias_consent, stored.public_alias) == (False, "")


def test_find_by_full_id_number(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("household-find"), {"id_number": ID_NUMBER_A.lower()})
    assert response.status_code == 302
    assert response["Location"] == bo_url("household-detail", pk=world.household_a.pk)

    unknown = fake_id_number(serial=999, prefix="441403", birth="19900101")
    response = client.post(bo_url("household-find"), {"id_number": unknown})
    assert response.status_code == 200
    assert response.context["form"].errors == {"id_number": ["没有找到您可查看的、使用该身份证号的贫困户。"]}
    assert unknown not in response.content.decode()

    response = client.post(bo_url("household-find"), {"id_number": ID_NUMBER_A[:17]})
    assert response.context["form"].errors == {"id_number": ["身份证号码格式或校验位不正确。"]}


def test_a_cooperative_cannot_find_another_cooperatives_household(world, login):
    client = login(world.users["coop_a"])
    response = client.post(bo_url("household-find"), {"id_number": ID_NUMBER_B})
    assert response.status_code == 200
    assert response.context["form"].errors == {"id_number": ["没有找到您可查看的、使用该身份证号的贫困户。"]}
    _assert_no_plaintext(response.content.decode())
    assert client.post(bo_url("household-find"), {"id_number": ID_NUMBER_A})["Location"] == bo_url(
        "household-detail", pk=world.household_a.pk
    )


def test_the_find_form_is_posted_not_put_in_the_url(world, login):
    html = login(world.users["admin"]).get(bo_url("household-list")).content.decode()
    assert f'<form method="post" action="{bo_url("household-find")}"' in html


def test_a_cooperative_keeps_another_cooperatives_membership_when_editing(world, login):
    household = world.household_a
    Membership.objects.create(household=household, market_subject=world.subject_b)
    client = login(world.users["coop_a"])
    response = client.get(bo_url("household-update", pk=household.pk))
    assert list(response.context["form"].fields["market_subjects"].queryset) == [world.subject_a]
    assert response.context["form"]["market_subjects"].value() == [world.subject_a.pk]
    # The list shows the cooperative only its own subject.
    rows = client.get(bo_url("household-list")).context["rows"]
    assert [row["cells"][-1][1] for row in rows] == ["梅县金柚专业合作社"]

    data = _edit_data(household, market_subjects=[world.subject_a.pk], members=7)
    client.post(bo_url("household-update", pk=household.pk), data)
    household.refresh_from_db()
    assert household.members == 7
    assert set(household.cooperatives.all()) == {world.subject_a, world.subject_b}


def test_a_cooperative_registers_a_household_in_its_own_subject(world, login):
    new_id = fake_id_number(serial=555, prefix="441403", birth="19880808")
    client = login(world.users["coop_a"])
    form = client.get(bo_url("household-create")).context["form"]
    assert [village.name for village in form.fields["village"].queryset] == ["大黄村", "铜琶村"]
    data = {
        "head_name": "钟秀英", "id_number": new_id, "village": world.village_a2.pk, "registration_number": "JD44140300009",
        "members": 2, "able_bodied_members": 1, "status": "in_poverty",
    }
    response = client.post(bo_url("household-create"), data)
    assert response.context["form"].errors == {"market_subjects": ["必需字段"]}
    client.post(bo_url("household-create"), {**data, "market_subjects": [world.subject_a.pk]})
    household = Household.objects.get(registration_number="JD44140300009")
    assert list(household.cooperatives.all()) == [world.subject_a]
    assert (household.alias_consent, household.public_alias) == (False, "")
    listed = client.get(bo_url("household-list")).context["object_list"]
    assert [h.registration_number for h in listed] == ["JD44140300001", "JD44140300009"]


def test_household_search_never_touches_personal_data(world, login):
    client = login(world.users["admin"])

    def found(query):
        listed = client.get(bo_url("household-list"), {"q": query}).context["object_list"]
        return [household.registration_number for household in listed]

    assert found("JD441426") == ["JD44142600001"]
    assert found(HEAD_NAME_A) == []
    assert found(ID_NUMBER_A[-4:]) == []
    assert found("大黄") == ["JD44140300001"]
