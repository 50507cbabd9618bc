"""A report kept in a JavaScript data file (`let content = "…"`, PORTALS.md §9): which script of a page is the data
file, and the report HTML decoded from it as JavaScript decodes the string. The real case is the Shanghai sample
(samples/html/02_shanghai_szfbgt_2019_fragment.html), wrapped here the way its source file holds it."""

from __future__ import annotations

import pytest

from conftest import SAMPLES, load_expected, require_samples
from govreports.parse import parse_bytes
from govreports.portals.adapters.datafile import (DataFileError, content_html, data_script, data_text,
                                                  is_data_file_url, report_page)

FRAGMENT = "html/02_shanghai_szfbgt_2019_fragment.html"
# the head of the real data file (zhouzhuliang0901/wanda …/GovernmentPublicInformations/js/options.js, abridged):
# menu arrays declared with `let`, the report last, no semicolon after it
REAL_HEAD = ('//字典项\nlet ascceptanceArea = [{\n\t"id": "1",\n\t"name": "上海市"\n}]\n\nlet secondMenuFourthChild = [{\n'
             '\t"id": "",\n\t"name": "市政府办公厅"\n}]\n\nlet secondMenuFifthChild = [{\n\t"id": "2019年上海市人民政府办公厅政府'
             '信息公开工作年度报告",\n\t"name": "市政府公报"\n}]\n\n')
PAGE = """<html><head><meta charset="UTF-8"><title>政府信息公开</title></head><body><div class="shell">
<div ng-view ui-view></div></div>
<script src="../libs/angularjs/1.5.8/angular.js"></script><script src="../libs/jquery/jquery-1.8.1.min.js"></script>
<script src="js/util.js"></script><script src="js/options.js"></script><script src="app.js"></script>
<script src="controller.js"></script><script src="router.js"></script></body></html>"""
PAGE_URL = "http://sh.example.gov.cn/selfWorkBench_V2/GovernmentPublicInformations/index.html"


def real_fragment() -> str:
    return (require_samples() / FRAGMENT).read_text(encoding="utf-8").rstrip("\n")  # the file's newline, not the string's


def as_real_file(html: str) -> str:
    """`html` written as the real data file writes it: in double quotes, `"` as \\", a backslash doubled."""
    return REAL_HEAD + 'let content = "' + html.replace("\\", "\\\\").replace('"', '\\"') + '"\n'


def test_the_real_fragment_is_decoded_exactly_and_parses_to_its_expected_record():
    fragment = real_fragment()
    script = as_real_file(fragment)
    assert '\\"center\\"' in script and "\t" in script and "&lt;" in script  # the real file's quirks are all there
    assert content_html(script) == fragment
    record = parse_bytes(report_page(PAGE, content_html(script)), "index.html", http_charset="utf-8")
    expected = load_expected(SAMPLES / "expected" / "02_shanghai_szfbgt_2019_fragment.json")
    for key in ("title", "agency", "year", "format", "published"):
        assert record[key] == expected[key], key
    for table in ("active", "applications", "review_litigation"):
        assert record[table] == expected[table], table


def test_the_page_alone_holds_no_report():
    """What the crawler saw before: the page without its data file is no report."""
    from govreports.parse import ParseError

    with pytest.raises(ParseError):
        parse_bytes(PAGE.encode("utf-8"), "index.html", http_charset="utf-8")


@pytest.mark.parametrize("script,html", [
    ("var content = '<p class=\"a\">甲</p>\\'乙\\'';", "<p class=\"a\">甲</p>'乙'"),
    ("const content = `<p>\n甲</p>`;", "<p>\n甲</p>"),
    ('{"title": "x", "content": "<p>\\u003Cb\\u003E\\u7532</p>\\n", "n": 1}', "<p><b>甲</p>\n"),
    ("window.content = '<p>' + \"甲\"\n  + '</p>';", "<p>甲</p>"),
    ("let content = \"<p>\\x41\\/\\\\\\u{1F600}\\uD83D\\uDE00 \\\nB</p>\"", "<p>A/\\\U0001F600\U0001F600 B</p>"),
    ("if (content == 'x') {}\nvar content = getIt();\nvar content = \"<p>甲</p>\"", "<p>甲</p>"),
], ids=["single-quoted", "template", "json-field", "concatenated", "escapes", "not-the-first-assignment"])
def test_other_javascript_spellings_of_the_string(script, html):
    """Inferred spellings (JavaScript's own, not seen on a portal): each decodes to the same HTML a browser gets."""
    assert content_html(script) == html


@pytest.mark.parametrize("script,why", [
    ("<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>", "not JavaScript: the answer is an HTML page"),
    ("let menu = [{\"id\": \"1\"}]\n", "no `content = \"…\"` string in it"),
    ('let content = "<p>一、总体情况</p><table><tr><td>8', "cut short: the content string opened at character 14"),
    ('let content = "<p>一</p>\n<p>二</p>"', "a line break inside the content string"),
    ("let content = `<p>${year}</p>`", "${…}"),
    ('let content = "<p>\\u00G1</p>"', "a broken escape"),
    ('let content = ""', "the content string is empty"),
    ("let content = '<p>' + body", "joined to code"),
], ids=["html-page", "no-content", "cut-short", "raw-line-break", "template-code", "broken-escape", "empty",
        "joined-to-code"])
def test_a_data_file_that_is_not_one_is_named(script, why):
    with pytest.raises(DataFileError, match=None) as raised:
        content_html(script)
    assert why in str(raised.value)


def test_a_real_data_file_cut_short_is_never_half_a_report():
    script = as_real_file(real_fragment())
    with pytest.raises(DataFileError, match="cut short"):
        content_html(script[:len(script) // 2])


def test_the_data_file_is_the_page_s_own_data_script_and_no_other():
    """The rule: same host, the page's folder or below, a data file's name; the page's libraries (../libs/),
    its other scripts (util.js, app.js, controller.js) and another host's scripts are never fetched."""
    assert data_script(PAGE, PAGE_URL) == \
        "http://sh.example.gov.cn/selfWorkBench_V2/GovernmentPublicInformations/js/options.js"
    others = PAGE.replace('<script src="js/options.js"></script>', "")
    assert data_script(others, PAGE_URL) is None
    elsewhere = PAGE.replace('src="js/options.js"', 'src="http://cdn.example.com/x/js/options.js"')
    assert data_script(elsewhere, PAGE_URL) is None
    assert data_script(PAGE.replace('src="js/options.js"', 'src="../js/options.js"'), PAGE_URL) is None
    assert data_script('<script src="js/content_7370.js"></script>', "http://h/xxgk/nb/detail?id=7370") == \
        "http://h/xxgk/nb/js/content_7370.js"
    assert data_script('<script src="js/data.min.js"></script><script src="dataTables.js"></script>',
                       "http://h/a/b.html") is None
    assert is_data_file_url("http://h/xxgk/nb/js/content_7370.js") and not is_data_file_url("http://h/a/P0.pdf")


def test_a_gbk_data_file_is_read_in_its_page_s_encoding():
    script = 'let content = "<p>2019年报告</p>"'.encode("gb18030")
    assert content_html(data_text(script, "gb18030")) == "<p>2019年报告</p>"
    assert content_html(data_text('let content = "<p>年报</p>"'.encode("utf-8"), "gb18030")) == "<p>年报</p>"


def test_the_document_keeps_the_page_s_head_and_only_the_data_file_s_body():
    page = ('<html><head><meta name="ArticleTitle" content="X局2021年报告"><meta name="PubDate" content="2022-01-20">'
            '</head><body><ul class="nav"><li>首页</li></ul><div id="detailContent"></div>'
            '<div class="footer">网站标识码</div></body></html>')
    doc = report_page(page, "<p>一、总体情况</p>").decode("utf-8")
    assert 'content="X局2021年报告"' in doc and 'content="2022-01-20"' in doc and "<p>一、总体情况</p>" in doc
    assert "首页" not in doc and "网站标识码" not in doc
