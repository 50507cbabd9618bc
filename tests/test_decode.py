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
