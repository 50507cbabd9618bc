from __future__ import annotations

import pytest

from govreports.parse.values import parse_value


@pytest.mark.parametrize(
    "cell,number,unit",
    [
        ("0", 0, None), ("859", 859, None), ("８５９", 859, None), ("+2", 2, None), ("-11", -11, None),
        ("－3", -3, None), ("4068.208", 4068.208, None), ("1,234", 1234, None), ("12,345,678", 12345678, None),
        ("251000元", 251000, "元"), ("253.168万元", 253.168, "万元"), ("2792220.8元", 2792220.8, "元"),
        (" 70487 元 ", 70487, "元"), ("5件", 5, None), ("13（件）", 13, None), ("251000（元）", 251000, "元"),
        ("6 (项)", 6, None), ("12份", 12, None), ("3起", 3, None), ("2人次", 2, None),
        ("增2", 2, None), ("增加3", 3, None), ("减1", -1, None), ("减少8", -8, None),  # 本年增/减 in words
    ],
)
def test_numbers(cell, number, unit):
    value = parse_value(cell)
    assert value is not None
    assert value.number == number and type(value.number) is type(number)
    assert value.unit == unit


@pytest.mark.parametrize("cell", ["", " ", "\u00a0", "-", "—", "——", "/", "无", "－", "暂无", "不适用", "×",
                                  "＼", "\\", "╱", "（空）"])
def test_blanks_are_null_not_zero(cell):
    value = parse_value(cell)
    assert value is not None and value.number is None


@pytest.mark.parametrize("cell", ["规章", "本年增/减", "97+82179", "2021年", "第二十条第（一）项", "1.属于国家秘密"])
def test_text_is_not_a_value(cell):
    assert parse_value(cell) is None


@pytest.mark.parametrize("cell", ["5①", "12²", "3⑵", "7⁽¹⁾", "1½"])
def test_a_footnote_mark_is_not_a_digit(cell):
    """NFKC makes ① a 1 and ² a 2: '5①' (5 with a footnote mark) was read as 51, '12²' as 122. Such a cell is no
    number (a slip among a row's values is then null in its own column, parse.tables)."""
    assert parse_value(cell) is None


def test_the_listed_other_digits_are_every_one_nfkc_or_int_reads():
    import unicodedata

    from govreports.parse.values import _OTHER_DIGITS

    for c in map(chr, range(0x80, 0x10000)):
        if "０" <= c <= "９" or 0xD800 <= ord(c) <= 0xDFFF:
            continue
        becomes_digit = any(d.isdigit() for d in unicodedata.normalize("NFKC", c))
        assert bool(_OTHER_DIGITS.fullmatch(c)) == becomes_digit, hex(ord(c))


@pytest.mark.parametrize("mark", ["\u200c", "\u200b", "\u2060", "\ufeff", "\u200d", "\u00ad", "\u200e"])
def test_invisible_characters_in_a_number_are_dropped(mark):
    """'8\\u200c21' (a zero-width non-joiner a Word export left) was no number: the cell read null."""
    assert parse_value(f"8{mark}21").number == 821
    assert parse_value(f"{mark}12{mark}元").number == 12
    assert parse_value(mark).number is None
