"""One agency, one row: names are normalised so that spacing, full-width forms and traditional characters
(mirror sites carry 繁體 copies) do not split an agency's reports across several rows. The fold is govreports.text's."""

from __future__ import annotations

import functools

from govreports.text import compact, t2s

# Province-level names, full form first; a short form only where it cannot be a district's name
# (河北区 is in Tianjin, 吉林市 is a city, so those need the 省 suffix).
_PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省",
    "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省",
    "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区", "西藏自治区",
    "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
)
_SHORT = {"内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区", "宁夏": "宁夏回族自治区",
          "新疆": "新疆维吾尔自治区"}


@functools.lru_cache(maxsize=65536)
def normalise_agency(name: str) -> str:
    """The key two spellings of one agency share: NFKC, simplified characters, no whitespace."""
    return t2s(compact(name))


def region_of(norm_name: str) -> str | None:
    """The province-level region an agency's name starts with, else None (unknown, not guessed)."""
    for province in _PROVINCES:
        if norm_name.startswith(province):
            return province
    for short, full in _SHORT.items():
        if norm_name.startswith(short):
            return full
    return None
