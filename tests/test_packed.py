"""A report posted packed in a zip (PORTALS.md lists .zip among real attachments): the document inside is read as
itself, its member named in the record; a zip that holds no single report, a damaged one, or a zip in the zip is
refused with a reason. The seed report (samples/seed, read at test time) is the document packed."""

from __future__ import annotations

import pytest

from govreports.parse import ParseError, parse_bytes
from govreports.render.docx import to_docx
from govreports.render.pdf import to_pdf

from conftest import SHARED

SEED = SHARED / "samples" / "seed" / "000_dc3a28ed7fcc2bfa.txt"
NAME = "2023年政府信息公开工作年度报告"


@pytest.fixture(scope="module")
def seed():
    """The seed report's record and its PDF and DOCX renderings."""
    record = parse_bytes(SEED.read_bytes(), SEED.name)
    return record, to_pdf(record), to_docx(record)


def _zip(members: dict[str, bytes], gbk: bool = False) -> bytes:
    """A zip of `members`; `gbk`: names written as Chinese zip tools write them (GBK, no UTF-8 flag)."""
    from govreports.demo.documents import zip_of

    return zip_of(members, gbk)


def _cells(record: dict) -> dict:
    """The record's three tables, every cell (SCHEMA.md: active, applications, review_litigation), flattened."""
    out = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            out[prefix] = value

    for table in ("active", "applications", "review_litigation"):
        walk(table, record[table])
    return out


@pytest.mark.parametrize("gbk", [False, True], ids=["utf8-names", "gbk-names"])
def test_a_zip_holding_the_report_is_read_as_the_report(seed, gbk):
    record, pdf, docx = seed
    alone = parse_bytes(pdf, f"{NAME}.pdf")
    packed = parse_bytes(_zip({f"{NAME}/{NAME}.pdf": pdf, f"{NAME}/附件说明.txt": b"x"}, gbk), "P0.zip")
    assert _cells(packed) == _cells(alone) and len(_cells(packed)) > 150
    assert packed["zip_member"] == f"{NAME}/{NAME}.pdf" and packed["year"] == alone["year"]
    # the same report as .pdf and .docx: the DOCX, which keeps its tables exactly, as a page's attachments rank
    both = parse_bytes(_zip({f"{NAME}.pdf": pdf, f"{NAME}.docx": docx}, gbk), "P0.zip")
    assert both["zip_member"] == f"{NAME}.docx" and _cells(both) == _cells(parse_bytes(docx))
    # one document, whatever its name
    assert parse_bytes(_zip({"P020240131.pdf": pdf}), "P0.zip")["zip_member"] == "P020240131.pdf"


def test_a_zip_that_holds_no_single_report_says_what_it_holds(seed):
    _, pdf, _ = seed
    with pytest.raises(ParseError, match="not one report .*2022年.*2023年"):
        parse_bytes(_zip({"2022年年度报告.pdf": pdf, "2023年年度报告.pdf": pdf}))
    with pytest.raises(ParseError, match="none of which is named as an annual report .*附件1.pdf"):
        parse_bytes(_zip({"附件1.pdf": pdf, "附件2.pdf": pdf}))
    # a zip of no document names what it holds as its tool wrote it (GBK: read as code page 437 before, 附件 ╕╜╝■)
    with pytest.raises(ParseError, match=r"not a report: a zip archive.*\(it holds 附件说明.txt\)"):
        parse_bytes(_zip({"附件说明.txt": b"x" * 500}, gbk=True))


def test_a_damaged_report_in_a_zip_is_named_with_its_member(seed):
    _, pdf, _ = seed
    with pytest.raises(ParseError, match=rf"(damaged|truncated).*\(in the zip: {NAME}.pdf\)"):
        parse_bytes(_zip({f"{NAME}.pdf": pdf[: len(pdf) // 3]}))
    cut = _zip({f"{NAME}.pdf": pdf})
    with pytest.raises(ParseError, match=rf"damaged or truncated zip archive \(.*cut short.*{NAME}.pdf\)"):
        parse_bytes(cut[:-200])  # its directory cut short
    inner = _zip({f"{NAME}.pdf": pdf})  # a zip in the zip is not opened, whatever it is named
    with pytest.raises(ParseError, match=r"not a report: a zip archive.*年报.zip"):
        parse_bytes(_zip({"年报.zip": inner}))
    with pytest.raises(ParseError, match=r"inside the zip: not opened \(in the zip: 年报.docx\)"):
        parse_bytes(_zip({"年报.docx": inner}))
