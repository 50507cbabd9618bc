"""URLs as the fetcher reads them: a redirect's Location header (its bytes as the server sent them), the host key a
URL is paced and counted under, and a URL without its fragment (the same document)."""

from __future__ import annotations

import re

import httpx


def defragment(url: str) -> str:
    return url.split("#", 1)[0]


def location_header(headers: httpx.Headers) -> str | None:
    """The Location header: read as UTF-8 (httpx then asks an internationalised host by its IDNA name and escapes
    the rest as UTF-8); else its bytes outside ASCII percent-escaped as they came, as browsers send them: an old GBK
    site names its file in raw GBK bytes, which httpx reads as Latin-1 and joined as UTF-8 (年报 → %C3%84%C3%AA…),
    a name the server never had."""
    raw = next((v for k, v in headers.raw if k.lower() == b"location"), None)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return re.sub(rb"[\x80-\xff]", lambda m: b"%%%02X" % m[0][0], raw).decode("ascii")


def netloc_of(url: httpx.URL) -> str:
    """"host:port", or "host" for the scheme's default port: the key a host is paced, limited and counted under."""
    if not url.host:
        return "(no host)"
    return f"{url.host}:{url.port}" if url.port else url.host
