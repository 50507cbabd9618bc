"""Reports published as pictures (a 图片版: each page a JPEG or PNG, shown in the report's article or linked from
it, or packed in a zip) → the images of their pages, in order, for OCR (extract.ocr.ocr_images).

Each image's size is read from its header before it is decoded: a picture of a billion pixels, a few kilobytes
compressed, would take gigabytes to decode (Pillow only warns below twice its own limit), so one past
MAX_PIXELS is a `bomb`, as an oversized zip part is.
"""

from __future__ import annotations

import math
import re
import warnings
import zipfile
from io import BytesIO

from govreports.extract.limits import LimitExceeded, LimitHit

# file name extensions of pictures a portal posts a report's pages as
EXTENSIONS = frozenset(("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp"))
# a page scanned at 600 dpi on A3 paper is 70 M pixels; a phone's photo 12–50 M
MAX_PIXELS = 80_000_000
# a picture taller than this many times its width is a strip of pages (a 长图: a whole report in one picture), read
# as pages of about A4's height (√2 its width), cut where a row is blank: Tesseract reads one 14,000-pixel page in
# no page's time
STRIP = 1.5
_DIGITS = re.compile(r"(\d+)")
# the readers Pillow may open a page with: the pictures is_image knows (JPEG's opens a phone's JPEG with a second
# picture in it as MPO). A zip's entries are pictures by their names only, and Pillow tries every reader it has:
# PostScript named p2.jpg went to Ghostscript (its EPS reader runs it), a Targa or an icon was read as a page
FORMATS = ("JPEG", "PNG", "GIF", "TIFF", "WEBP", "BMP")


def is_image(head: bytes) -> bool:
    """Do these first bytes (16 of them suffice) start a picture (JPEG, PNG, GIF, TIFF, WebP, BMP)?"""
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")) \
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP") \
        or (head[:2] == b"BM" and head[6:10] == b"\x00" * 4 and head[14:16] in _BMP_HEADERS)


# a BMP's information header, by its size (its first two bytes, little-endian): OS/2's 12, Windows' 40 to 124 bytes
_BMP_HEADERS = tuple(bytes((size, 0)) for size in (12, 40, 52, 56, 64, 108, 124))


def image_name(name: str) -> bool:
    """A file name (or a URL's path) that names a picture."""
    last = name.rsplit("/", 1)[-1]
    return "." in last and last.rsplit(".", 1)[-1].lower() in EXTENSIONS


def decoration(shown: list[str], pages: list[str], others: list[str],
               drawn: dict[str, tuple[int | str | None, int | str | None]] | None = None) -> bool:
    """Whether `others`, pictures of `shown` (an article's, in order) beside its `pages` (those on the portal's
    hosts), are a site's decoration, not pages of its report: each above the pages or below them (a banner, a logo
    from a CDN), named unlike every page (their file names, digits aside: W020240122_1.jpg and W020240122_2.jpg
    are one series), and drawn as decoration is (`drawn`: the width and height its tag draws it at, drawn_as) —
    a lone one where its size says nothing (not said, or drawn to fit the column: `fitted`, passed over only where
    the pages make the report without it). One between two pages, one named as the pages are, one drawn as a page
    may be (a size said that is neither a banner's nor a logo's), or one of several whose size says nothing may be
    a page (an image server's): no decoration. Their bytes are never asked for (their host is not the portal's):
    their place, their names and the size their tags draw them at are what is known of them."""
    if not others or not pages:
        return False
    drawn = drawn or {}
    placed = [n for n, url in enumerate(shown) if url in pages]
    series = {_series(url) for url in pages}
    for url in others:
        looks = drawn_as(*drawn.get(url, (None, None)))
        if placed[0] < shown.index(url) < placed[-1] or _series(url) in series or looks == "page" \
                or (looks in (None, "column") and len(others) > 1):
            return False
    return True


def fitted(others: list[str], drawn: dict[str, tuple[int | str | None, int | str | None]] | None = None) -> list[str]:
    """Those of `others` drawn to fit the article's column (drawn_as "column"): as pages are, and as an editor draws
    every picture, a logo and a 二维码 too. Passed over as decoration (lone, above or below the pages), such a one
    may still be a page (a cover, a last page): the report is read without it only where its other pages make it."""
    return [url for url in others if drawn_as(*(drawn or {}).get(url, (None, None))) == "column"]


# a picture drawn this many times as wide as it is tall, or more, is a banner: a page is at most √2 (A4 on its side),
# two pages side by side 2.8
BANNER = 4.0
# a picture drawn no larger than this on either side, and not as tall as a page for its width (√2), is a logo or a
# badge; a page drawn so small that it is a thumbnail links its picture (adapters.base._linked_picture)
LOGO = 200


# the narrowest column an article is drawn in (a phone's screen), in pixels: a picture drawn at a share of the
# column's width (width="100%") is at least that share of it wide
NARROWEST = 320


def drawn_as(width: int | str | None, height: int | str | None) -> str | None:
    """What the size a picture is drawn at (its tag's width and height, in pixels, or as a share of the column:
    "100%"; None for a side not said) says it is: "banner", "logo", "page" (any other size: it may be a page),
    "column", or None where a side is not said. One drawn at a share of the column's width is drawn to fit it
    ("column"), as a page is and as an editor draws every picture (a logo, a 二维码 alike): that says not which it
    is (images.fitted), unless, even in the narrowest column, it is as short as a banner."""
    if isinstance(height, str):
        height = None  # a share of the column's height: of a height the page sets by what it holds, nothing said
    if isinstance(width, str):
        if height and float(width.rstrip("%")) / 100 * NARROWEST >= BANNER * height:
            return "banner"
        return "column"
    if not width or not height:
        return None
    if width >= BANNER * height:
        return "banner"
    if max(width, height) <= LOGO and height < 1.3 * width:
        return "logo"
    return "page"


def _series(url: str) -> str:
    """A picture's file name, its digits aside: the pages of one report share it (W0#_#.jpg)."""
    return _DIGITS.sub("#", url.split("?", 1)[0].rsplit("/", 1)[-1].lower())


def zip_of_images(names: list[str]) -> bool:
    """Whether a zip's entries are a report's page images: pictures only (folders, macOS's __MACOSX copies and the
    files Windows and macOS leave in a folder aside: _pages), at least one."""
    files = _pages(names)
    return bool(files) and all(image_name(n) for n in files)


# the files a system leaves in a folder of pictures (thumbnails, view settings), zipped with it: never pages
_FOLDER_FILES = frozenset(("thumbs.db", "ehthumbs.db", ".ds_store", "desktop.ini"))


def _pages(names: list[str]) -> list[str]:
    return [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")
            and n.rsplit("/", 1)[-1].lower() not in _FOLDER_FILES]


def page_images(data: bytes, kind: str) -> list[bytes]:
    """The pages' pictures: `data` itself for one picture ("image"), else a zip's pictures ("images") in the order
    of their names read as a person reads them (page2 before page10)."""
    if kind == "image":
        return [data]
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return [archive.read(n) for n in _in_order(archive)]


def page_names(data: bytes, kind: str) -> list[str] | None:
    """The names of a zip's pictures ("images"), in page_images's order; None for one picture ("image")."""
    if kind == "image":
        return None
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return _in_order(archive)


def _in_order(archive: zipfile.ZipFile) -> list[str]:
    names = _pages(archive.namelist())
    names.sort(key=lambda n: [int(p) if p.isdigit() else p for p in _DIGITS.split(n)])
    return names


def bundle(images: list[bytes]) -> bytes:
    """Pictures as one zip, in their order (stored, not compressed: pictures are compressed already), the
    document a report shown as images in its article is read and archived as."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for number, image in enumerate(images, 1):
            archive.writestr(zipfile.ZipInfo(f"page{number:03d}.{_extension(image)}", (2020, 1, 1, 0, 0, 0)), image)
    return out.getvalue()


def _extension(image: bytes) -> str:
    head = image[:16]
    return next((ext for magic, ext in ((b"\xff\xd8", "jpg"), (b"\x89PNG", "png"), (b"GIF8", "gif"), (b"II*", "tif"),
                                        (b"MM\x00", "tif"), (b"RIFF", "webp"), (b"BM", "bmp"))
                 if head.startswith(magic)), "img")


def opened(image: bytes, frame: int = 0):
    """The picture (its page `frame`: a TIFF's, page_count) as a grey-scale Pillow image; LimitExceeded (`bomb`) for
    one past MAX_PIXELS, told from its header before its pixels are decoded; ValueError for bytes no picture reader
    can open."""
    from PIL import Image

    try:
        with warnings.catch_warnings():  # Pillow's warning past its own limit: the size is checked here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(BytesIO(image), formats=FORMATS)
            if frame:
                picture.seek(frame)
        width, height = picture.size
    except Image.DecompressionBombError as exc:  # past twice Pillow's own limit, refused by it as it opens
        raise LimitExceeded(LimitHit("bomb", f"image past {MAX_PIXELS / 1e6:.0f} M pixels: {exc}")) from None
    except (OSError, SyntaxError):  # a picture's signature, then no header a reader knows (cut short, or garbage)
        raise ValueError("its header cannot be read: cut short, or no picture") from None
    if width * height > MAX_PIXELS:
        raise LimitExceeded(LimitHit("bomb", f"image of {width:,} × {height:,} pixels (limit "
                                             f"{MAX_PIXELS / 1e6:.0f} M pixels)"))
    try:
        return _on_paper(_upright(picture))
    except (OSError, SyntaxError) as exc:  # a picture cut short: its header read, its pixels not all there
        raise ValueError(f"its pixels cannot be read: cut short? ({exc})") from None


def _upright(picture):
    """A phone's photo turned as its EXIF orientation says every viewer shows it (stored sideways, it reads as
    nothing); the picture itself where it names no turn, or names it in an EXIF block that cannot be read."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(picture) or picture
    except (OSError, SyntaxError):  # its pixels: cut short (said by the caller)
        raise
    except Exception:  # noqa: BLE001 - a damaged EXIF block is no damaged picture
        return picture


def _on_paper(picture):
    """The picture in grey, its transparent parts white paper: a PNG exported with a transparent background
    (RGBA, grey with alpha, a palette's transparent colour) keeps black under it, and its page read black on
    black."""
    from PIL import Image

    if picture.mode not in ("RGBA", "LA", "PA", "La", "RGBa") and "transparency" not in picture.info:
        return picture.convert("L")
    grey, alpha = picture.convert("LA").split()
    paper = Image.new("L", picture.size, 255)
    paper.paste(grey, mask=alpha)
    return paper


def page_count(image: bytes) -> tuple[int, bool]:
    """How many pages the picture is read as, and whether they are its frames: a TIFF's pages (a scanner's file of
    the whole report), else one, or a strip's (STRIP), told from its header (its size, turned as its EXIF
    orientation says) without decoding it; (1, False) where the header cannot be read (`opened` says why). An
    animated GIF's frames are no pages."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(BytesIO(image), formats=FORMATS)
        if picture.format == "TIFF" and getattr(picture, "n_frames", 1) > 1:
            return picture.n_frames, True
        width, height = picture.size
        if picture.getexif().get(0x0112) in (5, 6, 7, 8):  # turned a quarter: shown as tall as it is wide
            width, height = height, width
    except Exception:  # noqa: BLE001 - a damaged header or EXIF block: `opened` tells which
        return 1, False
    return (max(1, math.ceil(height / (width * STRIP))) if width else 1), False


def strip_cuts(picture, pages: int) -> list[int]:
    """The rows a strip (a grey picture) is cut at into `pages` pages: 0, each cut, its height. Each cut is in the
    middle of the lightest rows (the blank between two lines of text, never through one) within a sixth of a page
    of where equal pages would end, those nearest it where several are as light."""
    from PIL import Image

    step = picture.height / pages
    cuts = [0]
    for number in range(1, pages):
        nominal = round(step * number)
        low, high = max(cuts[-1] + 1, nominal - round(step / 6)), min(picture.height - 1, nominal + round(step / 6))
        rows = picture.crop((0, low, picture.width, high + 1)).resize((1, high + 1 - low), Image.BOX).tobytes()
        lightest = max(rows)
        runs: list[list[int]] = []  # the runs of the lightest rows: cut in the middle of the one nearest
        for k, row in enumerate(rows):
            if row == lightest:
                if runs and runs[-1][1] == low + k:
                    runs[-1][1] += 1
                else:
                    runs.append([low + k, low + k + 1])
        cuts.append(min(((start + end) // 2 for start, end in runs), key=lambda r: abs(r - nominal)))
    return cuts + [picture.height]
