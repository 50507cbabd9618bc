"""One HTTP request, streamed under a body cap, with every transport failure turned into an error kind.

Kept apart from the client so the retry/redirect logic reads as policy; the exception → kind mapping (``dns``,
``refused``, ``tls``, ``timeout``, ``reset``, …) is ``errors.classify``. A body that stops short of its
Content-Length is ``truncated`` whether h11 notices (RemoteProtocolError) or the byte count shows it. A body over the
cap is ``body_too_large``, unless the caller asks for ``cut_body`` (robots.txt): then reading stops at the cap and the
first ``max_body`` bytes are kept, with ``cut`` set. The cap holds for the decoded body while it is decoded, and
a compressed stream that stops short is ``truncated`` too (decoding.BodyDecoder).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import httpx

from govreports.extract.sniff import document_start
from govreports.fetch.decoding import BodyDecoder
from govreports.fetch.errors import classify
from govreports.fetch.gates import cookie_names

_NO_BODY = frozenset({204, 304})
_HEAD = 1024  # bytes that tell a document from text (extract.sniff.document_start)
_TEXTUAL = re.compile(r"\s*(text/|application/(?:[\w.+-]*\+)?(?:json|xml|javascript)|application/xhtml)", re.I)


@dataclass
class Attempt:
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes | None = None
    error_kind: str | None = None
    error: str | None = None
    elapsed: float = 0.0
    cookies: list[str] = field(default_factory=list)
    cut: bool = False  # the body was cut at max_body (cut_body=True only)
    netloc: str | None = None  # the host:port it was sent to (set by the client)


async def send_once(
    client: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    headers: httpx.Headers | dict[str, str],
    data: Any = None,
    max_body: int,
    total_timeout: float,
    cut_body: bool = False,
    max_text_body: int | None = None,
    on_send: Callable[[], None] | None = None,
) -> Attempt:
    """`on_send`: called as the request's first bytes are written (httpcore's trace of the request headers), after
    any wait for a connection."""
    att = Attempt()
    t0 = time.monotonic()
    kwargs: dict[str, Any] = {}
    if isinstance(data, (bytes, bytearray, str)):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    extensions = {"trace": _on_headers(on_send)} if on_send is not None else None
    request = client.build_request(method, url, headers=headers, extensions=extensions, **kwargs)
    try:
        async with asyncio.timeout(total_timeout):
            response = await client.send(request, stream=True)
            try:
                att.status, att.headers = response.status_code, response.headers
                att.cookies = cookie_names(response.headers.get_list("set-cookie"))
                # a textual answer's lower cap waits for its first bytes: a document labelled text/html (a download
                # servlet's default type) keeps max_body, where a scanned report over the text cap was refused
                text_cap = max_text_body if max_text_body is not None and max_text_body < max_body and \
                    _TEXTUAL.match(response.headers.get("content-type", "")) else None
                declared = response.headers.get("content-length", "")
                length = int(declared) if declared.strip().isdigit() else None
                if length is not None and length > max_body and not cut_body:
                    att.error_kind, att.error = "body_too_large", f"Content-Length {length} > {max_body} bytes"
                    return att
                chunks, size = [], 0
                async with aclosing(_decoded(response)) as pieces:
                    async for chunk in pieces:
                        size += len(chunk)
                        if text_cap is not None and size >= min(_HEAD, text_cap + 1):
                            if not document_start(b"".join([*chunks, chunk])[:_HEAD]):
                                max_body = text_cap
                                if length is not None and length > max_body:
                                    att.error_kind = "body_too_large"
                                    att.error = f"Content-Length {length} > {max_body} bytes"
                                    return att
                            text_cap = None
                        if size > max_body:
                            if not cut_body:
                                att.error_kind, att.error = "body_too_large", f"body exceeds {max_body} bytes"
                                return att
                            chunks.append(chunk[: len(chunk) - (size - max_body)])
                            att.cut = True
                            break
                        chunks.append(chunk)
                att.body = b"".join(chunks)
                body_expected = method != "HEAD" and att.status not in _NO_BODY
                if body_expected and not att.cut and length is not None and response.num_bytes_downloaded < length:
                    att.error_kind = "truncated"
                    att.error = f"body ended at {response.num_bytes_downloaded} of {length} bytes"
            finally:
                await response.aclose()
    except httpx.LocalProtocolError:
        raise  # our request was malformed (bad header value…): a programming error
    except (httpx.InvalidURL, UnicodeError) as exc:  # httpx builds a redirect's next request even when not following
        # it: a Location it cannot make a URL of (javascript:…, mailto:…, http:page.html, a malformed xn-- host)
        # raised out of the fetch
        att.error_kind, att.error = "bad_url", f"a redirect's Location that is no URL to follow: {exc}"
    except (TimeoutError, httpx.HTTPError) as exc:
        att.error_kind, att.error = classify(exc, total_timeout)
    finally:
        att.elapsed = time.monotonic() - t0
    return att


async def _decoded(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body with its Content-Encoding undone a bounded piece at a time (decoding.BodyDecoder, not httpx's
    aiter_bytes, which inflates a whole read at once and never notices a compressed stream cut short)."""
    decoder = BodyDecoder(response.headers.get("content-encoding"))
    async for raw in response.aiter_raw():
        for piece in decoder.decode(raw):
            yield piece
    for piece in decoder.finish():
        yield piece


def _on_headers(on_send: Callable[[], None]):
    """An httpcore trace callback that calls `on_send` when the request headers start to go out."""

    async def trace(event: str, info: dict) -> None:
        if event == "http11.send_request_headers.started":
            on_send()

    return trace
