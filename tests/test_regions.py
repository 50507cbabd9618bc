"""Regions and kinds of agencies (govreports.regions): from the name through the gazetteer, or from a portal's
config; a city implies its province, national bodies are 全国, a people's government is due 31 March."""

from __future__ import annotations

from itertools import islice

import pytest

from govreports.demo.agencies import NATIONAL, REGIONS, agency_stream
from govreports.regions import (NATIONAL as NATIONWIDE, PROVINCES, Region, agency_kind, infer_region,
                                merge_regions, parse_region, region_for)

NAMES = [
    # the real samples' agencies
    ("上海市人民政府办公厅", "上海市", "department"),
    ("上海市政府", "上海市", "government"),
    ("沭阳县人民政府", "江苏省/宿迁市/沭阳县", "government"),
    ("宿迁市", "江苏省/宿迁市", "government"),  # a title that names only the place: the government's own report
    ("宿迁市人民政府办公室", "江苏省/宿迁市", "department"),
    ("泰州市人民政府", "江苏省/泰州市", "government"),
    ("保康县农业农村局", "湖北省/襄阳市/保康县", "department"),
    ("来凤县政务服务和大数据管理局", "湖北省/恩施土家族苗族自治州/来凤县", "department"),
    ("威海市文登区信访局", "山东省/威海市/文登区", "department"),
    ("武汉市汉阳区人民政府办公室", "湖北省/武汉市/汉阳区", "department"),
    ("乌海市工业和信息化局", "内蒙古自治区/乌海市", "department"),
    ("舒兰市市场监督管理局", "吉林省/吉林市/舒兰市", "department"),  # 吉林市 the city, not 吉林 the province
    ("福州市晋安区", "福建省/福州市/晋安区", "government"),
    ("重庆市大足区人民政府外事办公室", "重庆市/大足区", "department"),
    ("重庆市合川区二郎镇人民政府", "重庆市/合川区", "government"),
    ("遂溪县建新镇人民政府", "广东省/湛江市/遂溪县", "government"),
    ("河北省教育厅", "河北省", "department"),
    ("牡丹江市科学技术局", "黑龙江省/牡丹江市", "department"),
    ("国家新闻出版署", "全国", "department"),
    # config/portals titles
    ("江苏省发展和改革委员会", "江苏省", "department"),
    ("昆明市人力资源和社会保障局", "云南省/昆明市", "department"),
    ("海口市人力资源和社会保障局", "海南省/海口市", "department"),
    ("阳江市自然资源局", "广东省/阳江市", "department"),
    ("陕西省中医药管理局", "陕西省", "department"),
    ("鄂尔多斯恩格贝生态示范区", "内蒙古自治区/鄂尔多斯市/恩格贝生态示范区", "government"),
    ("国家税务总局", "全国", "department"),
    ("退役军人事务部", "全国", "department"),
    # a national body's local office is its place's (they were 全国: missing from their province's analyses)
    ("国家税务总局宿迁市税务局", "江苏省/宿迁市", "department"),
    ("国家税务总局江苏省税务局", "江苏省", "department"),
    ("国家金融监督管理总局江苏监管局", "江苏省", "department"),
    ("中国人民银行宿迁市分行", "江苏省/宿迁市", "department"),
    ("国家新闻出版署", "全国", "department"),
    ("国家市场监督管理总局", "全国", "department"),
    ("国家海洋局南海分局", "全国", "department"),
    # short forms and autonomous regions
    ("内蒙古自治区人民政府", "内蒙古自治区", "government"),
    ("广西壮族自治区教育厅", "广西壮族自治区", "department"),
    ("江苏宿迁市财政局", "江苏省/宿迁市", "department"),
    ("北京市东城区教育委员会", "北京市/东城区", "department"),
    ("国务院", "全国", "government"),
    ("国务院办公厅", "全国", "department"),
    ("某某街道办事处", None, "department"),
]


@pytest.mark.parametrize("name,path,kind", NAMES, ids=[n[0] for n in NAMES])
def test_region_and_kind_from_the_name(name, path, kind):
    found = infer_region(name)
    assert (found.path if found else None) == path
    assert agency_kind(name) == kind


@pytest.mark.parametrize("name", ["甲市教育局", "大路镇人民政府", "河北区人民政府", "沐阳县人民政府", "",
                                  # a national body's office in a place the gazetteer does not know: not 全国,
                                  # where it was counted among the national bodies (their compliance, their charts)
                                  "国家税务总局甲市税务局", "中国人民银行乙市分行", "国家税务总局丙县税务局",
                                  "国家金融监督管理总局丁州监管分局"])
def test_what_the_gazetteer_cannot_place_is_not_guessed(name):
    assert infer_region(name) is None  # 河北区 is in Tianjin, not 河北省; 沐阳 is an OCR error for 沭阳


@pytest.mark.parametrize("name", ["国家市场监督管理总局", "国家发展和改革委员会城市和小城镇改革发展中心", "国家乡村振兴局"])
def test_a_national_body_whose_name_holds_a_place_word_is_still_national(name):
    assert infer_region(name).path == NATIONWIDE  # 市场, 城市: words, not a city


def test_every_province_by_full_and_short_name():
    assert len(PROVINCES) == 34
    for full, shorts in PROVINCES.items():
        for name in (full, *shorts):
            assert infer_region(name + "教育厅").province == full, name
            assert parse_region(name).province == full, name


def test_municipalities_are_province_and_city():
    region = infer_region("重庆市大足区人民政府外事办公室")
    assert (region.province, region.city, region.county) == ("重庆市", "重庆市", "大足区")
    region = infer_region("琼海市大路镇人民政府")  # a county-level city directly under its province
    assert (region.province, region.city, region.county, region.path) == ("海南省", None, "琼海市", "海南省/琼海市")


def test_every_demo_agency_is_placed():
    from govreports.demo.sites import gate, taizhou, wenzhou

    names = list(NATIONAL)
    for site in REGIONS:  # 60 of each site's, or all a finite one has (gov.cn: the national bodies; tax: its bureaus)
        names += list(islice(agency_stream(site, seed=0), 60 if site != "govcn" else len(NATIONAL)))
    # the sites with agencies of their own (/wenzhou/, the gate's 泉州 column): they had no region, so `analyze
    # scorecard --region 温州` said no agency was there, and 国家税务总局泉州市税务局 was counted as a national body
    names += [*wenzhou.AGENCIES, *gate.AGENCIES, *taizhou.AGENCIES]
    unplaced = [n for n in names if infer_region(n) is None]
    assert unplaced == []
    assert {infer_region(n).province for n in NATIONAL} == {NATIONWIDE}


@pytest.mark.parametrize("text,expected", [
    ("江苏省/宿迁市/沭阳县", Region("江苏省", "宿迁市", "沭阳县")),
    ("江苏/宿迁/沭阳县", Region("江苏省", "宿迁市", "沭阳县")),
    ("江苏省/沭阳县", Region("江苏省", "宿迁市", "沭阳县")),
    ("江苏省 / 宿迁市", Region("江苏省", "宿迁市")),
    ("重庆市/大足区", Region("重庆市", "重庆市", "大足区")),
    ("全国", Region("全国")),
])
def test_configured_regions(text, expected):
    assert parse_region(text) == expected


@pytest.mark.parametrize("text,message", [
    ("火星/x", "is not a province-level name"),
    ("江苏省/武汉市", "武汉市 is in 湖北省, not 江苏省"),
    ("江苏省/宿迁市/沭阳县/钱集镇", "at most province/city/county"),
    ("江苏省//沭阳县", "separated by '/'"),
])
def test_a_bad_configured_region_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_region(text)


def test_the_configured_region_wins_and_the_name_refines_it():
    assert region_for("宿迁市财政局", "江苏省") == Region("江苏省", "宿迁市")  # the name adds the city
    assert region_for("韶关市财政局", "江苏省/宿迁市") == Region("江苏省", "宿迁市")  # a conflict: the config wins
    assert region_for("泗阳县财政局", "江苏省/宿迁市/沭阳县") == Region("江苏省", "宿迁市", "沭阳县")
    assert region_for("甲市教育局", "全国") == Region("全国")
    assert merge_regions(None, None) is None


def test_the_config_validates_and_normalises_region(tmp_path):
    from govreports.portals.config import ConfigError, PortalConfig, load_config

    portal = PortalConfig(name="x", adapter="trs", start_url="http://a.gov.cn/", region="江苏/宿迁/沭阳县")
    assert portal.region == "江苏省/宿迁市/沭阳县"
    assert PortalConfig(name="x", adapter="trs", start_url="http://a.gov.cn/").region is None
    with pytest.raises(ValueError, match="not a province-level name"):
        PortalConfig(name="x", adapter="trs", start_url="http://a.gov.cn/", region="宿迁市")
    path = tmp_path / "x.toml"
    path.write_text('[[portal]]\nname = "x"\nadapter = "trs"\nstart_url = "http://a.gov.cn/"\nregion = "火星"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x\.toml: portal\[0\]\.region: .*'火星' is not a province-level name"):
        load_config(path)


@pytest.mark.parametrize("name,configured,expected", [
    # a county column re-posting its province's and city's reports: those bodies keep the name's (higher) region
    ("内蒙古自治区人民政府", "内蒙古/鄂尔多斯市/恩格贝生态示范区", "内蒙古自治区"),
    ("鄂尔多斯市人民政府办公室", "内蒙古/鄂尔多斯市/恩格贝生态示范区", "内蒙古自治区/鄂尔多斯市"),
    ("江苏省人民政府", "江苏/宿迁市/沭阳县", "江苏省"),
    # the portal's own bodies, and names that say less, take the portal's region
    ("鄂尔多斯市恩格贝生态示范区农牧局", "内蒙古/鄂尔多斯市/恩格贝生态示范区", "内蒙古自治区/鄂尔多斯市/恩格贝生态示范区"),
    ("农牧局", "内蒙古/鄂尔多斯市/恩格贝生态示范区", "内蒙古自治区/鄂尔多斯市/恩格贝生态示范区"),
    # a place below the city that the gazetteer does not know is not read as the city itself
    ("鄂尔多斯市某某旗财政局", "内蒙古/鄂尔多斯市/恩格贝生态示范区", "内蒙古自治区/鄂尔多斯市/恩格贝生态示范区"),
])
def test_a_portal_region_and_a_higher_body_in_its_column(name, configured, expected):
    from govreports.regions import region_for

    assert region_for(name, configured).path == expected
