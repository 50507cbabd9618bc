"""Where an agency sits (province / city / county) and what kind of body it is, for grouping and for deadlines.

A region comes from a portal's config (`region = "江苏省/宿迁市/沭阳县"`) or from the agency's name, read left to
right against a small gazetteer: every province-level name (full and short: 江苏省/江苏, 内蒙古自治区/内蒙古), and
the prefecture cities and counties this project meets (demo sites, real samples, config/portals). A city implies its
province (宿迁市 → 江苏省), a county its city. A name the gazetteer does not place gets no region: unknown, not
guessed. National bodies (国务院…, 国家税务总局, 退役军人事务部) are "全国".

Municipalities (北京、天津、上海、重庆) are province and city at once: 重庆市大足区 is province 重庆市, city 重庆市,
county 大足区, path "重庆市/大足区". A county-level city directly under its province (琼海市) has no city.

Kind (FORMAT.md §1, 条例 Art. 49): "government" — a people's government itself (某某市人民政府, 某某县人民政府,
某某镇人民政府, or the bare place name a title starts with: 宿迁市2017年…报告), whose own report is due 31 March; every
other body — departments, 人民政府办公室, 委员会, 街道办事处 — is a "department", due 31 January from the 2019 reports.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from govreports.text import compact, t2s

NATIONAL = "全国"

# full name, short forms
PROVINCES: dict[str, tuple[str, ...]] = {
    "北京市": ("北京",), "天津市": ("天津",), "上海市": ("上海",), "重庆市": ("重庆",), "河北省": ("河北",),
    "山西省": ("山西",), "辽宁省": ("辽宁",), "吉林省": ("吉林",), "黑龙江省": ("黑龙江",), "江苏省": ("江苏",),
    "浙江省": ("浙江",), "安徽省": ("安徽",), "福建省": ("福建",), "江西省": ("江西",), "山东省": ("山东",),
    "河南省": ("河南",), "湖北省": ("湖北",), "湖南省": ("湖南",), "广东省": ("广东",), "海南省": ("海南",),
    "四川省": ("四川",), "贵州省": ("贵州",), "云南省": ("云南",), "陕西省": ("陕西",), "甘肃省": ("甘肃",),
    "青海省": ("青海",), "台湾省": ("台湾",), "内蒙古自治区": ("内蒙古",), "广西壮族自治区": ("广西", "广西自治区"),
    "西藏自治区": ("西藏",), "宁夏回族自治区": ("宁夏", "宁夏自治区"), "新疆维吾尔自治区": ("新疆", "新疆自治区"),
    "香港特别行政区": ("香港",), "澳门特别行政区": ("澳门",),
}
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})

# prefecture-level cities (and one autonomous prefecture) → province: those in this project's data, and the
# provincial capitals
CITIES: dict[str, str] = {
    # demo sites and config/portals
    "鄂尔多斯市": "内蒙古自治区", "乌海市": "内蒙古自治区", "定西市": "甘肃省", "韶关市": "广东省",
    "阳江市": "广东省", "景德镇市": "江西省", "海口市": "海南省", "昆明市": "云南省", "温州市": "浙江省",
    "泉州市": "福建省",
    # real samples
    "宿迁市": "江苏省", "泰州市": "江苏省", "武汉市": "湖北省", "襄阳市": "湖北省", "恩施土家族苗族自治州": "湖北省",
    "威海市": "山东省", "吉林市": "吉林省", "福州市": "福建省", "牡丹江市": "黑龙江省", "湛江市": "广东省",
    "眉山市": "四川省",
    # provincial capitals and a few large cities
    "石家庄市": "河北省", "太原市": "山西省", "沈阳市": "辽宁省", "大连市": "辽宁省", "长春市": "吉林省",
    "哈尔滨市": "黑龙江省", "南京市": "江苏省", "苏州市": "江苏省", "杭州市": "浙江省", "宁波市": "浙江省",
    "合肥市": "安徽省", "厦门市": "福建省", "南昌市": "江西省", "济南市": "山东省", "青岛市": "山东省",
    "郑州市": "河南省", "长沙市": "湖南省", "广州市": "广东省", "深圳市": "广东省", "南宁市": "广西壮族自治区",
    "成都市": "四川省", "贵阳市": "贵州省", "拉萨市": "西藏自治区", "西安市": "陕西省", "兰州市": "甘肃省",
    "西宁市": "青海省", "银川市": "宁夏回族自治区", "乌鲁木齐市": "新疆维吾尔自治区", "呼和浩特市": "内蒙古自治区",
}
_CITY_SHORT = {"恩施州": "恩施土家族苗族自治州", "恩施": "恩施土家族苗族自治州"}

# county-level units → (province, city or None when directly under the province)
COUNTIES: dict[str, tuple[str, str | None]] = {
    **{c: ("内蒙古自治区", "鄂尔多斯市") for c in (
        "东胜区", "康巴什区", "达拉特旗", "准格尔旗", "鄂托克前旗", "鄂托克旗", "杭锦旗", "乌审旗", "伊金霍洛旗",
        "恩格贝生态示范区")},
    **{c: ("甘肃省", "定西市") for c in ("安定区", "通渭县", "陇西县", "渭源县", "临洮县", "漳县", "岷县")},
    **{c: ("广东省", "韶关市") for c in (
        "武江区", "浈江区", "曲江区", "乐昌市", "南雄市", "始兴县", "仁化县", "翁源县", "新丰县", "乳源瑶族自治县")},
    **{c: ("江西省", "景德镇市") for c in ("珠山区", "昌江区", "浮梁县", "乐平市")},
    **{c: ("江苏省", "宿迁市") for c in ("宿城区", "宿豫区", "沭阳县", "泗阳县", "泗洪县")},
    "鹿城区": ("浙江省", "温州市"),
    "遂溪县": ("广东省", "湛江市"),
    "汉阳区": ("湖北省", "武汉市"),
    "保康县": ("湖北省", "襄阳市"),
    "来凤县": ("湖北省", "恩施土家族苗族自治州"),
    "文登区": ("山东省", "威海市"),
    "舒兰市": ("吉林省", "吉林市"),
    "晋安区": ("福建省", "福州市"),
    "仁寿县": ("四川省", "眉山市"),
    "琼海市": ("海南省", None),
    "大足区": ("重庆市", "重庆市"),
    "合川区": ("重庆市", "重庆市"),
}

# how a national body's name starts or ends (checked only when no place was found at its start)
_NATIONAL_START = ("国务院", "国家", "中华人民共和国", "中国", "中央", "最高人民")
_NATIONAL_END = ("部", "署", "总局", "总署")
# a place word after a national body's name (国家税务总局某市税务局, 中国人民银行某州分行): its office in a place the
# gazetteer does not know, which is not 全国 (市场 and 城市 are words: 国家市场监督管理总局)
_LOCAL_PLACE = re.compile(r"省|自治区|(?<!城)市(?!场)|县|州|旗")
# after a province's short form these mean it was part of another name (河北区 is in Tianjin, 吉林市 is a city)
_NOT_AFTER_SHORT = tuple("区市县州旗盟路街镇乡村")
# a name that is only a place is that place's government (宿迁市2017年…报告, 福州市晋安区…)
_PLACE_END = ("省", "市", "县", "区", "旗", "盟", "州", "镇", "乡", "苏木", "自治区", "自治州", "自治县")
_GOVERNMENT_END = ("人民政府", "政府")
# a municipality's districts and counties (one level below it, whatever the gazetteer knows)
_DISTRICT = re.compile(r".{2,4}?[区县]")
_OFFICE = re.compile(r"[政委局办厅院会]")


@dataclass(frozen=True)
class Region:
    province: str
    city: str | None = None
    county: str | None = None

    @property
    def path(self) -> str:
        """"江苏省/宿迁市/沭阳县"; a municipality is written once ("重庆市/大足区")."""
        return "/".join(dict.fromkeys(p for p in (self.province, self.city, self.county) if p))

    @property
    def national(self) -> bool:
        return self.province == NATIONAL


def _norm(text: str) -> str:
    return t2s(compact(text))


def _province_at(s: str, i: int) -> tuple[str, int] | None:
    for full, shorts in PROVINCES.items():
        if s.startswith(full, i):
            return full, len(full)
    # a city whose name is a province's short form (吉林市) is read as the city
    for full, shorts in PROVINCES.items():
        for short in sorted(shorts, key=len, reverse=True):
            if s.startswith(short, i):
                after = s[i + len(short): i + len(short) + 1]
                if after and after in _NOT_AFTER_SHORT and full not in MUNICIPALITIES:
                    continue
                if short + after in CITIES:
                    continue
                return full, len(short)
    return None


def _city_at(s: str, i: int) -> tuple[str, int] | None:
    for city in CITIES:
        if s.startswith(city, i):
            return city, len(city)
    for short, city in _CITY_SHORT.items():
        if s.startswith(short, i):
            return city, len(short)
    for city in CITIES:  # 鄂尔多斯恩格贝…: the city without 市, when at least two characters remain of it
        short = city[:-1]
        if city.endswith("市") and len(short) >= 2 and s.startswith(short, i) and not s.startswith(city, i):
            return city, len(short)
    return None


def _county_at(s: str, i: int) -> tuple[str, int] | None:
    best = None
    for county in COUNTIES:
        if s.startswith(county, i) and (best is None or len(county) > len(best)):
            best = county
    return (best, len(best)) if best else None


@functools.lru_cache(maxsize=65536)
def infer_region(name: str | None) -> Region | None:
    """The region an agency's name places it in, read from its start; None when the gazetteer cannot tell."""
    return _infer(_norm(name or ""))[0]


def _infer(s: str) -> tuple[Region | None, int]:
    """(region, where the place names end in `s`)."""
    if not s:
        return None, 0
    province = city = county = None
    i = 0
    if found := _province_at(s, i):
        province, n = found
        i += n
    if province in MUNICIPALITIES:
        city = province
        if (m := _DISTRICT.match(s, i)) and not _OFFICE.search(m.group()):  # 北京市东城区, 天津市滨海新区
            county = m.group()
    elif found := _city_at(s, i):
        c, n = found
        if province in (None, CITIES[c]):
            province, city = CITIES[c], c
            i += n
    if county is None and (found := _county_at(s, i)):
        k, n = found
        kp, kc = COUNTIES[k]
        if province in (None, kp) and city in (None, kc, kp):
            province, city, county = kp, city or kc, k
            i += n
    if province is None:
        if s.startswith(_NATIONAL_START):
            if local := _local_office(s):
                return local
            if _LOCAL_PLACE.search(s):  # an office in a place the gazetteer cannot place: unknown, not guessed
                return None, 0
        return (Region(NATIONAL) if _is_national(s) else None), 0
    return Region(province, city, county), i


def _local_office(s: str) -> tuple[Region, int] | None:
    """A national body's office in a place (国家税务总局宿迁市税务局, 国家金融监督管理总局江苏监管局, 中国人民银行宿迁市
    分行) is that place's: the first province or city named after the body's name. It was 全国, so such offices
    were counted among national bodies and missing from their province. Only full city names and provinces'
    two-character forms count here: a short city form inside a body's name is too often a word."""
    for j in range(2, len(s) - 1):
        if _province_at(s, j) or any(s.startswith(city, j) for city in CITIES):
            region, n = _infer(s[j:])
            if region is not None and not region.national:
                return region, j + n
    return None


def _is_national(s: str) -> bool:
    if s.startswith(_NATIONAL_START):
        return True
    return s.endswith(_NATIONAL_END) and len(s) <= 12 and not any(c in s for c in "省市县区镇乡旗")


def parse_region(text: str) -> Region:
    """A configured region: "江苏省/宿迁市/沭阳县", "江苏/宿迁市", "重庆市/大足区", "全国". Raises ValueError naming
    what is wrong (the config loader reports it with the file and field)."""
    parts = [_norm(p) for p in (text or "").split("/")]
    if not parts or any(not p for p in parts):
        raise ValueError(f"region {text!r}: write it as 省/市/县 separated by '/', e.g. \"江苏省/宿迁市/沭阳县\"")
    if parts == [NATIONAL]:
        return Region(NATIONAL)
    found = _province_at(parts[0], 0)
    if found is None or found[1] != len(parts[0]):
        raise ValueError(f"region {text!r}: {parts[0]!r} is not a province-level name "
                         f"(e.g. 江苏省 or 江苏, 内蒙古自治区, 北京市, or {NATIONAL!r} for national bodies)")
    province, rest = found[0], parts[1:]
    if len(rest) > 2 or (province in MUNICIPALITIES and len(rest) == 2 and rest[0] != province):
        raise ValueError(f"region {text!r}: at most province/city/county")
    city = county = None
    if province in MUNICIPALITIES:
        city = province
        county = rest[-1] if rest and rest[-1] != province else None
    elif len(rest) == 2:
        city, county = _full_city(rest[0]), rest[1]
    elif rest:
        if rest[0] in COUNTIES or (rest[0].endswith(("县", "区", "旗")) and _full_city(rest[0]) not in CITIES):
            county = rest[0]
            known = COUNTIES.get(county)
            city = known[1] if known and known[0] == province else None
        else:
            city = _full_city(rest[0])
    if city in CITIES and CITIES[city] != province:
        raise ValueError(f"region {text!r}: {city} is in {CITIES[city]}, not {province}")
    return Region(province, city, county)


def _full_city(name: str) -> str:
    if name in CITIES:
        return name
    if name in _CITY_SHORT:
        return _CITY_SHORT[name]
    return name + "市" if name + "市" in CITIES else name


def merge_regions(configured: Region | None, inferred: Region | None) -> Region | None:
    """The configured region wins; the name may add the levels below it when it agrees with what is configured
    (a portal configured as 江苏省 listing 宿迁市财政局 → 江苏省/宿迁市)."""
    if configured is None:
        return inferred
    if inferred is None or configured.national or inferred.province != configured.province:
        return configured
    if configured.city and inferred.city and inferred.city != configured.city:
        return configured
    city = configured.city or inferred.city
    if configured.county or not inferred.county:
        return Region(configured.province, city, configured.county)
    return Region(configured.province, city, inferred.county)


# a place below the one the gazetteer read ("宿迁市某某区财政局": a district it does not know), before any office word
_DEEPER_PLACE = re.compile(r"^[^局委办厅院所室署会司处]{1,8}?(?:县|区|旗|镇|乡|街道)")


def _above(inferred: Region, configured: Region) -> bool:
    """Whether a name places its agency at a level above the portal's region, on its path (a county portal that
    re-posts its city's or province's report: 内蒙古自治区人民政府 on the 恩格贝 column)."""
    if inferred.national or configured.national or inferred.province != configured.province:
        return False
    if inferred.city is None:
        return configured.city is not None or configured.county is not None
    return inferred.city == configured.city and inferred.county is None and configured.county is not None


def region_for(name: str | None, configured: str | None = None) -> Region | None:
    """The region of an agency: its portal's configured region, refined by its name, else its name's — except
    for a body the name places above the portal's region (a re-post of a higher government's report), which
    keeps the name's, unless more place follows the part of the name the gazetteer read."""
    inferred, end = _infer(_norm(name or ""))
    wanted = parse_region(configured) if configured else None
    if wanted is not None and inferred is not None and _above(inferred, wanted) \
            and not _DEEPER_PLACE.match(_norm(name or "")[end:]):
        return inferred
    return merge_regions(wanted, inferred)


@functools.lru_cache(maxsize=65536)
def agency_kind(name: str | None) -> str:
    """"government" for a people's government itself (its own report is due 31 March), else "department"."""
    s = _norm(name or "")
    if s.endswith(_GOVERNMENT_END) or s == "国务院":
        return "government"
    if s.endswith(_PLACE_END) and len(s) >= 2:
        return "government"
    return "department"
