"""Household registry rules: ID validation, blind index, alias, masking, encryption at rest."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from shop.core.masking import mask_id_number, mask_name, mask_phone
from shop.producers import services
from shop.producers.models import Household
from tests.factories import MarketSubjectFactory, VillageFactory, fake_id_number, make_household

CANARY_NAME = "甄金丝雀"
CANARY_ID = fake_id_number(serial=987, prefix="441403", birth="19770707")
CANARY_PHONE = "13800009876"


def test_masks():
    assert mask_id_number("441403199001011234") == "4414**********1234"
    assert mask_name("李春梅") == "李**"
    assert mask_name("王") == "王*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == ""


def test_id_number_check_digit():
    assert services.id_number_checksum_is_valid("11010519491231002X") is True
    assert services.id_number_checksum_is_valid("110105194912310021") is False
    assert services.id_number_checksum_is_valid("11010519491231002") is False
    assert services.id_number_checksum_is_valid(CANARY_ID) is True


@pytest.mark.django_db
def test_household_create_encrypts_and_indexes():
    household = make_household(head_name=CANARY_NAME, id_number=CANARY_ID, phone=CANARY_PHONE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_name, id_number, phone, id_number_digest FROM producers_household WHERE id = %s",
                       [household.pk])
        head_name, id_number, phone, digest = cursor.fetchone()
    for stored, plain in ((head_name, CANARY_NAME), (id_number, CANARY_ID), (phone, CANARY_PHONE)):
        assert stored.startswith("gAAAAA")  # a Fernet token
        assert plain not in stored
    assert CANARY_ID not in digest and len(digest) == 64
    fresh = Household.objects.get(pk=household.pk)
    assert (fresh.head_name, fresh.id_number, fresh.phone) == (CANARY_NAME, CANARY_ID, CANARY_PHONE)
    assert services.household_find_by_id_number(id_number=CANARY_ID) == household
    assert str(household) == household.registration_number


@pytest.mark.django_db
def test_no_plaintext_id_number_anywhere_in_the_raw_database():
    make_household(head_name=CANARY_NAME, id_number=CANARY_ID, phone=CANARY_PHONE)
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                assert CANARY_ID not in text, table
                assert CANARY_NAME not in text, table
                assert CANARY_PHONE not in text, table


@pytest.mark.django_db
def test_duplicate_id_number_rejected():
    make_household(id_number=CANARY_ID)
    with pytest.raises(ValidationError) as error:
        make_household(id_number=CANARY_ID.lower())
    assert "id_number" in error.value.message_dict
    assert Household.objects.count() == 1


@pytest.mark.django_db
def test_bad_check_digit_rejected_and_nothing_written():
    with pytest.raises(ValidationError):
        make_household(id_number=CANARY_ID[:-1] + ("0" if CANARY_ID[-1] != "0" else "1"))
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_alias_only_with_consent():
    village = VillageFactory()
    with_consent = make_household(village=village, head_name="李春梅", alias_consent=True)
    without = make_household(village=village, head_name="王大明", alias_consent=False)
    assert with_consent.public_alias == "梅县区 李姓农户"
    assert without.public_alias == ""


@pytest.mark.django_db
def test_update_keeps_blank_personal_fields_and_moves_memberships():
    subject_a, subject_b = MarketSubjectFactory(), MarketSubjectFactory()
    household = make_household(head_name=CANARY_NAME, id_number=CANARY_ID, market_subjects=[subject_a],
                               alias_consent=False)
    services.household_update(household=household, head_name="", id_number="", phone="", members=5,
                              alias_consent=True, market_subjects=[subject_b])
    fresh = Household.objects.get(pk=household.pk)
    assert (fresh.head_name, fresh.id_number, fresh.members) == (CANARY_NAME, CANARY_ID, 5)
    assert fresh.public_alias == "梅县区 甄姓农户"
    assert list(fresh.memberships.values_list("market_subject_id", flat=True)) == [subject_b.pk]


@pytest.mark.django_db
def test_status_and_lifted_year_must_agree():
    with pytest.raises(ValidationError):
        make_household(status=Household.Status.LIFTED, lifted_out_year=None)
    with pytest.raises(ValidationError):
        make_household(members=2, able_bodied_members=3)
    lifted = make_household(status=Household.Status.LIFTED, lifted_out_year=2019)
    assert str(lifted.status_label) == "2019年已脱贫"
