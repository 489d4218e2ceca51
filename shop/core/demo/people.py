"""Clearly fake personal data for demo households: names from common Guangdong
surnames and given-name characters, ID numbers with a right check digit and the
county's area code, phone numbers in the unused 1380000xxxx block."""
import random
from dataclasses import dataclass

from . import codes

SURNAMES = "陈李黄张梁刘林何罗钟曾邓谢赖古邱廖温叶彭朱杨吴冯蔡郑许罗潘卢莫欧"
GIVEN_FIRST = "国志建伟永德文明家振春秋金玉桂美丽秀少海光荣伟锦亚惠雪"
GIVEN_SECOND = "强华明辉生平英芳兰娟珍清发财福松林峰坤伦娣妹梅凤"


@dataclass(frozen=True)
class FakeHousehold:
    head_name: str
    id_number: str
    phone: str
    members: int
    able_bodied_members: int
    status: str
    lifted_out_year: int | None
    alias_consent: bool


def fake_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND) if rng.random() < 0.8 else rng.choice(GIVEN_SECOND)
    return rng.choice(SURNAMES) + given


def fake_birth(rng: random.Random) -> str:
    year = rng.randint(1950, 1990)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return f"{year}{month:02d}{day:02d}"


def fake_phone(serial: int) -> str:
    return f"1380000{serial % 10000:04d}"


def fake_household(rng: random.Random, *, county_code: str, serial: int) -> FakeHousehold:
    """One household; ``serial`` keeps ID numbers and phones distinct."""
    members = rng.choices([1, 2, 3, 4, 5, 6, 7], weights=[6, 12, 20, 26, 20, 10, 6])[0]
    able = min(members, rng.choices([0, 1, 2, 3, 4], weights=[10, 30, 35, 18, 7])[0])
    lifted_year = rng.choices([None, 2018, 2019, 2020], weights=[55, 12, 15, 18])[0]
    return FakeHousehold(
        head_name=fake_name(rng),
        id_number=codes.id_number(county_code, fake_birth(rng), serial),
        phone=fake_phone(serial) if rng.random() < 0.85 else "",
        members=members,
        able_bodied_members=able,
        status="lifted" if lifted_year else "in_poverty",
        lifted_out_year=lifted_year,
        alias_consent=rng.random() < 0.7,
    )
