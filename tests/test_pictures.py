"""Reports published as pictures of their pages (a 图片版 report: PORTALS.md §9, 宿州市人民政府2019年政府信息公开工作
年度报告（图片版）): a picture file, a zip of them, or the pictures a report's article shows. Told from their bytes,
read by OCR as a scan is, bounded before a picture is decoded, and found in an article without its site's chrome."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from dataclasses import replace

import pytest

from strategies import record_fixture
from govreports.extract.images import bundle, page_images, zip_of_images
from govreports.extract.sniff import sniff
from govreports.parse import ParseError, parse_bytes
from govreports.parse.api import ParseLimitError
from govreports.portals.adapters.base import find_images


@pytest.fixture(scope="module")
def pictures() -> tuple[dict, list[bytes]]:
    """The 2019 fixture's pages as 150-dpi JPEG pictures, as the demo's 图片版 report shows them."""
    from govreports.demo.documents import picture_pages

    record = record_fixture("2019")
    return record, picture_pages(record)


def _png(width: int, height: int) -> bytes:
    """A PNG whose header says `width` × `height` (its pixels: one short row, never decoded here)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        chunk(b"IEND", b"")


def test_pictures_and_zips_of_them_are_told_from_their_bytes(pictures):
    """Whatever the name says: a JPEG, a PNG, a GIF, a zip of page pictures; a zip holding anything else is no
    zip of pictures, and text that starts with 'GIF' is text."""
    _, pages = pictures
    assert sniff(pages[0]) == "image" and sniff(_png(10, 10)) == "image" and sniff(b"GIF89a" + b"\x00" * 20) == "image"
    assert sniff(bundle(pages)) == "images"
    assert zip_of_images(["scan/", "scan/p1.JPG", "scan/p2.png", "__MACOSX/scan/._p1.JPG"])
    assert not zip_of_images(["p1.jpg", "readme.txt"]) and not zip_of_images(["scan/"])
    # the files Windows and macOS leave in a folder of pictures zipped as it is: no pages, no other content
    assert zip_of_images(["scan/p1.jpg", "scan/Thumbs.db", "scan/.DS_Store", "desktop.ini"])
    assert not zip_of_images(["Thumbs.db"])
    mixed = io.BytesIO()
    with zipfile.ZipFile(mixed, "w") as archive:
        archive.writestr("p1.jpg", pages[0])
        archive.writestr("notes.txt", "说明")
    assert sniff(mixed.getvalue()) is None
    assert sniff("GIF 统计：2019年政府信息公开工作年度报告".encode()) == "text"


def test_a_bmp_picture_is_a_picture():
    """A Windows bitmap (.bmp: a name extract.images counts as a picture, in a zip or shown in an article) is told
    from its bytes as the other pictures are; text that starts with 'BM' is text."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (40, 60), 255).save(out, "BMP")
    assert sniff(out.getvalue()) == "image"
    assert sniff("BMW 2019年政府信息公开工作年度报告".encode()) == "text"


def test_a_zip_of_pictures_is_read_in_the_order_a_person_reads_their_names(pictures):
    """page2 before page10: the order of their names as numbers, not as strings, nor the zip's own order."""
    _, pages = pictures
    out = io.BytesIO()
    names = ["扫描件/page10.jpg", "扫描件/page2.jpg", "扫描件/page1.jpg"]
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in zip(names, (b"ten", b"two", b"one")):
            archive.writestr(name, data)
    assert page_images(out.getvalue(), "images") == [b"one", b"two", b"ten"]
    assert page_images(bundle(pages), "images") == pages  # the crawl's own bundle keeps the article's order
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("扫描件/Thumbs.db", b"\xd0\xcf\x11\xe0")
    assert page_images(out.getvalue(), "images") == [b"one", b"two", b"ten"]


def test_a_report_published_as_pictures_is_read_by_ocr(pictures, tmp_path):
    """The zip of the pages' pictures (what the crawl makes of an article's pictures) gives the report: its year,
    agency, format and sections, and at least half its cells exactly (OCR's reading; the scan of the same fixture
    reads 73 %), every page read; read again through the tool cache, the same record without Tesseract."""
    from govreports.extract import ocr
    from govreports.extract.toolcache import ToolCache
    from govreports.parse.api import cells_read_share

    if ocr.missing():
        pytest.skip(ocr.missing())
    original, pages = pictures
    cache = ToolCache(tmp_path / "toolcache")
    record = parse_bytes(bundle(pages), "report#images", tools=cache, ocr_budget=120.0)
    assert record["ocr"] is True and record["ocr_pages"] == f"{len(pages)}/{len(pages)}" and len(pages) == 2
    for key in ("year", "agency", "format"):
        assert record[key] == original[key], key
    assert len(set(record["sections"]) & set(original["sections"])) >= 4
    assert record["ocr_cells"] == cells_read_share(record) >= 0.5
    assert parse_bytes(bundle(pages), "report#images", tools=cache, ocr_budget=120.0) == record


def test_a_picture_without_tesseract_says_what_to_install_and_that_no_page_was_read(pictures, monkeypatch, tmp_path):
    """Kept as a report of unknown format whose `ocr_pages` says 0 of its pages were read: the crawl reads it again
    each night (ocr.unfinished) until Tesseract is there."""
    from govreports.extract import ocr

    monkeypatch.setenv("PATH", str(tmp_path))
    record = parse_bytes(bundle(pictures[1]), "report#images",
                         hints={"title": "某局 2019 年政府信息公开工作年度报告（图片版）"})
    # its title as a read report's is (the list's note on the edition, and its spaces, are not the title's)
    assert record["title"] == "某局2019年政府信息公开工作年度报告" and record["year"] == 2019
    assert record["format"] == "unknown" and "ocr" not in record
    assert "图片版" in record["reason"] and "install the Debian packages tesseract-ocr" in record["reason"]
    assert record["ocr_pages"] == "0/2" and ocr.unfinished(record["ocr_pages"])


def test_a_strip_of_pages_in_one_picture_is_read_as_its_pages_cut_between_lines(monkeypatch):
    """A 长图: a whole report as one picture of A4 pages (eight pages tall, 1,240 × 14,030: drawn whole at A4's
    width, one page of 1,653 × 18,700 pixels that Tesseract could not read in a page's time, and the report read
    nothing (0/1), again every night; here five). It is read as pages of about A4's height, each cut on a blank row between two lines of
    text, none through one; a page-sized picture is one page."""
    from PIL import Image, ImageDraw

    from govreports.extract import ocr

    if ocr.missing():
        pytest.skip(ocr.missing())
    drawn = []
    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: drawn.append(image) or [])
    strip = Image.new("L", (1240, 8_770), 255)
    lines = ImageDraw.Draw(strip)
    for top in range(40, strip.height - 80, 70):  # a line of text, 40 pixels tall, of glyphs 30 wide; 30 blank
        for left in range(100, 1140, 40):
            lines.rectangle((left, top, left + 29, top + 39), fill=0)
    out = io.BytesIO()
    strip.save(out, "PNG")
    document = ocr.ocr_images([out.getvalue(), _png_page()], budget=600.0)
    pages = len(drawn)
    assert 4 <= pages - 1 <= 6 and document.meta["ocr_pages"] == f"{pages}/{pages}"
    assert drawn[-1].size == (1653, 2338)  # the A4 page: one page
    for page in drawn[:-1]:
        assert page.width == 1653 and page.height <= 1653 * 1.5 * 1.2
        assert page.crop((0, 0, page.width, 1)).getextrema()[0] > 200  # cut on a blank row
        assert page.crop((0, page.height - 1, page.width, page.height)).getextrema()[0] > 200
    assert sum(page.height for page in drawn[:-1]) == pytest.approx(8_770 * 1653 / 1240, abs=pages)


def test_a_multi_page_tiff_is_read_as_all_its_pages(monkeypatch):
    """A scanner's TIFF holds the report's pages as its frames: each is a page (it was its first page alone, read
    as the whole report: "1/1"). An animated GIF's frames are no pages."""
    from PIL import Image, ImageDraw

    from govreports.extract import ocr

    if ocr.missing():
        pytest.skip(ocr.missing())
    drawn = []
    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: drawn.append(image) or [])
    pages = []
    for number in range(3):  # page k: a mark k+1 bars tall, so each drawn page is told from the others
        page = Image.new("L", (620, 877), 255)
        ImageDraw.Draw(page).rectangle((50, 50, 80, 50 + 40 * (number + 1)), fill=0)
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:])
    document = ocr.ocr_images([out.getvalue()], budget=600.0)
    assert document.meta["ocr_pages"] == "3/3"
    marks = [sum(1 for row in range(page.height) if page.getpixel((130, row)) < 100) for page in drawn]
    assert marks[0] < marks[1] < marks[2]
    animated = io.BytesIO()
    pages[0].save(animated, "GIF", save_all=True, append_images=pages[1:])
    assert ocr.ocr_images([animated.getvalue()], budget=600.0).meta["ocr_pages"] == "1/1"


def _png_page() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(out, "PNG")
    return out.getvalue()


def test_a_picture_too_large_to_decode_is_a_bomb_told_from_its_header():
    """A PNG of 12,000 × 12,000 pixels in a few dozen bytes (144 M pixels: under Pillow's own refusal, which warns
    only), or of 100,000 × 100,000 (which Pillow refuses): a `bomb` before its pixels are decoded, alone and inside
    a zip."""
    for huge, said in ((_png(12_000, 12_000), "12,000 × 12,000 pixels"), (_png(100_000, 100_000), "80 M pixels")):
        assert len(huge) < 200
        for data in (huge, bundle([huge])):
            with pytest.raises(ParseLimitError) as caught:
                parse_bytes(data, "page.png")
            assert caught.value.kind == "bomb" and said in str(caught.value)


def test_a_picture_cut_short_is_a_damaged_image_not_a_crash(pictures):
    _, pages = pictures
    with pytest.raises(ParseError, match="damaged image"):
        parse_bytes(pages[0][: len(pages[0]) // 3], "page.jpg")


def test_a_zip_of_pictures_is_read_only_by_the_readers_of_pictures(monkeypatch):
    """h4's review: a zip's entries are pictures by their names alone (p2.jpg), and Pillow opened each with every
    reader it has: PostScript named p2.jpg was handed to Ghostscript (Pillow's EPS reader runs it), a Targa or an
    icon read as a page. Only the pictures sniff knows (JPEG, a phone's MPO, PNG, GIF, TIFF, WebP, BMP) are opened;
    anything else is no picture, named as the damage."""
    from PIL import EpsImagePlugin, Image

    from govreports.extract.images import opened

    ran = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *args, **kwargs: ran.append(args) or None)
    page = _png_page()
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n"
    targa = io.BytesIO()
    Image.new("L", (600, 800), 255).save(targa, "TGA")
    for other in (eps, targa.getvalue()):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("p1.jpg", page)
            archive.writestr("p2.jpg", other)
        with pytest.raises(ParseError, match=r"^damaged zip of images .*no picture"):
            parse_bytes(out.getvalue(), "pages.zip")
    assert ran == []
    mpo = io.BytesIO()  # a phone's photo with its depth or preview picture: a JPEG Pillow names MPO
    Image.new("RGB", (60, 80), "white").save(mpo, "MPO", save_all=True, append_images=[Image.new("RGB", (60, 80))])
    assert opened(mpo.getvalue()).size == (60, 80)


def test_a_picture_of_a_zip_that_cannot_be_read_is_named(monkeypatch):
    """h4's review: a zip of 3 pictures whose second is a site's error page named p2.jpg, or whose third is a bomb,
    failed as "damaged zip of images (ValueError: its header cannot be read …)", or a bomb of some picture: which
    of the report's pictures was left to guess. The picture is named, by its place and its name."""
    from govreports.extract import ocr

    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])
    if ocr.missing():
        pytest.skip(ocr.missing())
    page = _png_page()

    def zipped(second: bytes, third: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in (("扫描件/p1.jpg", page), ("扫描件/p2.jpg", second), ("扫描件/p3.png", third)):
                archive.writestr(name, data)
        return out.getvalue()

    with pytest.raises(ParseError, match=r"picture 2 of 3 \(扫描件/p2\.jpg\): its header cannot be read"):
        parse_bytes(zipped(b"<html><body>404</body></html>", page), "pages.zip")
    said = r"^picture 3 of 3 \(扫描件/p3\.png\): image of 12,000 × 12,000"
    with pytest.raises(ParseLimitError, match=said) as caught:
        parse_bytes(zipped(page, _png(12_000, 12_000)), "pages.zip")
    assert caught.value.kind == "bomb"


def test_a_picture_shown_twice_is_read_once(monkeypatch):
    """h4's review: the same picture twice (an article showing its first page under two addresses, a zip holding a
    copy) was read as two pages: the 2019 fixture's pages read as [1, 1, 2] gave 10 % of its cells and 3 sections,
    where [1, 2] gives 78 % and 5 (its headings read twice broke the sections apart). A picture the same, byte for
    byte, as one before it is no page: the pages are read once each, in order."""
    from PIL import Image, ImageDraw

    from govreports.extract import ocr

    if ocr.missing():
        pytest.skip(ocr.missing())
    drawn = []
    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: drawn.append(image) or [])
    pages = []
    for number in range(2):  # page k: a mark k+1 bars tall
        page = Image.new("L", (620, 877), 255)
        ImageDraw.Draw(page).rectangle((50, 50, 80, 50 + 40 * (number + 1)), fill=0)
        out = io.BytesIO()
        page.save(out, "PNG")
        pages.append(out.getvalue())
    document = ocr.ocr_images([pages[0], pages[0], pages[1], pages[0]], budget=600.0)
    assert document.meta["ocr_pages"] == "2/2" and len(drawn) == 2
    marks = [sum(1 for row in range(page.height) if page.getpixel((130, row)) < 100) for page in drawn]
    assert marks[0] < marks[1]


def _ink_at_top(picture) -> bool:
    """Whether a grey-scale page is white paper with its ink (a dark bar) in its top quarter only."""
    top = picture.crop((0, 0, picture.width, picture.height // 4))
    rest = picture.crop((0, picture.height // 4, picture.width, picture.height))
    return top.getextrema()[0] < 100 and rest.getextrema()[0] > 200


def test_a_picture_is_drawn_as_the_page_it_shows_transparent_paper_white_a_phone_photo_upright():
    """A PNG whose paper is transparent (an RGBA, grey-with-alpha or palette export: its transparent pixels black
    underneath) is white paper, its ink dark, not a black page; a phone's photo stored turned, its EXIF orientation
    saying so, is drawn upright, as every viewer shows it."""
    from PIL import Image, ImageDraw

    from govreports.extract.images import opened

    page = Image.new("RGBA", (200, 280), (0, 0, 0, 0))
    ImageDraw.Draw(page).rectangle((20, 20, 180, 50), fill=(0, 0, 0, 255))
    palette = Image.new("P", page.size, 0)  # colour 0 transparent black, colour 1 black
    palette.putpalette([0, 0, 0] * 2)
    ImageDraw.Draw(palette).rectangle((20, 20, 180, 50), fill=1)
    for picture, options in ((page, {}), (page.convert("LA"), {}), (palette, {"transparency": 0})):
        out = io.BytesIO()
        picture.save(out, "PNG", **options)
        assert _ink_at_top(opened(out.getvalue())), picture.mode
    upright = Image.new("RGB", (200, 280), "white")
    ImageDraw.Draw(upright).rectangle((20, 20, 180, 50), fill="black")
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise to show": stored turned a quarter anticlockwise
    out = io.BytesIO()
    upright.rotate(90, expand=True).save(out, "JPEG", exif=exif)
    drawn = opened(out.getvalue())
    assert drawn.size == (200, 280) and _ink_at_top(drawn)


PAGE = """<html><head><base href="http://www.example.gov.cn/xxgk/nb/202401/"></head><body>
<div class="banner"><img src="/images/banner.jpg"></div>
<div class="TRS_Editor"><p><img src="./W020240122_1.jpg" border="0"></p>
<p><img src="data:image/png;base64,iVBORw0KGgo="><img src="./ico_print.gif" width="16" height="16"></p>
<p><img src="W020240122_2.jpg" style="width:600px"></p><p><img src="./W020240122_1.jpg"></p></div>
<div class="footer"><img src="/images/conac.png"></div></body></html>"""


def test_the_pictures_of_a_report_are_those_its_article_shows_in_order_without_the_sites_chrome():
    """In the article's body container, resolved against <base href> (as the browser that shows them), once each,
    in the page's order; the site's banner and footer seals, an icon drawn 16 pixels wide and inline data are
    not pages of the report."""
    assert find_images(PAGE, "http://www.example.gov.cn/other/t20240122_1.html") == [
        "http://www.example.gov.cn/xxgk/nb/202401/W020240122_1.jpg",
        "http://www.example.gov.cn/xxgk/nb/202401/W020240122_2.jpg"]


def test_a_page_without_a_body_container_shows_its_report_in_pictures_beside_it():
    """No TRS_Editor, #zoom, … : the pictures in the article's own folder (TRS's ./W0….jpg), not the site's
    /images/ chrome."""
    page = ("<html><body><img src='/images/logo.png'><h1>某局2023年政府信息公开工作年度报告（图片版）</h1>"
            "<p><img src='W02024_1.jpg'></p><p><img src='./W02024_2.jpg'></p></body></html>")
    assert find_images(page, "http://a.gov.cn/nb/202401/t1.html") == [
        "http://a.gov.cn/nb/202401/W02024_1.jpg", "http://a.gov.cn/nb/202401/W02024_2.jpg"]


def test_a_lazy_loaded_picture_is_its_real_address_and_a_thumbnail_is_the_full_picture_it_links():
    """A page that loads its pictures lazily shows a placeholder in src (the same loading.gif for every page) and
    the picture in data-original / data-src: those are the pages. A small picture linking to its full size
    (`<a href="p3.jpg"><img src="p3_small.jpg" width="200">`) is that full picture: a 200-pixel page has no
    readable glyph. A link to an article, not a picture, leaves the picture shown."""
    page = ("<html><body><div class='TRS_Editor'>"
            "<p><img src='/images/loading.gif' data-original='./W0_1.jpg'></p>"
            "<p><img src='/images/loading.gif' data-src='./W0_2.jpg'></p>"
            "<p><a href='./W0_3.jpg' target='_blank'><img src='./W0_3_small.jpg' width='200'></a></p>"
            "<p><a href='./t2.html'><img src='./W0_4.jpg'></a></p></div></body></html>")
    assert find_images(page, "http://a.gov.cn/nb/202401/t1.html") == [
        f"http://a.gov.cn/nb/202401/W0_{k}.jpg" for k in (1, 2, 3, 4)]


def test_a_gkmlpt_report_shows_its_pictures_in_the_detail_its_script_holds():
    """gkmlpt's page body is empty: the content, pictures and all, is in window._CONFIG.DETAIL (PORTALS.md §5)."""
    from types import SimpleNamespace

    from govreports.portals.adapters.gkmlpt import GkmlptAdapter
    from govreports.portals.config import PortalConfig

    detail = {"title": "某局2023年政府信息公开工作年度报告（图片版）",
              "content": '<p><img src="/attachment/0/1/1_1.jpg"></p><p><img src="/attachment/0/1/1_2.jpg"></p>'}
    text = (f"<html><body><img src='/gd/logo.png'><script>window._CONFIG.DETAIL = {json.dumps(detail)};</script>"
            "</body></html>")
    page = SimpleNamespace(ok=True, status=200, final_url="http://www.gd.gov.cn/gkmlpt/content/1/1/post_1.html",
                           body=text.encode(), text=text)
    adapter = GkmlptAdapter(PortalConfig(name="gd", adapter="gkmlpt", start_url="http://www.gd.gov.cn/gkmlpt/index"))
    assert adapter.images(page) == ["http://www.gd.gov.cn/attachment/0/1/1_1.jpg",
                                    "http://www.gd.gov.cn/attachment/0/1/1_2.jpg"]


TITLE = "某县教育局2023年政府信息公开工作年度报告（图片版）"


def _article(pictures: str) -> bytes:
    return (f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1><div class='TRS_Editor'>{pictures}"
            "</div></body></html>").encode()


def _one_listing(tmp_path, page: bytes, answers_for: dict, later=None):
    """The article crawled as the demo's ordos portal's one listing (crawlhelp.crawl_one_listing), each URL but its
    page answered by `answers_for[url](url)`, its later pages `later(page)` when given: (db, stats, URLs asked)."""
    from crawlhelp import answer, crawl_one_listing
    from govreports.store.db import open_db

    def answers(url):
        return answer(url, page) if url == PAGE_URL else answers_for[url](url)

    db = open_db(tmp_path / "r.db")
    stats, asked = crawl_one_listing(db, _ordos(), TITLE, PAGE_URL, answers, later=later)
    return db, stats, asked


def _ordos():
    from crawlhelp import demo_config

    return demo_config("http://127.0.0.1:9").select("demo-ordos")[0]


HOST = sorted(_ordos().hosts)[0]
PAGE_URL = f"http://{HOST}/zwgk/xxgknb/202401/t20240122_1.html"


def test_pictures_on_a_host_the_config_does_not_name_fail_the_item_by_name(tmp_path):
    """A 图片版 article whose pictures are on an image server (img.example.gov.cn): not fetched, and the item
    fails as host_not_allowed naming that host and the config key to add it, not "not a report"."""
    page = _article('<p><img src="http://img.example.gov.cn/2024/W0_1.jpg"></p>')
    db, stats, asked = _one_listing(tmp_path, page, {})
    assert dict(stats.failed) == {"host_not_allowed": 1} and asked == [PAGE_URL]
    status, error = db.execute("SELECT status, error FROM items").fetchone()
    assert status == "failed" and "img.example.gov.cn" in error and "attachment_hosts" in error


def test_pictures_some_on_another_host_fail_the_item_never_half_a_report(tmp_path):
    """Its first page on the portal's host, its second on an image server the config does not name: the second was
    left out and the report read from the first alone ("1/1"). The item fails as host_not_allowed, naming that host,
    nothing read or loaded."""
    from crawlhelp import answer

    page = _article('<p><img src="./W0_1.jpg"></p><p><img src="http://img.example.gov.cn/2024/W0_2.jpg"></p>')
    first = f"http://{HOST}/zwgk/xxgknb/202401/W0_1.jpg"
    db, stats, asked = _one_listing(tmp_path, page, {first: lambda url: answer(url, _png_page(), "image/png")})
    assert stats.new == 0 and dict(stats.failed) == {"host_not_allowed": 1} and asked == [PAGE_URL]
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    status, error = db.execute("SELECT status, error FROM items").fetchone()
    assert status == "failed" and "img.example.gov.cn" in error and "attachment_hosts" in error


def test_a_picture_that_cannot_be_fetched_fails_the_item_never_half_a_report(tmp_path, pictures):
    """Its second picture answers 404: the item fails against that picture, nothing is read or loaded (a report read
    from its first page alone would be half a report, loaded as whole)."""
    from crawlhelp import answer
    from govreports.fetch.result import FetchResult

    page = _article('<p><img src="./W0_1.jpg"></p><p><img src="./W0_2.jpg"></p>')
    first, second = (f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.jpg" for k in (1, 2))

    def gone(url):
        return FetchResult(url, url, "GET", status=404, error_kind="http", error="HTTP 404")

    db, stats, asked = _one_listing(tmp_path, page, {first: lambda url: answer(url, pictures[1][0], "image/jpeg"),
                                                      second: gone})
    assert asked == [PAGE_URL, first, second] and stats.new == 0 and dict(stats.failed) == {"http": 1}
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    assert db.execute("SELECT status, error FROM items").fetchone() == ("failed", "http: HTTP 404")


def test_a_picture_answered_with_a_page_fails_the_item_never_half_a_report(tmp_path, pictures):
    """Its second picture, W0_2.jpg, answers 200 with an HTML page (a missing file served as the site's 404 page):
    that page is missing, so the item fails against that picture and nothing is read or loaded, as for a 404."""
    from crawlhelp import answer

    page = _article('<p><img src="./W0_1.jpg"></p><p><img src="./W0_2.jpg"></p>')
    first, second = (f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.jpg" for k in (1, 2))
    missing = "<html><body><h1>您访问的页面不存在</h1></body></html>".encode()
    db, stats, asked = _one_listing(tmp_path, page, {first: lambda url: answer(url, pictures[1][0], "image/jpeg"),
                                                      second: lambda url: answer(url, missing)})
    assert asked == [PAGE_URL, first, second] and stats.new == 0 and dict(stats.failed) == {"http": 1}
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    status, error = db.execute("SELECT status, error FROM items").fetchone()
    assert status == "failed" and "W0_2.jpg" in error and "text/html" in error


def test_a_picture_cut_short_fails_the_item_by_name_not_as_no_report(tmp_path, pictures, monkeypatch):
    """Its second picture cut short (a download that broke off, served whole by a CMS that stored it so): the
    pictures could not be read, and the item said "no annual report found in this html document", the page's
    words, the damage unsaid (and, a not-report, read again every night). It fails against the pictures' bundle,
    saying it is damaged. (OCR reads nothing here, at once: Tesseract reading the first page on a loaded machine
    past OCR's budget left the second undrawn, its damage unseen, and the report loaded as read 1/2.)"""
    from crawlhelp import answer
    from govreports.extract import ocr

    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])
    page = _article('<p><img src="./W0_1.jpg"></p><p><img src="./W0_2.jpg"></p>')
    first, second = (f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.jpg" for k in (1, 2))
    whole = pictures[1][0]
    db, stats, asked = _one_listing(tmp_path, page, {first: lambda url: answer(url, whole, "image/jpeg"),
                                                      second: lambda url: answer(url, whole[: len(whole) // 2],
                                                                                 "image/jpeg")})
    assert asked == [PAGE_URL, first, second] and stats.new == 0 and dict(stats.failed) == {"parse": 1}
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    status, error = db.execute("SELECT status, error FROM items").fetchone()
    assert status == "failed" and "damaged" in error and "cut short" in error, error


def test_the_pictures_of_an_article_split_over_pages_are_all_its_pages(tmp_path):
    """A TRS article split over t…_1.html and t…_1_1.html (adapter.later_pages), each page showing some of the report's
    pictures: every picture is a page of the report, in order (the first article page's alone were read as the whole
    report, "1/1")."""
    from crawlhelp import answer
    from govreports.store.read import get_record

    later_url = PAGE_URL.replace(".html", "_1.html")
    first, second = (f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.jpg" for k in (1, 2))
    blank = _png_page()
    db, stats, asked = _one_listing(
        tmp_path, _article('<p><img src="./W0_1.jpg"></p>'),
        {later_url: lambda url: answer(url, _article('<p><img src="./W0_2.jpg"></p>')),
         first: lambda url: answer(url, _marked(blank, url), "image/png"),
         second: lambda url: answer(url, _marked(blank, url), "image/png")},
        later=lambda page: [later_url])
    assert asked == [PAGE_URL, later_url, first, second]
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    assert get_record(db, report_id)["ocr_pages"] == "2/2"


def test_an_article_of_more_pictures_than_ocr_reads_says_how_many_of_them_it_read(tmp_path, monkeypatch):
    """h5's review: only the first ocr.MAX_PAGES (20) pictures of a 25-picture article were fetched, and the record
    said 20/20 pages read: a whole report, where a scanned PDF of 25 pages says 20/25. All 25 are fetched and
    archived, and the reading says 20 of 25."""
    from PIL import Image

    from crawlhelp import answer
    from govreports.extract import ocr

    out = io.BytesIO()
    Image.new("L", (60, 80), 255).save(out, format="PNG")
    blank = out.getvalue()
    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])  # no text on any page
    urls = [f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.png" for k in range(1, 26)]
    page = _article("".join(f'<p><img src="./W0_{k}.png"></p>' for k in range(1, 26)))
    db, stats, asked = _one_listing(tmp_path, page, {url: lambda url: answer(url, _marked(blank, url), "image/png")
                                                      for url in urls})
    from govreports.store.read import get_record

    assert asked == [PAGE_URL, *urls]
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    record = get_record(db, report_id)
    assert record["ocr_pages"] == f"{ocr.MAX_PAGES}/25" and not ocr.unfinished(record["ocr_pages"])


def _padded_png(megabytes: float) -> bytes:
    """A small blank page (60 × 80) padded with a private ancillary chunk to `megabytes` MB: a picture as large as a
    phone's photo, cheap to make and to draw."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (60, 80), 255).save(out, format="PNG")
    png = out.getvalue()
    pad = b"\x00" * int(megabytes * 1_000_000)
    chunk = struct.pack(">I", len(pad)) + b"prVt" + pad + struct.pack(">I", zlib.crc32(b"prVt" + pad))
    return png[:33] + chunk + png[33:]  # after the 8-byte signature and the 25-byte IHDR chunk


def _marked(png: bytes, mark: str) -> bytes:
    """The PNG with `mark` in a text chunk: its pixels the same, its bytes its own (a page's picture the same, byte
    for byte, as one before it is no page: ocr.ocr_images)."""
    text = b"Comment\x00" + mark.encode()
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    return png[:33] + chunk + png[33:]


def test_an_article_of_phone_photos_larger_together_than_one_file_may_be_is_read(tmp_path, monkeypatch):
    """20 phone photos of 3 MB each: each is within the body cap, as every fetched file is, but their bundle (60 MB)
    passed the 40 MB cap a single document is held to and the report failed as too_large. The bundle has a larger
    bound of its own (limits.images_bytes): the report is read, every page."""
    from crawlhelp import answer
    from govreports.extract import ocr
    from govreports.store.read import get_record

    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])
    photo = _padded_png(3)
    urls = [f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.png" for k in range(1, 21)]
    page = _article("".join(f'<p><img src="./W0_{k}.png"></p>' for k in range(1, 21)))
    db, stats, asked = _one_listing(tmp_path, page, {url: lambda url: answer(url, _marked(photo, url), "image/png")
                                                      for url in urls})
    assert asked == [PAGE_URL, *urls] and dict(stats.failed) == {} and stats.new == 1
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    assert get_record(db, report_id)["ocr_pages"] == "20/20"


def test_pictures_past_the_bundles_bound_together_stop_the_fetching_and_fail_the_item(tmp_path, monkeypatch):
    """The bundle's bound (limits.images_bytes, here 5 MB) passed by the second of three 3 MB pictures: the third is
    not fetched (an article of 100 pictures of 40 MB each had all been held in memory, to fail once bundled), and the
    item fails as too_large against the picture that passed it, nothing read."""
    from dataclasses import replace as replaced

    from crawlhelp import answer
    from govreports.extract import limits

    monkeypatch.setattr(limits, "DEFAULT_LIMITS", replaced(limits.DEFAULT_LIMITS, images_bytes=5_000_000))
    photo = _padded_png(3)
    urls = [f"http://{HOST}/zwgk/xxgknb/202401/W0_{k}.png" for k in range(1, 4)]
    page = _article("".join(f'<p><img src="./W0_{k}.png"></p>' for k in range(1, 4)))
    db, stats, asked = _one_listing(tmp_path, page, {url: lambda url: answer(url, photo, "image/png") for url in urls})
    assert asked == [PAGE_URL, *urls[:2]] and dict(stats.failed) == {"too_large": 1} and stats.new == 0
    status, error = db.execute("SELECT status, error FROM items").fetchone()
    assert status == "failed" and error.startswith("too_large: ") and "5 MB" in error and "2 of its 3" in error


def _blank_pages(*names: str) -> dict:
    from crawlhelp import answer

    blank = _png_page()
    return {f"http://{HOST}/zwgk/xxgknb/202401/{name}": lambda url: answer(url, _marked(blank, url), "image/png")
            for name in names}


@pytest.mark.parametrize("where", ["above", "below"])
def test_a_lone_decorative_picture_on_another_host_beside_the_pages_is_no_page(tmp_path, monkeypatch, where):
    """A 图片版 article showing its two pages on the portal's host and, above or below them, a logo from a CDN (named
    unlike the pages): the item had failed as host_not_allowed. The logo is no page: not asked, the report read from
    its two pages, nothing failed."""
    from govreports.extract import ocr
    from govreports.store.read import get_record

    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])
    logo = '<p><img src="https://cdn.example.com/static/site-logo.png"></p>'
    pages = '<p><img src="./W020240122_1.jpg"></p><p><img src="./W020240122_2.jpg"></p>'
    page = _article(logo + pages if where == "above" else pages + logo)
    answers = _blank_pages("W020240122_1.jpg", "W020240122_2.jpg")
    db, stats, asked = _one_listing(tmp_path, page, answers)
    assert asked == [PAGE_URL, *answers] and dict(stats.failed) == {} and stats.new == 1
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    assert get_record(db, report_id)["ocr_pages"] == "2/2"


@pytest.mark.parametrize("pictures", [
    # between two pages: a page, whatever its name
    '<p><img src="./W0_1.jpg"></p><p><img src="https://cdn.example.com/x/a8f3.jpg"></p><p><img src="./W0_3.jpg"></p>',
    # two of them, after the pages: pages too (a logo is one)
    '<p><img src="./W0_1.jpg"></p><p><img src="https://cdn.example.com/x/a8f3.jpg"></p>'
    '<p><img src="https://cdn.example.com/x/b9e4.jpg"></p>',
    # named as the pages are (W0_N.jpg), above them
    '<p><img src="https://img.example.gov.cn/2024/W0_9.jpg"></p><p><img src="./W0_1.jpg"></p>',
], ids=["between", "two", "named-as-pages"])
def test_pictures_on_another_host_that_may_be_pages_still_fail_the_item(tmp_path, pictures):
    """Only a lone picture before or after the pages, named unlike them, is taken for decoration: an off-host
    picture between two pages, several of them, or one named as the pages are may be a page, and the report is
    never read without it."""
    db, stats, asked = _one_listing(tmp_path, _article(pictures), _blank_pages("W0_1.jpg", "W0_3.jpg"))
    assert asked == [PAGE_URL] and dict(stats.failed) == {"host_not_allowed": 1} and stats.new == 0
    assert db.execute("SELECT status FROM items").fetchone() == ("failed",)


BANNER = '<p><img src="https://cdn.example.com/static/top-banner.jpg" width="1200" height="200"></p>'
LOGO = '<p><img src="https://cdn.example.com/static/site-logo.png" style="width: 160px; height:150px"></p>'
PAGES = '<p><img src="./W020240122_1.jpg"></p><p><img src="./W020240122_2.jpg"></p>'


# as wide as the article's column, and so short that it is a banner in the narrowest (a phone's, 320 px) too
WIDE_BANNER = '<p><img src="https://cdn.example.com/static/top-banner.jpg" width="100%" height="60"></p>'


@pytest.mark.parametrize("pictures", [BANNER + PAGES + LOGO, BANNER + LOGO + PAGES, PAGES + LOGO + BANNER,
                                      WIDE_BANNER + PAGES + LOGO], ids=["around", "above", "below", "full-width"])
def test_a_banner_and_a_logo_from_a_cdn_beside_the_pages_are_no_pages(tmp_path, monkeypatch, pictures):
    """h4's review: a 图片版 article showing a CDN's banner (drawn 1200 × 200: six times as wide as tall, as no page
    is) and logo (drawn 160 × 150) beside its two pages failed the item as host_not_allowed: two pictures off the
    portal's hosts may be pages. Each drawn as decoration is drawn, above or below the pages and named unlike them,
    they are passed over: not asked, the report read from its two pages."""
    from govreports.extract import ocr
    from govreports.store.read import get_record

    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])
    answers = _blank_pages("W020240122_1.jpg", "W020240122_2.jpg")
    db, stats, asked = _one_listing(tmp_path, _article(pictures), answers)
    assert asked == [PAGE_URL, *answers] and dict(stats.failed) == {} and stats.new == 1
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    assert get_record(db, report_id)["ocr_pages"] == "2/2"


@pytest.mark.parametrize("pictures", [
    # the banner beside a picture whose size is not said: that one may be a page
    BANNER + PAGES + '<p><img src="https://cdn.example.com/x/a8f3.jpg"></p>',
    # beside one drawn as a page is (800 × 1131: A4's shape)
    BANNER + PAGES + '<p><img src="https://cdn.example.com/x/a8f3.jpg" width="800" height="1131"></p>',
    # a lone one, drawn as a page is, above the pages: a page (its cover), not a logo
    '<p><img src="https://img.example.gov.cn/2024/cover.jpg" width="800" height="1131"></p>' + PAGES,
    # banner-shaped, between two pages: in the report's body (a table's strip), a page
    '<p><img src="./W020240122_1.jpg"></p>' + BANNER + LOGO + '<p><img src="./W020240122_2.jpg"></p>',
    # two drawn as wide as the article's column, as pages (and an editor's every picture) are: pages, as two unsaid
    '<p><img src="https://img.example.gov.cn/2024/cover.jpg" width="100%"></p>' + PAGES
    + '<p><img src="https://img.example.gov.cn/2024/last.jpg" style="width: 100%"></p>',
], ids=["size-unsaid", "page-sized", "lone-page-sized", "between", "two-full-width"])
def test_pictures_off_the_hosts_not_all_drawn_as_decoration_still_fail_the_item(tmp_path, pictures):
    """Only pictures each drawn as a banner or a logo is (or a lone one whose size is not said), above or below the
    pages, are passed over: the report is never read without a picture that may be one of its pages."""
    db, stats, asked = _one_listing(tmp_path, _article(pictures), _blank_pages("W020240122_1.jpg", "W020240122_2.jpg"))
    assert asked == [PAGE_URL] and dict(stats.failed) == {"host_not_allowed": 1} and stats.new == 0


# a lone picture off the portal's hosts drawn as wide as the article's column (as an editor draws every picture: a
# CDN's logo, a 二维码, a cover page alike), above or below the pages and named unlike them
FULL_WIDTH = {"above": '<p><img src="https://img.example.gov.cn/2024/cover.jpg" width="100%"></p>' + PAGES,
              "below": PAGES + '<p><img src="https://img.example.gov.cn/2024/last.jpg" style="width: 100%"></p>'}


@pytest.mark.parametrize("where", ["above", "below"])
def test_a_lone_full_width_picture_off_the_hosts_is_passed_over_where_the_pages_make_the_report(
        tmp_path, monkeypatch, where):
    """h3: a lone off-host picture drawn 100 % wide (a logo, as an editor styles every picture) beside the pages
    failed the item as host_not_allowed: drawn as pages are, it was taken for one, and a report whose pages the
    portal's host holds was never read. Its size says nothing of what it is; where the pages on the portal's hosts
    make the report (its tables read), it was none of it: passed over, never asked, the report read."""
    from govreports.crawl import portal
    from govreports.store.read import get_record

    real_parse, fixture = portal.PortalCrawl._parse, record_fixture("2019")

    async def read(self, data, name, hints, http_charset=None):  # the pages' pictures: OCR reads the 2019 report
        if data.startswith(b"PK"):
            return dict(fixture, ocr=True, ocr_pages="2/2")
        return await real_parse(self, data, name, hints, http_charset)

    monkeypatch.setattr(portal.PortalCrawl, "_parse", read)
    answers = _blank_pages("W020240122_1.jpg", "W020240122_2.jpg")
    db, stats, asked = _one_listing(tmp_path, _article(FULL_WIDTH[where]), answers)
    assert asked == [PAGE_URL, *answers] and dict(stats.failed) == {} and stats.new == 1
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    assert get_record(db, report_id)["active"] == fixture["active"]


@pytest.mark.parametrize("where", ["above", "below"])
def test_a_lone_full_width_picture_off_the_hosts_fails_the_item_by_name_where_the_pages_make_no_report(
        tmp_path, monkeypatch, where):
    """...and where the pages on the portal's hosts make no report (OCR reads no table in them), that picture may
    be one of its pages (its cover, its last): the item fails as host_not_allowed naming its host, never a
    reading that found no report, nothing stored."""
    from govreports.extract import ocr

    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [])
    answers = _blank_pages("W020240122_1.jpg", "W020240122_2.jpg")
    db, stats, asked = _one_listing(tmp_path, _article(FULL_WIDTH[where]), answers)
    assert "https://img.example.gov.cn" not in " ".join(asked)
    assert dict(stats.failed) == {"host_not_allowed": 1} and stats.new == 0
    assert db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    status, error = db.execute("SELECT status, error FROM items").fetchone()
    assert status == "failed" and "img.example.gov.cn" in error and "attachment_hosts" in error


def test_the_size_a_picture_is_drawn_at_is_what_its_tag_says():
    """width and height attributes (with or without px) or its style's, in pixels or as a share of the column
    ('100%'); a thumbnail linking its picture (drawn small, the picture a page) says nothing of the picture's size.
    A picture drawn at a share of the column's width is drawn to fit it, as pages are and as an editor draws every
    picture: "column", unless its height makes it a banner in the narrowest column (a phone's, 320 px)."""
    from govreports.extract.images import drawn_as

    html = ("<html><body><div class='TRS_Editor'><img src='a.jpg' width='1200' height='200px'>"
            "<img src='b.jpg' style='WIDTH: 160px;height:150px'><img src='c.jpg' width='100%' height='300'>"
            "<a href='d.jpg'><img src='d_small.jpg' width='150' height='150'></a><img src='e.jpg'>"
            "<img src='f.jpg' style='width: 50.5%'><img src='g.jpg' width='600' height='80%'></div></body></html>")
    shown = find_images(html, "http://a.gov.cn/nb/t1.html")
    assert [url.rsplit("/", 1)[-1] for url in shown] == ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg", "g.jpg"]
    assert [shown.drawn.get(url, (None, None)) for url in shown] == [
        (1200, 200), (160, 150), ("100%", 300), (None, None), (None, None), ("50.5%", None), (600, "80%")]
    assert drawn_as(1200, 200) == "banner" and drawn_as(728, 90) == "banner" and drawn_as(160, 150) == "logo"
    # a page drawn small is still a page; a landscape page, a strip of pages, a side unsaid: no decoration
    assert [drawn_as(*size) for size in ((140, 198), (1131, 800), (800, 12_000), (800, None), (None, None))] == [
        "page", "page", "page", None, None]
    # as wide as the column, or half of it: drawn to fit it, as pages and logos alike are (its height unsaid, or a
    # page's, or a share: says nothing), unless a banner even 320 px wide; a share of the column's height says nothing
    assert [drawn_as(*size) for size in (("100%", None), ("100%", 300), ("50%", "100%"), ("100%", 80), ("50%", 40),
                                         (600, "80%"))] == ["column", "column", "column", "banner", "banner", None]


def test_pictures_read_without_a_report_on_a_page_answering_the_same_body_are_not_read_again(tmp_path, monkeypatch):
    """A report-titled article whose pictures OCR reads and finds no report in (an infographic, a 解读): kept as a
    reading that found no report ("no annual report found in the text OCR read from 2/2 scanned pages"). A later
    night whose page answers 304 calls it unchanged without asking for the pictures; so now does one whose page
    answers 200 with the very body archived (a server that sends no validators): its pictures were fetched and read
    by OCR again, every night."""
    from crawlhelp import answer, crawl_one_listing
    from govreports.crawl import portal
    from govreports.extract import ocr
    from govreports.store.db import open_db
    from govreports.store.read import get_record

    words = [{"x0": 10, "x1": 200, "top": 10, "bottom": 20, "base": 20, "size": 10, "text": "关于年度报告的图文解读"}]
    monkeypatch.setattr(ocr, "_page_words", lambda image, rules, timeout, tesseract: [dict(w) for w in words])
    parsed, real_parse = [], portal.PortalCrawl._parse

    async def counted(self, data, name, hints, http_charset=None):
        parsed.append(name)
        return await real_parse(self, data, name, hints, http_charset)

    monkeypatch.setattr(portal.PortalCrawl, "_parse", counted)
    page = _article('<p><img src="./W0_1.jpg"></p><p><img src="./W0_2.jpg"></p>')
    pictures = _blank_pages("W0_1.jpg", "W0_2.jpg")
    db = open_db(tmp_path / "r.db")

    def night(page_answer):
        parsed.clear()
        return crawl_one_listing(db, _ordos(), TITLE, PAGE_URL,
                                 lambda url: page_answer(url) if url == PAGE_URL else pictures[url](url))

    stats, asked = night(lambda url: answer(url, page))
    assert asked == [PAGE_URL, *pictures] and stats.new == 1 and len(parsed) == 2  # the page, then the pictures
    (report_id,) = db.execute("SELECT report_id FROM items").fetchone()
    record = get_record(db, report_id)
    assert record["format"] == "unknown" and "no annual report found" in record["reason"]
    for tonight in (lambda url: replace(answer(url, page), status=304, not_modified=True),
                    lambda url: answer(url, page)):
        stats, asked = night(tonight)
        assert asked == [PAGE_URL] and parsed == [] and stats.unchanged == 1 and dict(stats.failed) == {}
    # a page changed is read again, pictures and all
    stats, asked = night(lambda url: answer(url, page.replace(b"</h1>", b"</h1><p>\xe6\x9b\xb4\xe6\x96\xb0</p>")))
    assert asked == [PAGE_URL, *pictures] and len(parsed) == 2
