"""A report whose HTML is kept in a JavaScript data file: which script of a page is it, and the HTML in it.

Real shape (PORTALS.md §9, the source of samples/html/02_shanghai_szfbgt_2019_fragment.html: a Shanghai
政府信息公开 page in the public repo zhouzhuliang0901/wanda, …/GovernmentPublicInformations/): the page has no report
body; among its ~30 scripts, `js/options.js` beside it declares menu arrays with `let` and, last, the report as
`let content = "…"` — one double-quoted string, its double quotes written \\", a raw tab, single-quoted attributes,
HTML entities as they are, no semicolon — which the page's code writes into its container (`ng-bind-html`). A
crawler reading the page alone found "no annual report". The other spellings read here (single quotes, a template
literal without ${…}, `var`/`const`, `content: "…"` in an object or JSON, `+` between literals, \\n, \\uXXXX,
\\xXX escapes) are JavaScript's own, not seen on a portal: inferred.

Which script is the data file (decided on the page alone, so the crawl and `reparse` agree, and no page's other
scripts are fetched): the first `<script src>` on the page's own host, in the page's folder or below it (a site's
libraries sit elsewhere: ../libs/angular.js), named like a data file (options.js, content_123.js, data-2019.js,
article.js, detail.js; never a .min.js). The crawl asks for it only when neither the page nor an attachment held
a report (crawl.portal), so a page with its own body costs no extra request.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from govreports.extract.decode import decode_bytes
from govreports.text import whole_characters

_DATA_NAME = re.compile(r"(?:options|contents?|data|article|detail)(?:[_-][\w-]*|\d+)?\.js", re.I)
# where the value of `content` starts: `let|var|const content =`, `content =`, `window.content =`, `content:` or
# `"content":` (an object, JSON); `==` is a comparison, not an assignment
_ASSIGN = re.compile(r"""(?:(?<![\w$.])(?:window\.)?content|(?<![\w$])["']content["'])\s*(?:=(?![=>])|:)\s*""")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}
# what ends a run of plain characters in each kind of literal: its quote, a backslash, a line break (a template may
# span lines, but ${ starts code)
_STOPS = {q: re.compile(r"[\\%s\n\r]" % q) for q in "\"'"} | {"`": re.compile(r"[\\`]|\$\{")}
_HEX = re.compile(r"[0-9a-fA-F]+")
_EXCERPT = 60


class DataFileError(ValueError):
    """A data file that does not hold a report the way the page's script reads it; the message says why."""


def data_script(html: str, page_url: str) -> str | None:
    """The URL of the page's data file, by the rule in the module docstring; None when it names none."""
    try:
        root = etree.fromstring(html or "<html/>", etree.HTMLParser(no_network=True))
    except (etree.LxmlError, ValueError):
        return None
    if root is None:
        return None
    page = urlsplit(page_url)
    folder = page.path.rsplit("/", 1)[0] + "/"
    from govreports.portals.adapters.base import html_base  # (base imports this module)

    base_url = html_base(root, page_url)  # a script's src resolves against the page's <base href>, as its links do
    for script in root.iter("script"):
        src = (script.get("src") or "").strip()
        if not src:
            continue
        try:
            url = urlsplit(urljoin(base_url, src))
        except ValueError:
            continue
        if (url.scheme, url.netloc) == (page.scheme, page.netloc) and url.path.startswith(folder) \
                and _DATA_NAME.fullmatch(url.path.rsplit("/", 1)[-1]):
            return url.geturl()
    return None


def is_data_file_url(url: str | None) -> bool:
    """Whether `url` is named like a data file (the cheap half of the rule: `reparse` asks it of every attachment
    before reading the page that would tell)."""
    return bool(url) and _DATA_NAME.fullmatch(urlsplit(url).path.rsplit("/", 1)[-1]) is not None


def data_text(body: bytes | None, page_encoding: str | None = None) -> str:
    """A data file's bytes as text: a BOM, then UTF-8, then the page's own encoding (a GBK site's data file is GBK
    like its pages, and served as application/javascript with no charset)."""
    return decode_bytes(body or b"", None if page_encoding in (None, "utf-8") else page_encoding)[0]


def content_html(script: str) -> str:
    """The report HTML a data file assigns to `content`, decoded as JavaScript decodes the string; DataFileError
    when the file is no data file (an HTML error page answered), holds no such string, or is cut short."""
    start = script.lstrip("\ufeff \t\r\n")
    if start[:1] == "<":
        raise DataFileError(f"not JavaScript: the answer is an HTML page ({_excerpt(start)})")
    for m in _ASSIGN.finditer(script):
        if script[m.end():m.end() + 1] not in ("\"", "'", "`"):
            continue  # `content = getContent()`, `content: {…}`: not the string, maybe a later one is
        text = _concatenation(script, m.end())
        if not text.strip():
            raise DataFileError("the content string is empty")
        return text
    raise DataFileError(f"no `content = \"…\"` string in it ({_excerpt(start)})")


def _concatenation(script: str, i: int) -> str:
    """The literal at `i`, with any literals joined to it by `+`."""
    parts = []
    while True:
        text, i = _literal(script, i)
        parts.append(text)
        j = _skip_space(script, i)
        if script[j:j + 1] != "+":
            return "".join(parts)
        j = _skip_space(script, j + 1)
        if script[j:j + 1] not in ("\"", "'", "`"):
            raise DataFileError("the content string is joined to code (`+ name`): it cannot be read without running "
                                "the script")
        i = j


def _skip_space(script: str, i: int) -> int:
    while i < len(script) and script[i] in " \t\r\n\u2028\u2029":
        i += 1
    return i


def _literal(script: str, i: int) -> tuple[str, int]:
    """The string literal whose quote is at `i`, decoded; and the index after its closing quote."""
    quote, start = script[i], i
    stop, out, i = _STOPS[script[i]], [], i + 1
    while True:
        m = stop.search(script, i)
        if m is None:
            raise DataFileError(f"cut short: the content string opened at character {start} is never closed (the file "
                                f"ends {len(script) - start} characters later)")
        out.append(script[i:m.start()])
        found, i = m.group(), m.end()
        if found == quote:
            return whole_characters("".join(out)), i
        if found == "${":
            raise DataFileError("the content template has ${…} in it: it cannot be read without running the script")
        if found in "\r\n":
            raise DataFileError(f"cut short or broken: a line break inside the content string opened at character "
                                f"{start} (not valid JavaScript)")
        char, i = _escape(script, i)
        out.append(char)


def _escape(script: str, i: int) -> tuple[str, int]:
    """The character a backslash escape stands for (the backslash was just before `i`), and the index after it."""
    if i >= len(script):
        raise DataFileError("cut short: the file ends inside an escape")
    c = script[i]
    if c in _SIMPLE:
        return _SIMPLE[c], i + 1
    if c == "\r":  # a line continuation: nothing
        return "", i + (2 if script[i + 1:i + 2] == "\n" else 1)
    if c in "\n\u2028\u2029":
        return "", i + 1
    if c == "0" and not script[i + 1:i + 2].isdigit():
        return "\0", i + 1
    if c == "x":
        return _code(script[i + 1:i + 3], 2, script, i), i + 3
    if c == "u":
        if script[i + 1:i + 2] == "{":
            end = script.find("}", i + 2)
            return _code(script[i + 2:end] if end > 0 else "", 0, script, i), end + 1
        return _code(script[i + 1:i + 5], 4, script, i), i + 5
    return c, i + 1  # \" \' \\ \/ and any other character stand for themselves


def _code(digits: str, width: int, script: str, i: int) -> str:
    if not _HEX.fullmatch(digits) or (width and len(digits) != width) or int(digits, 16) > 0x10FFFF:
        raise DataFileError(f"a broken escape \\{script[i:i + 1 + (width or 8)]!r} at character {i - 1}")
    return chr(int(digits, 16))


def _excerpt(text: str) -> str:
    first = " ".join(text.split())
    return repr(first[:_EXCERPT] + ("…" if len(first) > _EXCERPT else ""))


def report_page(page_html: str, content: str) -> bytes:
    """The document to parse: the page's <head> (its ArticleTitle, PubDate, title) with the data file's HTML as
    the body, as UTF-8 — what a browser shows once the script has run, without the page's menus and footer."""
    root = etree.fromstring(page_html or "<html/>", etree.HTMLParser(no_network=True, remove_comments=True))
    head = root.find("head") if root is not None else None
    head_html = etree.tostring(head, encoding="unicode", method="html") if head is not None else "<head></head>"
    return f"<html>{head_html}<body>{content}</body></html>".encode("utf-8")
