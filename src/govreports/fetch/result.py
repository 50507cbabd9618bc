"""What a fetch hands back: one plain record per URL, success or failure alike.

The fetcher never raises for network or HTTP trouble, so everything the caller needs to log, store and decide on
(status, error kind, validators for the next conditional GET, where the body sits in the archive) travels here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from govreports.extract.decode import decode_bytes
from govreports.extract.sniff import document_start, sniff

#: Every value ``FetchResult.error_kind`` can take besides None, and what it means.
ERROR_MEANINGS: dict[str, str] = {
    "dns": "the host name could not be resolved",
    "refused": "the connection was refused (nothing listens on that port)",
    "connect": "the connection could not be made for another reason (no route to host, network unreachable)",
    "tls": "TLS failed: bad or untrusted certificate, name mismatch, or handshake error",
    "timeout": "no complete answer within the deadline (connect, read, or the attempt's total)",
    "reset": "the connection broke off (reset, closed, protocol error) before a complete answer",
    "truncated": "the body ended before its Content-Length, or its compression stream was broken",
    "malformed": "the answer breaks HTTP's rules as the server builds it (conflicting Content-Length headers, a plain "
                 "body labelled Content-Encoding: gzip): not retried",
    "http": "the server answered with an HTTP error status (see `status`)",
    "robots_disallowed": "robots.txt forbids this URL to our User-Agent; no request was made",
    "robots_unreachable": "robots.txt answered 5xx (or broke off), so the host is not crawled this run (RFC 9309; "
                          "a portal's robots_unreachable = \"allow\" crawls it as with no rules)",
    "blocked": "an anti-bot gate page answered (瑞数, 加速乐, WZWS, a script that sets a cookie and reloads); never "
               "archived",
    "browser_unavailable": "a gate needs the browser (fetch = \"browser\") and no Chromium could run: install the "
                           "Debian package chromium (or set GOVREPORTS_CHROMIUM)",
    "body_too_large": "the answer is larger than max_body_bytes (max_text_bytes for HTML, XML, JSON)",
    "bad_url": "not an absolute http(s) URL, or a bad Location",
    "host_not_allowed": "the host is not in allowed_hosts (or, for the first URL, not in the fetch's own hosts)",
    "cross_portal_redirect": "a redirect led to an allowed host of another portal (outside the fetch's hosts)",
    "private_address": "the host resolves to a loopback/private/link-local/… address and those are not allowed",
    "redirect_loop": "a redirect led back to a URL already visited in this fetch",
    "too_many_redirects": "more than max_redirects redirects",
    "retry_after": "the host asked for a pause (Retry-After) longer than a URL may wait: not requested this run",
}
ERROR_KINDS = frozenset(ERROR_MEANINGS)
#: Transport failures worth another attempt (HTTP statuses are listed in FetchPolicy.retry_statuses). ``dns``,
#: ``tls`` and ``private_address`` are not: they will not change within a run.
RETRYABLE_KINDS = frozenset({"timeout", "refused", "connect", "reset", "truncated"})
#: At most this many retries of a kind per URL (others: FetchPolicy.retries). A server that timed out twice is
#: not going to answer in this run, and a refused port is given one more chance in case it was restarting.
RETRY_LIMITS: dict[str, int] = {"timeout": 1, "refused": 1, "connect": 1}
#: Failures that say the host itself cannot be reached: when robots.txt fails so, its pages get the same kind.
HOST_UNREACHABLE_KINDS = frozenset({"dns", "refused", "connect", "tls", "timeout", "private_address"})


@dataclass(frozen=True)
class Validators:
    """What the caller remembers about a URL's last good fetch, to ask the server "has it changed?".

    ``sha256`` names the archived body a 304 stands for; ``encoding`` (optional) is the charset used last time, so a
    304's body decodes the same way without the original Content-Type. ``final_url`` (optional): where that body was
    answered from, after redirects. A 304 from elsewhere speaks of another document (one night's redirect to a login
    page left its Last-Modified as the report page's, and the page's 304 then stood for the login page for good):
    the URL is fetched whole instead. ``fetched_at`` (optional, ISO 8601): when that body was last fetched whole;
    older than FetchPolicy.refetch_after_days, the URL is fetched whole again, without its validators.
    """

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    encoding: str | None = None
    final_url: str | None = None
    fetched_at: str | None = None


@dataclass
class FetchResult:
    """The outcome of ``Fetcher.fetch``. ``ok`` is True for 2xx and 304; otherwise ``error_kind`` says why.

    ``redirects`` lists the URLs that answered with a redirect, in order (so ``redirects[0] == url`` when there was
    one); ``final_url`` is the URL that gave the final answer. ``attempts`` counts every request sent for this fetch,
    retries and redirect hops included. ``body`` is kept on failures too (an error or gate page) but only 2xx bodies
    are archived, so ``sha256``/``archive_path`` are set only for 2xx and 304.
    """

    url: str
    final_url: str
    method: str
    status: int | None = None
    ok: bool = False
    not_modified: bool = False
    body: bytes | None = None
    sha256: str | None = None
    archive_path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    encoding: str | None = None
    text: str | None = None
    fetched_at: str = ""
    elapsed: float = 0.0
    attempts: int = 0
    error_kind: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = field(default_factory=list)
    gate: str | None = None
    # asked without its validators, its archived copy older than FetchPolicy.refetch_after_days: the store then
    # refreshes the copy's fetched_at even when the body is the same (store.documents.record_document)
    refreshed: bool = False

    def validators(self) -> Validators | None:
        """The validators to store for the next conditional GET (None when there is nothing to revalidate)."""
        if not self.ok or not self.sha256:
            return None
        return Validators(self.etag, self.last_modified, self.sha256, self.encoding, self.final_url, self.fetched_at)


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-.:]+)", re.I)
_BINARY_TYPE = re.compile(r"^\s*(image|audio|video)/|^\s*application/(pdf|octet-stream|zip|msword|vnd\.|x-rar|ofd)", re.I)


def decode_text(res: FetchResult, expect: str, fallback_charset: str | None) -> None:
    """Set ``text``/``encoding`` for textual expectations via decode_bytes (never httpx's decoding, STACK.md §4).

    Skipped for ``expect="binary"`` and for bodies that are binary (a PDF where HTML was expected is still
    archived, just not decoded into garbage text, whatever its label: a PDF served as text/html was decoded, and
    its "page" parsed for links in the crawl process). A binary Content-Type alone does not decide: portals label
    HTML pages application/octet-stream, and the page's text is where its attachments are linked.
    """
    if expect == "binary" or res.body is None or document_start(res.body):
        return
    if _BINARY_TYPE.match(res.content_type or "") and sniff(res.body) not in ("html", "text"):
        return
    m = _CHARSET.search(res.content_type or "")
    res.text, res.encoding = decode_bytes(res.body, m.group(1) if m else fallback_charset)
