"""Agency names for the demo sites: a few fixed ones per site, then an endless deterministic supply for `scale`.

Why real-looking hierarchies (city → county/banner → departments, towns, street offices): the parser and the
crawler derive the agency from the title ("{agency}{year}年…"), so names must have the shapes real titles have
(…局, …委员会, …人民政府, …镇人民政府, …街道办事处), never digits or 信息公开 in them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

DEPARTMENTS = (
    "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
    "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局",
    "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "林业和草原局", "人民政府办公室", "信访局", "民族事务委员会", "体育局", "城市管理综合执法局", "乡村振兴局",
    "政务服务管理局", "能源局", "国有资产监督管理委员会", "人民防空办公室",
)
NATIONAL = (
    "国家林业和草原局", "国家统计局", "国家药品监督管理局", "国家知识产权局", "国家能源局", "国家文物局", "国家中医药管理局",
    "国家矿山安全监察局", "国家粮食和物资储备局", "国家移民管理局", "国家铁路局", "中国民用航空局", "国家邮政局",
    "国家外汇管理局", "国家体育总局", "国家广播电视总局", "国家医疗保障局", "国家机关事务管理局", "国家国际发展合作署",
    "水利部", "商务部", "文化和旅游部", "应急管理部", "审计署", "海关总署", "国家税务总局", "国家市场监督管理总局",
    "国家信访局", "国家数据局", "国家消防救援局",
)
# the tax bureaus under 国家税务总局 (one per province-level region and 计划单列市), listed with the 总局's own report on
# the chinatax-like site (sites/tax.py): the column asks for its sub-channels too (relateSubChannels=true)
TAX_BUREAUS = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "大连市", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "宁波市", "安徽省", "福建省", "厦门市", "江西省", "山东省", "青岛市", "河南省", "湖北省", "湖南省", "广东省",
    "深圳市", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区",
)
TAX_HQ = "国家税务总局"
_PLACE = "东西南北新安和平兴隆福阳泉山河川桥湾塔沟营庄屯堡家宁康乐丰源胜利白石青云金沙长城达拉特柳林马莲杨树红旗"

# site -> (region, counties, fixed agencies for the default portal (before seed shuffling))
REGIONS = {
    "ordos": ("鄂尔多斯市恩格贝生态示范区", ("达拉特旗", "杭锦旗"),
              ("鄂尔多斯市恩格贝生态示范区管理委员会", "鄂尔多斯市恩格贝生态示范区农牧局")),
    "gbk": ("鄂尔多斯市", ("东胜区", "康巴什区", "准格尔旗", "鄂托克旗", "乌审旗", "伊金霍洛旗"),
            ("鄂尔多斯市", "鄂尔多斯市人民政府办公室")),
    "hanweb": ("定西市", ("安定区", "通渭县", "陇西县", "渭源县", "临洮县", "漳县", "岷县"), ()),
    "gd": ("韶关市", ("武江区", "浈江区", "曲江区", "乐昌市", "南雄市", "始兴县", "仁化县", "翁源县", "新丰县"), ()),
    "govcn": ("", (), ()),
    "custom": ("景德镇市", ("珠山区", "昌江区", "浮梁县", "乐平市"), ("景德镇市人民政府办公室",)),
    "tax": ("", (), (TAX_HQ,)),
}
DEFAULT_COUNTS = {"ordos": 3, "gbk": 2, "hanweb": 2, "gd": 2, "govcn": 1, "custom": 2, "tax": 3}
# how fast each site grows under `scale` (gov.cn only has the national bodies; the custom-markup site is small)
GROWTH_WEIGHTS = {"ordos": 2, "gbk": 2, "hanweb": 3, "gd": 3, "govcn": 1, "custom": 1, "tax": 1}


def agency_stream(site: str, seed: int) -> Iterator[str]:
    """Every agency of a site, fixed ones first, the rest in a seed-dependent order; finite only for gov.cn."""
    rng = random.Random(f"agencies|{seed}|{site}")
    seen: set[str] = set()

    def fresh(names):
        for name in names:
            if name not in seen:
                seen.add(name)
                yield name

    if site == "govcn":
        names = list(NATIONAL)
        rng.shuffle(names)
        # the tax administration publishes on its own site (tax): left out after the shuffle, so that the other
        # bodies keep their order (the default portal's gov.cn agency is unchanged for every seed but where it was
        # 国家税务总局, which none of the tests' seeds give)
        yield from fresh(n for n in names if n != TAX_HQ)
        return
    if site == "tax":  # the 总局, then its provincial bureaus in a seeded order; finite like gov.cn
        bureaus = list(TAX_BUREAUS)
        rng.shuffle(bureaus)
        yield from fresh([TAX_HQ, *(f"{TAX_HQ}{b}税务局" for b in bureaus)])
        return
    region, counties, fixed = REGIONS[site]
    yield from fresh(fixed)
    departments = list(DEPARTMENTS)
    rng.shuffle(departments)
    yield from fresh(f"{region}{d}" for d in departments)
    city = region if site != "ordos" else "鄂尔多斯市"
    for county in counties:
        yield from fresh([f"{city}{county}人民政府"])
        county_departments = list(DEPARTMENTS)
        rng.shuffle(county_departments)
        yield from fresh(f"{city}{county}{d}" for d in county_departments if d != "人民政府办公室")
    while True:  # towns and street offices: endless
        county = rng.choice(counties)
        name = rng.choice(_PLACE) + rng.choice(_PLACE)
        if name[0] == name[1]:
            continue
        suffix = rng.choice(("镇人民政府", "镇人民政府", "街道办事处", "苏木人民政府" if site in ("ordos", "gbk") else "乡人民政府"))
        yield from fresh([f"{city}{county}{name}{suffix}"])


def agency_size(seed: int, agency: str) -> float:
    """How many applications an agency gets a year (a government office gets more than a town)."""
    rng = random.Random(f"size|{seed}|{agency}")
    base = 2.0 if agency.endswith(("镇人民政府", "街道办事处", "乡人民政府", "苏木人民政府")) else 15.0
    if agency.endswith(("市", "人民政府")) or agency.startswith("国家"):
        base = 60.0
    return base * rng.uniform(0.3, 2.0)


def missing_years(seed: int, agency: str, years: tuple[int, ...], keep: tuple[int, ...] = ()) -> set[int]:
    """A few agencies skip a year (no report posted)."""
    rng = random.Random(f"missing|{seed}|{agency}")
    if rng.random() < 0.2:
        year = rng.choice(years)
        return set() if year in keep else {year}
    return set()
