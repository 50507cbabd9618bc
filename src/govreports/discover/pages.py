"""One fetched page as discovery reads it (BeautifulSoup): its links with their words, its breadcrumb, its title.

Why BeautifulSoup: home pages and menus are where portals' markup is most broken (unclosed <li>, tables inside
<a>, images for labels), and it reads them as a browser does; soupsieve gives the CSS selectors that
`rows.py` infers. A link's words are its text, else its title attribute, else an image's alt text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urldefrag, urlsplit

from bs4 import BeautifulSoup, Tag

from govreports.discover.signals import undressed
from govreports.portals.adapters.base import absolute
from govreports.portals.adapters.listpage import anchors, document_url, soup

_SKIP = ("javascript:", "mailto:", "tel:", "#")
_CRUMB_CLASS = re.compile(r"pos|crumb|bread|location|position|dqwz|curmb|current|path|weizhi", re.I)
_CRUMB_WORDS = ("您现在的位置", "您的位置", "当前位置", "所在位置", "现在位置")
_TITLE_SPLIT = re.compile(r"\s*[_|｜—–-]+\s*")
# where a stub page sends the browser: <meta http-equiv="refresh" content="0; url=…">, or a script's
# location.href = "…" / location.replace("…") on a page with next to no links of its own (a portal's root)
_REFRESH = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(?P<q>['"]?)(?P<url>[^'"\s][^'"]*?)(?P=q)\s*$""", re.I)
_SCRIPT_GO = re.compile(r"""\blocation(?:\s*\.\s*href)?\s*=\s*(?P<q>['"])(?P<url>[^'"]+)(?P=q)"""
                        r"""|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*(?P<q2>['"])(?P<url2>[^'"]+)(?P=q2)""")
_STUB_LINKS = 2
_MORE = re.compile(r"^(?:查看|点击查看)?更多(?:信息|内容)?$|^more$", re.I)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "caption", "legend", "dt", "th"}
_HEADING_CLASS = re.compile(r"tit|hd|head|name|lm|label", re.I)
_OPEN = re.compile(r"""\bwindow\s*\.\s*open\s*\(\s*(?P<q>['"])(?P<url>[^'"]+)(?P=q)""")
_CUT = re.compile(r"\s*(?:\.{2,}|…+|。{3,})$")  # a label cut short for the menu's width: the whole one is in title=


@dataclass(frozen=True)
class Link:
    text: str  # the words a person sees (text, title attribute or image alt; the title when the text is cut short)
    url: str  # absolute, with its fragment (gkmlpt names its category in it: …/gkmlpt/index#721)
    title: str = ""  # the title attribute, when the text is cut short ("…")

    @property
    def page(self) -> str:
        """The URL to fetch: the fragment is the browser's business."""
        return urldefrag(self.url)[0]


@dataclass
class Page:
    url: str  # the URL asked for (fragment removed)
    final_url: str  # after redirects
    text: str

    @cached_property
    def soup(self) -> BeautifulSoup:
        return soup(self.text)

    @cached_property
    def base(self) -> str:
        """What the page's relative links resolve against: its <base href>, else its URL (as a browser does)."""
        return document_url(self.soup, self.final_url)

    @cached_property
    def links(self) -> list[Link]:
        out = []
        for a in anchors(self.soup):
            href = a["href"].strip()
            if not href or href.lower().startswith(_SKIP):  # javascript:void(0) onclick="window.open('/xxgk/')"
                href = _scripted(f"{href} {a.get('onclick') or ''}")
                if not href:
                    continue
            title = (a.get("title") or "").strip()
            text = words(a) or title or " ".join((img.get("alt") or "").strip() for img in a.find_all("img")).strip()
            if title and (cut := _CUT.sub("", text)) != text and title.startswith(cut):  # 政府信息公开工作年…
                text = title
            if _MORE.match(undressed(text)):  # 更多>> under a box's heading 信息公开年报: the box's words
                text = _box_heading(a) or text
            if (url := absolute(self.base, href)) is not None:  # a template's placeholder: no link, not a crash
                out.append(Link(text, url, title))
        return out

    @cached_property
    def redirect(self) -> str | None:
        """Where the page sends a browser on at once, absolute: a meta refresh's URL, else, on a stub page (at
        most two links), a script's `location.href = "…"` or `location.replace("…")`. Many portals' roots are
        such a stub; without it the walk stopped on a page with no links."""
        for meta in self.soup.find_all("meta", attrs={"http-equiv": re.compile(r"^\s*refresh\s*$", re.I)}):
            if meta.find_parent("noscript") is not None:  # for browsers without JavaScript only
                continue
            if (m := _REFRESH.match(meta.get("content") or "")) and (url := absolute(self.base, m["url"])):
                return url if urldefrag(url)[0] != self.final_url else None
        if not self.is_stub:
            return None
        for script in self.soup.find_all("script"):
            if m := _SCRIPT_GO.search(script.string or ""):
                url = absolute(self.base, (m["url"] or m["url2"]).strip())
                if url and not url.lower().startswith("javascript:") and urldefrag(url)[0] != self.final_url:
                    return url
        return None

    @property
    def is_stub(self) -> bool:
        """Next to no links of its own (at most two): a page that only sends the browser on, or frames others."""
        return len(self.links) <= _STUB_LINKS

    @cached_property
    def frames(self) -> list[str]:
        """The pages shown inside this one (<frame src>, <iframe src>), absolute: an older portal's root is a
        <frameset> whose navigation is all in a frame, and some columns show their list in an <iframe>."""
        out = []
        for el in self.soup.find_all(("frame", "iframe")):
            src = (el.get("src") or "").strip()
            if src and not src.lower().startswith(_SKIP + ("about:", "data:")):
                if (url := absolute(self.base, src)) is not None and url not in out:
                    out.append(url)
        return out

    @cached_property
    def crumb(self) -> str:
        """The breadcrumb's text ('' when none is recognisable)."""
        for el in self.soup.find_all(True, attrs={"class": _CRUMB_CLASS}):
            text = words(el)
            if 0 < len(text) <= 120 and (">" in text or "»" in text or any(w in text for w in _CRUMB_WORDS)):
                return text
        for el in self.soup.find_all(string=lambda s: s and any(w in s for w in _CRUMB_WORDS)):
            parent = el.parent
            if isinstance(parent, Tag):
                text = words(parent)
                if len(text) <= 120:
                    return text
        return ""

    @cached_property
    def title(self) -> str:
        el = self.soup.find("title")
        return words(el) if el is not None else ""

    def site_name(self) -> str:
        """The site's name from <title> (信息公开年报_鄂尔多斯恩格贝生态示范区 → its longest part)."""
        parts = [p for p in _TITLE_SPLIT.split(self.title) if p]
        return max(parts, key=len) if parts else urlsplit(self.final_url).hostname or ""

    def column_name(self) -> str:
        """The page's own name: the breadcrumb's last step, else the <title>'s first part."""
        if self.crumb:
            steps = [s.strip() for s in re.split(r">>|>|»|›|→|＞", self.crumb) if s.strip()]
            if steps:
                return steps[-1].split("：")[-1]
        parts = [p for p in _TITLE_SPLIT.split(self.title) if p]
        return parts[0] if parts else ""


def _scripted(js: str) -> str | None:
    """The page a link's script opens (`window.open('…')`, `location.href = '…'`, `location.replace('…')`), or
    None: older menus are <a href="javascript:void(0)" onclick="…">, and each led nowhere."""
    m = _OPEN.search(js) or _SCRIPT_GO.search(js)
    url = (m["url"] or m.groupdict().get("url2") or "").strip() if m else ""
    return url if url and not url.lower().startswith(_SKIP) else None


def _box_heading(a: Tag) -> str:
    """The heading of the box a 更多 link closes (its <h3>, or an element classed like a title, the nearest before
    the link in one of its three nearest containers short of <body>), '' when there is none: a hub shows each
    column as such a box."""
    around = {id(p) for p in a.parents}
    for box in list(a.parents)[:3]:
        if box.name in ("body", "html", "[document]"):  # a page's own 更多 names no box
            break
        heading = ""
        for el in box.find_all(True):
            if el is a:
                break
            if id(el) in around or el.find("a") is not None:
                continue
            if el.name in _HEADINGS or _HEADING_CLASS.search(" ".join(el.get("class") or [])):
                text = words(el)
                if 0 < len(text) <= 20 and not _MORE.match(undressed(text)):
                    heading = text  # the nearest before the link
        if heading:
            return heading
    return ""


def words(el: Tag) -> str:
    return re.sub(r"\s+", " ", el.get_text(" ")).strip()
