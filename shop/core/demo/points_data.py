"""Urban community pickup points (社区自提点) and lockers (提货柜) in Guangzhou
and Shenzhen. Streets and communities are real; the shops and numbers are
invented for the demo.

(code, kind, name, district code, community, address, opening hours, cold storage)
"""

PICKUP = "community_pickup"
LOCKER = "locker"

URBAN_POINTS = [
    ("gz-th-liede", PICKUP, "猎德社区扶贫产品自提点", "440106", "猎德街道猎德社区",
     "广州市天河区猎德大道猎德路8号首层", "09:00-21:00", True),
    ("gz-th-linhe", LOCKER, "林和街提货柜（天河北）", "440106", "林和街道林和社区",
     "广州市天河区林和西路161号小区北门", "全天24小时", False),
    ("gz-th-shipai", PICKUP, "石牌街华师社区自提点", "440106", "石牌街道华师社区",
     "广州市天河区石牌西路55号", "08:30-20:30", True),
    ("gz-yx-dongshan", PICKUP, "东山口社区自提点", "440104", "农林街道东山社区",
     "广州市越秀区署前路12号", "09:00-20:00", True),
    ("gz-yx-beijing", LOCKER, "北京街提货柜（惠福东）", "440104", "北京街道盐运西社区",
     "广州市越秀区惠福东路388号", "全天24小时", False),
    ("gz-hz-jiangnanzhong", PICKUP, "江南中街社区自提点", "440105", "江南中街道江南新村社区",
     "广州市海珠区江南大道中168号", "09:00-21:00", True),
    ("gz-hz-binjiang", LOCKER, "滨江街提货柜（滨江东）", "440105", "滨江街道海珠花园社区",
     "广州市海珠区滨江东路428号", "全天24小时", True),
    ("gz-py-shiqiao", PICKUP, "市桥街社区自提点", "440113", "市桥街道西城社区",
     "广州市番禺区市桥西丽南路92号", "09:00-21:00", True),
    ("gz-py-zhongcun", PICKUP, "钟村街祈福社区自提点", "440113", "钟村街道祈福新邨社区",
     "广州市番禺区钟村街汉溪大道祈福新邨商业街", "08:00-21:00", True),
    ("gz-by-jingxi", LOCKER, "京溪街提货柜（云景花园）", "440111", "京溪街道云景社区",
     "广州市白云区沙太北路云景花园东门", "全天24小时", False),
    ("sz-ft-xiangmihu", PICKUP, "香蜜湖街社区自提点", "440304", "香蜜湖街道香岭社区",
     "深圳市福田区香梅路1068号", "09:00-21:00", True),
    ("sz-ft-lianhua", LOCKER, "莲花街提货柜（景田）", "440304", "莲花街道景田社区",
     "深圳市福田区景田北路景田小区3栋", "全天24小时", False),
    ("sz-ns-yuehai", PICKUP, "粤海街科技园社区自提点", "440305", "粤海街道科技园社区",
     "深圳市南山区科苑南路2666号", "08:30-21:30", True),
    ("sz-ns-shekou", LOCKER, "蛇口街提货柜（四海公园）", "440305", "蛇口街道四海社区",
     "深圳市南山区工业七路四海公园东侧", "全天24小时", True),
    ("sz-lh-dongmen", PICKUP, "东门街社区自提点", "440303", "东门街道立新社区",
     "深圳市罗湖区东门中路2043号", "09:00-21:00", False),
    ("sz-lg-bantian", PICKUP, "坂田街社区自提点", "440307", "坂田街道五和社区",
     "深圳市龙岗区五和大道南118号", "09:00-21:00", True),
    ("sz-lg-longcheng", LOCKER, "龙城街提货柜（中心城）", "440307", "龙城街道尚景社区",
     "深圳市龙岗区龙城大道89号", "全天24小时", False),
    ("sz-ba-xixiang", PICKUP, "西乡街社区自提点", "440306", "西乡街道流塘社区",
     "深圳市宝安区西乡大道288号", "09:00-21:00", True),
]
