"""Report bodies as the portals hold them: an HTML fragment for the article container, or attachment bytes.

The fragment comes from govreports.render (the Word export or the clean layout) with the page chrome stripped, so
each CMS template can put it in its own container (.TRS_Editor, ContentStart/End, _CONFIG.DETAIL, #UCAP-CONTENT).
Pre-2019 reports are free-form (no tables, headings of the old 条例), which the renderers do not draw, so they
get a small layout of their own here. Synthetic quirks (full-width digits, "——" for blank cells) are applied to
the Word export's value cells only and are marked as synthetic in a comment: real samples do not show them.
"""

from __future__ import annotations

import io
import re
import zipfile
from html import escape

from govreports.demo.records import PRE2019_HEADINGS
from govreports.render import to_docx, to_html, to_pdf

_WORD_BODY = re.compile(r"<div class=WordSection1[^>]*>\n(.*)\n</div></div>\n<div class=\"article-tools\">", re.S)
_CLEAN_BODY = re.compile(r"<body>\n(.*)\n</body>", re.S)
# value cells of the Word export: an ASCII run in a 10.5pt span (labels are in 宋体 runs; "1." is not a number)
_VALUE_RUN = re.compile(r"(<span lang=EN-US style='font-size:10\.5pt;[^']*'>)([+\-]?\d+(?:\.\d+)?)(</span>)")
_BLANK_CELL = "<span style='font-size:10.5pt;font-family:宋体'>&nbsp;</span>"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

QUIRKS = (None, "fullwidth", "dashes")


def body_fragment(record: dict, style: str = "word", quirk: str | None = None) -> str:
    """The report's body (sections and tables) as an HTML fragment, without title and page chrome."""
    if record.get("format") not in ("2019", "2021"):
        return _free_form(record)
    page = to_html(record, style=style)
    if style == "clean":
        body = _CLEAN_BODY.search(page).group(1)
        lines = [ln for ln in body.split("\n") if not ln.startswith(("<h1>", "<p>发布日期："))]
        return "\n".join(lines)
    body = _WORD_BODY.search(page).group(1)
    if quirk == "fullwidth":
        body = _VALUE_RUN.sub(lambda m: m.group(1) + m.group(2).translate(_FULLWIDTH) + m.group(3), body)
        body = "<!-- synthetic quirk (demo portal): full-width digits in table cells -->\n" + body
    elif quirk == "dashes":
        body = body.replace(_BLANK_CELL, "<span style='font-size:10.5pt;font-family:宋体'>——</span>")
        body = "<!-- synthetic quirk (demo portal): “——” written for blank cells -->\n" + body
    return body


def _free_form(record: dict) -> str:
    """Old-regulation reports: a preamble, numbered headings as the agency chose them, paragraphs."""
    out = [f"<p style=\"text-indent:2em\">根据《中华人民共和国政府信息公开条例》规定，现公布{escape(record['agency'])}"
           f"{record['year']}年度政府信息公开工作情况。本报告中所列数据的统计期限自{record['year']}年1月1日起至"
           f"{record['year']}年12月31日止。</p>"]
    for number, text in sorted((record.get("sections") or {}).items(), key=lambda kv: int(kv[0])):
        out.append(f"<p style=\"text-indent:2em\"><strong>{escape(PRE2019_HEADINGS[int(number) - 1])}</strong></p>")
        out.extend(f"<p style=\"text-indent:2em\">{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return "\n".join(out)


def attachment_bytes(record: dict, ext: str, hyperlinks: bool = False) -> bytes:
    """A report as an attachment (slow: PDF ~0.1 s, DOCX 0.2 s, scan ~0.5 s, .doc 2–4 s: callers cache the bytes).
    ext: pdf | docx | ofd | doc (the DOCX converted by LibreOffice, a real Word 97 file) | scan (an image-only
    PDF: the PDF's pages as 200-dpi images, as a scanner makes them) | xlsx | xls (a workbook: render.sheet, a few
    ms). `hyperlinks`: a PDF's （超链版）."""
    if ext == "pdf":
        return to_pdf(record, hyperlinks=hyperlinks)
    if ext == "docx":
        return to_docx(record)
    if ext == "ofd":
        from govreports.render.ofd import to_ofd

        return to_ofd(record)
    if ext == "scan":
        return scanned_pdf(to_pdf(record), scanned_on=record.get("published"))
    if ext == "doc":
        return word97(to_docx(record))
    if ext in ("xlsx", "xls"):
        from govreports.render.sheet import to_xls, to_xlsx

        return to_xlsx(record) if ext == "xlsx" else to_xls(record)
    if ext == "zip":
        return packed(record)
    raise ValueError(f"no attachment renderer for .{ext}")


class _GbkName(zipfile.ZipInfo):
    """A member named as Chinese zip tools (WinRAR, 360压缩, Windows' own) name it: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's name for it
        return self.filename.encode("gbk"), self.flag_bits


def zip_of(members: dict[str, bytes], gbk: bool = True) -> bytes:
    """A zip of `members` (name -> bytes), deflated, at a fixed date (the same bytes, and ETag, in every process);
    `gbk`: names as Chinese zip tools write them, else as zipfile does (UTF-8, flagged)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            info = (_GbkName if gbk else zipfile.ZipInfo)(name, date_time=(2024, 1, 31, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return out.getvalue()


def packed(record: dict) -> bytes:
    """A report posted as a zip (PORTALS.md: `./P0….zip`): its PDF named by its title beside a note on the files,
    names in GBK."""
    return zip_of({f"{record['title']}.pdf": to_pdf(record), "附件说明.txt": "附件：年度报告全文（PDF）。".encode("gbk")})


def scanned_pdf(pdf: bytes, dpi: int = 200, scanned_on: str | None = None) -> bytes:
    """An image-only PDF of `pdf`'s pages (PDFium renders, Pillow writes): no text layer, as a scan has none.
    Its creation date is `scanned_on` (ISO date; default 2020-01-01), never the clock: the same report gives the same
    bytes (and ETag) in every process, as a file on a portal's disk does."""
    import io
    import time

    import pypdfium2 as pdfium

    from govreports.extract.pdfium import system_fonts

    with system_fonts():  # the real fonts, not the parser's box font: a scan shows the text
        document = pdfium.PdfDocument(pdf)
        try:
            pages = [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
        finally:
            document.close()
    out = io.BytesIO()
    stamp = time.strptime(scanned_on or "2020-01-01", "%Y-%m-%d")
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi, creationDate=stamp,
                  modDate=stamp)
    return out.getvalue()


def picture_pages(record: dict, dpi: int = 150) -> list[bytes]:
    """The report's pages as JPEG pictures (PDFium renders its PDF, Pillow writes), as a 图片版 report's article shows
    them: the same report gives the same bytes in every process."""
    import io

    import pypdfium2 as pdfium

    from govreports.extract.pdfium import system_fonts

    with system_fonts():  # the real fonts, not the parser's box font: a picture shows the text
        document = pdfium.PdfDocument(to_pdf(record))
        try:
            pages = [document[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(document))]
        finally:
            document.close()
    out = []
    for page in pages:
        data = io.BytesIO()
        page.save(data, format="JPEG", quality=85)
        out.append(data.getvalue())
    return out


_DOC_WARNED = False


def can_make_doc() -> bool:
    """Whether LibreOffice (soffice) is here to make .doc files. When it is not, the demo serves its .doc reports
    as DOCX and says so once on stderr (`make demo` works without the test-only package)."""
    import shutil
    import sys

    global _DOC_WARNED
    if shutil.which("soffice") is not None:
        return True
    if not _DOC_WARNED:
        _DOC_WARNED = True
        print("demo portal: LibreOffice (soffice) is not installed, so the reports meant as Word 97 .doc are served "
              "as DOCX (install the Debian package libreoffice-writer-nogui for .doc files)", file=sys.stderr)
    return False


def can_make_xls() -> bool:
    """Whether xlwt is here to write Excel 97 .xls files; without it the demo serves its .xls report as .xlsx."""
    import importlib.util

    return importlib.util.find_spec("xlwt") is not None


def word97(docx: bytes, timeout: float = 120) -> bytes:
    """A DOCX converted to a Word 97 .doc by LibreOffice (Debian package libreoffice-writer-nogui); kept in
    GOVREPORTS_TOOL_CACHE when it is set (extract.toolcache: the test suite's portals then convert each once)."""
    import shutil

    from govreports.extract.toolcache import ask, identity, tool_cache_for

    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("making .doc files needs LibreOffice: install the Debian package libreoffice-writer-nogui")
    return ask(tool_cache_for(None), identity(soffice), ["--convert-to", "doc"], docx,
               lambda: _word97(docx, soffice, timeout))


def _word97(docx: bytes, soffice: str, timeout: float) -> bytes:
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="govreports-word97-") as scratch:
        folder = Path(scratch)
        (folder / "report.docx").write_bytes(docx)
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to",
                        "doc", "--outdir", str(folder), str(folder / "report.docx")],
                       check=True, capture_output=True, timeout=timeout)
        return (folder / "report.doc").read_bytes()


def nonreport_body(title: str, kind: str) -> str:
    """Column noise and look-alike columns' items: news, a website statistics sheet (政府网站年度工作报表), a work plan
    (政务公开工作要点), a statistics report (统计年度报告), a notice about compiling the reports."""
    t = escape(title)
    if kind == "wzbb":
        rows = [("网站名称", "示范门户网站"), ("网站标识码", "1506000140"), ("独立用户访问总量（单位：个）", "128463"),
                ("网站总访问量（单位：次）", "905211"), ("信息发布总数（单位：条）", "1874"), ("留言办理数（单位：条）", "56")]
        cells = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
        return f"<p style=\"text-align:center\"><strong>{t}</strong></p><table border=\"1\">{cells}</table>"
    if kind == "gzyd":
        points = ("一、加强政策发布解读和回应关切", "二、推进重点领域信息公开", "三、提升政务公开标准化规范化水平",
                  "四、加强政府信息公开平台建设", "五、强化组织保障和监督考核")
        paras = "".join(f"<p style=\"text-indent:2em\"><strong>{escape(p)}</strong></p><p style=\"text-indent:2em\">"
                        f"各部门要按照工作要点明确的任务分工，细化工作措施，确保各项任务按期完成。</p>" for p in points)
        return f"<p style=\"text-align:center\"><strong>{t}</strong></p>{paras}"
    if kind == "tjnb":
        rows = [("指标", "单位", "绝对数", "比上年增长（%）"), ("地区生产总值", "亿元", "1265.8", "5.6"),
                ("一般公共预算收入", "亿元", "98.4", "3.2"), ("社会消费品零售总额", "亿元", "412.7", "6.1"),
                ("城镇居民人均可支配收入", "元", "45218", "4.9"), ("农村居民人均可支配收入", "元", "21306", "7.3")]
        cells = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        return (f"<p style=\"text-align:center\"><strong>{t}</strong></p><p style=\"text-indent:2em\">"
                "全年经济运行总体平稳、稳中有进，主要指标保持在合理区间。</p>"
                f"<p>表1　主要经济指标</p><table border=\"1\">{cells}</table>")
    if kind == "notice":
        return (f"<p>各相关单位：</p><p style=\"text-indent:2em\">为做好政府信息公开工作年度报告编制发布工作，"
                f"请各单位按照国务院办公厅政府信息公开办公室印发的统一格式编制本单位年度报告，"
                f"并于规定时限前在门户网站政府信息公开专栏发布。</p><p style=\"text-align:right\">示范区管委会办公室</p>")
    return (f"<p style=\"text-indent:2em\">{t}。会议总结了过去一年的工作，安排部署了新一年的重点任务，"
            f"要求各部门坚定信心、真抓实干，推动各项工作再上新台阶。</p>")
