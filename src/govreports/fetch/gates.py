"""Recognise anti-bot JavaScript gates (PORTALS.md §2.2) so their pages are never archived as content.

A gate page is small, answers with a telltale status and sets a telltale cookie. We do not try to solve the
challenge: the fetch is reported as ``blocked`` and the host is slowed down. Detection wants two signals (status and
markup/cookie) so an ordinary 202/412/521 or a page merely mentioning JavaScript is not mistaken for a gate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SMALL = 64_000  # gate pages are a few KB of obfuscated script; real report pages with these markers are larger
_RUISHU_COOKIE = re.compile(r"^[A-Za-z0-9]{10,}(80|443)[STOP]$")
_RUISHU_META = re.compile(rb"<meta\s+id=[\"']?[A-Za-z0-9_]{16,}", re.I)
_WZWS_TEXT = tuple(s.encode(enc) for s in ("请开启JavaScript并刷新该页",) for enc in ("utf-8", "gb18030"))
# a page that only sets a cookie from script and loads itself again (Aliyun's acw_sc__v2 and its like), answered
# with 200: read as a list with nothing on it, or a report page with no report, where it is a gate. A script
# block's type decides whether it is code: a data island (Hanweb's <script type="text/xml"> records) is content.
_SCRIPT_BLOCK = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_CODE_TYPE = re.compile(rb"""\btype\s*=\s*["']?(?!(?:text|application)/(?:x-)?(?:javascript|ecmascript)|module)""",
                        re.I)
_TAG = re.compile(rb"<[^>]*>")
# loads the same page again: not a redirect elsewhere (a mobile or PC entrance page is a page, not a gate)
_SELF_RELOAD = re.compile(rb"location\.reload\s*\(|location(?:\.href)?\s*=\s*(?:window\.)?location\b"
                          rb"|location\.(?:replace|assign)\s*\(\s*(?:window\.)?location\b")


def cookie_names(set_cookie_headers: Iterable[str]) -> list[str]:
    """Names from raw ``Set-Cookie`` header values."""
    return [h.split("=", 1)[0].strip() for h in set_cookie_headers if "=" in h]


def _cookie_challenge(body: bytes) -> bool:
    """One script sets document.cookie and loads the same page again, and there is next to nothing outside the
    page's code: no link, no data island, no text a reader could see."""
    if b"document.cookie" not in body:  # JavaScript's name: this case
        return False
    code = [(attrs, text) for attrs, text in _SCRIPT_BLOCK.findall(body) if not _CODE_TYPE.search(attrs)]
    if not any(b"document.cookie" in text and _SELF_RELOAD.search(text) for _, text in code):
        return False
    rest = _SCRIPT_BLOCK.sub(lambda m: b"" if not _CODE_TYPE.search(m.group(1)) else m.group(0), body)
    return b"<a " not in rest.lower() and b"<script" not in rest.lower() and len(_TAG.sub(b"", rest).strip()) < 40


def detect_gate(status: int | None, body: bytes | None, cookies: Iterable[str] = ()) -> str | None:
    """Return ``"ruishu"``, ``"jiasule"``, ``"wzws"``, ``"cookie"`` (a script that sets a cookie and reloads) or
    None.

    Runs on every response, twice: an ordinary page (200, no gate cookie, no gate text) is let go before its body
    is lowercased (a copy of up to 64 KB each time)."""
    body = body or b""
    small = len(body) <= _SMALL
    if status in (202, 412):
        if small and b"<script" in body.lower() and (
            b"$_ts" in body
            or _RUISHU_META.search(body)
            or any(n.startswith("FSSBBIl1UgzbN7N80") or _RUISHU_COOKIE.match(n) for n in cookies)
        ):
            return "ruishu"
        return None
    if status == 521:
        if small and (b"document.cookie" in body.lower()
                      or any(n.startswith(("__jsl_clearance", "__jsluid")) for n in cookies)):
            return "jiasule"
        return None
    if status not in (200, 307):
        return None
    wzws_cookie = any(n.lower().startswith("wzws") for n in cookies)
    if wzws_cookie and status == 307:
        return "wzws"
    if not small or not (wzws_cookie or len(body) < 16_000):  # without the cookie, only a challenge page is one
        return None
    wzws_text = any(t in body for t in _WZWS_TEXT)
    if not (wzws_cookie or wzws_text):
        return "cookie" if status == 200 and _cookie_challenge(body) else None
    challenge = len(body) < 16_000 and b"<script" in body.lower()
    if wzws_cookie and (challenge or wzws_text):  # a 200 here: the 307 was told above
        return "wzws"
    if wzws_text and challenge:
        return "wzws"
    return None
