"""Unlabelled bytes: what detection makes of a short GBK text, and of real Big5."""

from __future__ import annotations

import pytest

from govreports.extract.decode import decode_bytes


@pytest.mark.parametrize("text", ["2023年报", "<html><body>2023年报</body></html>", '{"title": "某县2023年报"}',
                                  "<li><a href='/a.html'>某局2022年年报</a></li>"])
def test_a_short_gbk_text_without_a_label_is_read_as_gbk(text):
    """charset-normalizer finds a short text equally plausible in several East Asian encodings and ranked Big5 or
    CP949 first: '2023年报' came out as '2023爛惆', a JSON list API's titles (unlabelled GBK) as Korean. On a
    tie the GB reading wins, as Chinese government sites write GBK, never Korean."""
    data = text.encode("gbk")
    assert decode_bytes(data) == (text, "gb18030")


@pytest.mark.parametrize("text", ["政府資訊公開年報", "香港特別行政區政府新聞公報"])
def test_real_big5_is_still_read_as_big5(text):
    """Traditional characters in Big5, which the GB reading would turn to nonsense: detection alone finds Big5,
    and no tie gives it away."""
    assert decode_bytes(text.encode("big5")) == (text, "big5")


_TITLES = "".join(f"<li><a href='/a{i}.html'>某某市人民政府办公室{2000 + i}年政府信息公开工作年度报告</a></li>" for i in range(20))


@pytest.mark.parametrize("label", ["utf-8", "gbk", None])
def test_a_utf8_page_with_one_character_cut_short_is_still_read_as_utf8(label):
    """A CMS that cuts a title at a byte count leaves half a character in an otherwise good UTF-8 page: the strict
    reading failed, detection took the page for GB18030, and every title turned to mojibake (骞存斂搴滀俊…), so the
    title filter found no report in the column. The cut character is replaced; the rest reads as written."""
    cut = "<li><a>某县财政局2023年度报".encode()[:-1] + b"...</a></li>"
    data = b"<html><body>" + cut + _TITLES.encode() + b"</body></html>"
    text, encoding = decode_bytes(data, label)
    assert encoding == "utf-8" and text.count("\ufffd") == 1 and _TITLES in text and "某县财政局2023年度\ufffd..." in text


def test_gbk_bytes_labelled_utf8_are_still_read_as_gbk():
    """Tolerating a few broken sequences in UTF-8 does not take a GBK page, which is broken UTF-8 throughout."""
    data = ("<html><body>" + _TITLES + "</body></html>").encode("gbk")
    assert decode_bytes(data, "utf-8") == ("<html><body>" + _TITLES + "</body></html>", "gb18030")


def test_a_short_gbk_answer_labelled_gbk_with_a_character_cut_short_is_still_read_as_gbk():
    """A list API's one-item answer, labelled GBK, its title cut at a byte count: the strict reading failed, and
    detection, with so little text to go on, read it as cp1250 (ÄłÄłĎŘ…). The label is kept, the cut character
    replaced."""
    title = "某某县财政局2023年度政府信息公开工作年度报告"
    data = b'{"total": 1, "articles": [{"title": "' + title.encode("gbk")[:-1] + b'", "url": "/a.html"}]}'
    text, encoding = decode_bytes(data, "gbk")
    assert encoding == "gb18030" and title[:-1] + "\ufffd" in text
