"""URLs as the fetcher reads them: a redirect's Location header (its bytes as the server sent them), a host written
in full-width characters (as browsers read it), the host key a URL is paced and counted under, and a URL without its
fragment (the same document)."""

from __future__ import annotations

import re

import httpx
import idna

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_NOT_IN_A_HOST = frozenset(":/?#@[]\\ ")


def browser_host(url: str) -> str:
    """``url`` with its host mapped as browsers map it (UTS #46, IDNA's compatibility mapping): full-width letters,
    digits and dots typed with a Chinese input method (ｗｗｗ．ｘ．ｇｏｖ．ｃｎ) become ASCII, capitals lower case; httpx
    refused such a host as no IDNA name. Any other URL is returned as it is, and so is a host the mapping refuses or
    turns into something else than a host (a full-width colon before the port: browsers refuse it too)."""
    if url.isascii():
        return url
    scheme, sep, rest = url.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):  # (a relative URL with "://" in its query)
        return url
    end = m.start() if (m := _AUTHORITY_END.search(rest)) else len(rest)
    userinfo, at, hostport = rest[:end].rpartition("@")
    host, colon, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if host.isascii():
        return url
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, ValueError):
        return url
    if any(c in _NOT_IN_A_HOST for c in mapped):
        return url
    return f"{scheme}://{userinfo}{at}{mapped}{colon}{port}{rest[end:]}"


async def browser_location(response: httpx.Response) -> None:
    """An httpx response hook: a Location whose host is written in full-width characters, mapped (``browser_host``)
    before httpx builds the next request from it, which it does even when not following (an invalid IDNA name
    raised there, and the redirect failed as ``bad_url``). Written back as httpx would ask for it (IDNA host, the
    rest percent-escaped as UTF-8), so in ASCII, whatever the header's encoding."""
    raw = next((v for k, v in response.headers.raw if k.lower() == b"location"), None)
    if raw is None or raw.isascii():
        return
    try:
        location = raw.decode("utf-8")
        mapped = browser_host(location)
        if mapped != location:
            response.headers["Location"] = str(httpx.URL(mapped))
    except (UnicodeError, httpx.InvalidURL):
        return  # as it came: location_header reads it, or httpx refuses it (bad_url)


_ROOT_DOT = re.compile(r"(?<=[^.])\.(?=(?::\d*)?$)")


def without_root_dot(netloc: str) -> str:
    """A host (or "host:port") without the root label's dot a fully qualified name may end in: `localhost.` and
    `www.x.gov.cn.:8080` name the same host as `localhost` and `www.x.gov.cn:8080` (browsers and DNS read them so).
    One dot only, after a label: `x.gov.cn..` and a lone `.` stay as written, no host a config names."""
    return _ROOT_DOT.sub("", netloc, count=1) if netloc.endswith(".") or ".:" in netloc else netloc


def fqdn_dropped(url: httpx.URL) -> httpx.URL:
    """``url`` asked by its host without the root dot (``without_root_dot``): one name for the host's pacing,
    robots.txt and allowed_hosts, and one a resolver's hosts file and a certificate know (`localhost.` is not in
    /etc/hosts)."""
    host = url.raw_host.decode("ascii")
    bare = without_root_dot(host)
    return url if bare == host else url.copy_with(host=bare)


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
    host = without_root_dot(url.host)
    return f"{host}:{url.port}" if url.port else host
