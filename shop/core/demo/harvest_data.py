"""Fixture data for the demo's harvest batches and sales history: when each
product is harvested (or produced), how long it keeps, the cold-chain
temperatures of fresh products, farm-gate prices, the festivals that drive
sales, and the demo's guest customers. Seasons follow the usual calendars of
these Guangdong products; they are simplified, not agronomy."""
import datetime
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Season:
    """``windows``: harvest (or production) periods of a year, ((month, day),
    (month, day)); a window may run over New Year. ``shelf_days``: how long a
    batch sells in the store (fresh: how long it keeps; processed: until the
    next batch or this long). ``cold``: storing / shipping / receiving
    temperatures (℃) for fresh products, None when no cold chain."""

    windows: tuple
    shelf_days: int
    cold: tuple | None = None
    # Farm-gate price as a share of the retail price (the purchase-price contract).
    farm_gate: Decimal = Decimal("0.35")


def _monthly():
    return tuple(((month, 1), (month, 28)) for month in range(1, 13))


CITRUS_COLD = ((Decimal("6"), Decimal("9")), (Decimal("5"), Decimal("8")), (Decimal("6"), Decimal("10")))
POMELO_COLD = ((Decimal("8"), Decimal("10")), (Decimal("8"), Decimal("10")), (Decimal("9"), Decimal("12")))
LYCHEE_COLD = ((Decimal("1"), Decimal("3")), (Decimal("2"), Decimal("4")), (Decimal("3"), Decimal("5")))
GREENS_COLD = ((Decimal("1"), Decimal("3")), (Decimal("1"), Decimal("4")), (Decimal("2"), Decimal("5")))
CHILLED_COLD = ((Decimal("0"), Decimal("2")), (Decimal("0"), Decimal("3")), (Decimal("1"), Decimal("4")))
PEACH_COLD = ((Decimal("2"), Decimal("4")), (Decimal("3"), Decimal("5")), (Decimal("3"), Decimal("6")))
TROPICAL_COLD = ((Decimal("8"), Decimal("11")), (Decimal("8"), Decimal("12")), (Decimal("9"), Decimal("13")))
EGG_COLD = ((Decimal("4"), Decimal("7")), (Decimal("4"), Decimal("8")), (Decimal("5"), Decimal("8")))

SEASONS = {
    "meizhou-jinyou": Season((((9, 15), (11, 15)),), 100, POMELO_COLD, Decimal("0.32")),
    "yingde-black-tea": Season((((3, 20), (5, 10)), ((9, 1), (10, 15))), 540, None, Decimal("0.40")),
    "xuwen-pineapple": Season((((2, 20), (5, 15)),), 14, TROPICAL_COLD, Decimal("0.30")),
    "gaozhou-lychee": Season((((5, 10), (7, 5)),), 6, LYCHEE_COLD, Decimal("0.38")),
    "huazhou-juhong": Season((((4, 10), (6, 10)),), 720, None, Decimal("0.42")),
    "deqing-gonggan": Season((((11, 20), (1, 15)),), 40, CITRUS_COLD, Decimal("0.35")),
    "lianzhou-caixin": Season((((11, 10), (2, 28)),), 5, GREENS_COLD, Decimal("0.40")),
    "zijin-chancha": Season((((5, 20), (7, 20)),), 540, None, Decimal("0.40")),
    "fengkai-youli": Season((((9, 1), (10, 20)),), 180, None, Decimal("0.38")),
    "luoding-rice": Season((((7, 5), (7, 31)), ((10, 25), (11, 25))), 365, None, Decimal("0.45")),
    "xinhui-chenpi": Season((((11, 1), (12, 20)),), 1000, None, Decimal("0.40")),
    "danxia-gonggan": Season((((11, 15), (1, 10)),), 40, CITRUS_COLD, Decimal("0.35")),
    "qingyuan-chicken": Season(_monthly(), 4, CHILLED_COLD, Decimal("0.55")),
    "pingyuan-navel-orange": Season((((11, 10), (1, 20)),), 60, CITRUS_COLD, Decimal("0.33")),
    "chaozhou-dancong": Season((((4, 1), (5, 20)), ((10, 1), (11, 10))), 720, None, Decimal("0.40")),
    "yangchun-sharen": Season((((8, 1), (9, 15)),), 540, None, Decimal("0.45")),
    "lianjiang-red-orange": Season((((11, 1), (1, 10)),), 60, CITRUS_COLD, Decimal("0.33")),
    "lianping-peach": Season((((6, 25), (7, 31)),), 8, PEACH_COLD, Decimal("0.40")),
    "yunan-wampee": Season((((6, 10), (7, 20)),), 6, PEACH_COLD, Decimal("0.40")),
    "luhe-qingmei": Season((((4, 1), (6, 30)),), 365, None, Decimal("0.30")),
    "longmen-rice": Season((((7, 5), (7, 31)), ((10, 25), (11, 25))), 365, None, Decimal("0.45")),
    "puning-qingmei": Season((((4, 1), (6, 30)),), 365, None, Decimal("0.30")),
}

# Lines whose calendar differs from their brand's: (brand slug, line name).
LINE_SEASONS = {
    ("pingyuan-navel-orange", "晚熟脐橙"): Season((((2, 15), (3, 31)),), 50, CITRUS_COLD, Decimal("0.33")),
    ("luhe-qingmei", "鲜青梅"): Season((((3, 10), (4, 20)),), 10, PEACH_COLD, Decimal("0.35")),
    ("qingyuan-chicken", "林下土鸡蛋"): Season(_monthly(), 21, EGG_COLD, Decimal("0.50")),
}

DEFAULT_SEASON = Season((((4, 1), (10, 31)),), 365, None)


def season_for(*, brand_slug: str, line_name: str, is_fresh: bool) -> Season:
    season = LINE_SEASONS.get((brand_slug, line_name)) or SEASONS.get(brand_slug) or DEFAULT_SEASON
    if is_fresh and season.cold is None:
        return Season(season.windows, min(season.shelf_days, 30), PEACH_COLD, season.farm_gate)
    return season


# Share of the sales amount (%) in sales-share contracts.
SALES_SHARES = (Decimal("30"), Decimal("35"), Decimal("40"), Decimal("45"), Decimal("50"))

# Chinese New Year's Day (农历正月初一): 年货节 runs in the weeks before it.
SPRING_FESTIVAL = {
    2023: datetime.date(2023, 1, 22), 2024: datetime.date(2024, 2, 10), 2025: datetime.date(2025, 1, 29),
    2026: datetime.date(2026, 2, 17), 2027: datetime.date(2027, 2, 6), 2028: datetime.date(2028, 1, 26),
    2029: datetime.date(2029, 2, 13), 2030: datetime.date(2030, 2, 3), 2031: datetime.date(2031, 1, 23),
    2032: datetime.date(2032, 2, 11),
}


def festival(day: datetime.date) -> tuple[str, float]:
    """The campaign a day belongs to and how much it multiplies the day's orders."""
    for year in (day.year, day.year + 1):
        new_year = SPRING_FESTIVAL.get(year)
        if new_year is None:
            continue
        before = (new_year - day).days
        if 4 <= before <= 24:
            return "年货节", 2.6
        if -6 <= before <= 3:
            return "春节", 0.45  # pickup points close for the holiday
    if day.month == 10 and day.day == 17:
        return "扶贫日", 8.0
    if day.month == 10 and 10 <= day.day <= 16:
        return "扶贫日", 2.0
    if day.month == 11 and day.day == 11:
        return "双11", 10.0
    if day.month == 11 and 1 <= day.day <= 10:
        return "双11", 2.0
    if day.month == 6 and day.day == 18:
        return "618", 2.2
    if day.month == 6 and 1 <= day.day <= 17:
        return "618", 1.25
    return "", 1.0


# Guests: a pinyin handle for the e-mail address (reserved example domains),
# the recipient name written at checkout, and the pickup point they use.
# Surnames here are not among the households' (shop.core.demo.people).
GUEST_SURNAMES = [("王", "wang"), ("周", "zhou"), ("宋", "song"), ("孙", "sun"), ("马", "ma"), ("胡", "hu"),
                  ("高", "gao"), ("郭", "guo"), ("徐", "xu"), ("唐", "tang"), ("韩", "han"), ("田", "tian"),
                  ("董", "dong"), ("萧", "xiao"), ("程", "cheng"), ("沈", "shen"), ("苏", "su"), ("蒋", "jiang")]
GUEST_GIVEN = [("子涵", "zihan"), ("雨桐", "yutong"), ("浩然", "haoran"), ("思远", "siyuan"), ("佳琪", "jiaqi"),
               ("俊杰", "junjie"), ("晓彤", "xiaotong"), ("诗雨", "shiyu"), ("宇轩", "yuxuan"), ("梓萱", "zixuan"),
               ("嘉欣", "jiaxin"), ("文轩", "wenxuan"), ("若曦", "ruoxi"), ("一鸣", "yiming"), ("欣怡", "xinyi"),
               ("泽宇", "zeyu"), ("明轩", "mingxuan"), ("婉婷", "wanting"), ("天佑", "tianyou"), ("乐怡", "leyi")]
GUEST_DOMAINS = ("example.com", "example.net", "example.org")

# Customers' phones: the unused 1370000xxxx block (households use 1380000xxxx,
# market subjects 1390000xxxx).
CUSTOMER_PHONE_PREFIX = "1370000"

CONSUMER_EMAIL = "consumer@xiangpin.demo"
CONSUMER_RECIPIENT = ("陈小敏", "13700000001")
CONSUMER_POINTS = ("gz-th-liede", "gz-th-linhe")

# Wording of the batches' circulation events, by market-subject kind.
PACKING_PLACE = {
    "cooperative": "{subject}分拣包装车间",
    "leading_enterprise": "{subject}加工包装厂",
    "entrepreneur_leader": "{subject}打包点",
}
PACKING_NOTE_FRESH = "按等级分拣装箱，每箱贴一品一码追溯标签"
PACKING_NOTE = "按规格称重包装，封口贴一品一码追溯标签"
STORING_NOTE_FRESH = "入库预冷"
STORING_NOTE = "入常温仓，防潮避光"
SHIPPING_NOTE_FRESH = "冷链车发往{city}，随车温度记录仪全程记录"
SHIPPING_NOTE = "物流专线发往{city}"
RECEIVING_NOTE_FRESH = "到货验收，箱温正常，入自提点冷柜"
RECEIVING_NOTE = "到货验收，外箱完好"

REFUND_REASONS = ("部分果实磕碰，协商部分退款", "包装破损，补偿部分货款", "一箱少发一份，退回该份货款")
