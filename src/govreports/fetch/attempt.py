"""One HTTP request, streamed under a body cap, with every transport failure turned into an error kind.

Kept apart from the client so the retry/redirect logic reads as policy, and so the mapping from httpx exceptions to
``timeout``/``connect``/``reset``/``truncated``/``too_large``/``bad_url`` lives in one place. A body that stops short
of its Content-Length is ``truncated`` whether h11 notices (RemoteProtocolError) or the byte count shows it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from govreports.fetch.gates import cookie_names

_NO_BODY = frozenset({204, 304})


@dataclass
class Attempt:
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes | None = None
    error_kind: str | None = None
    error: str | None = None
    elapsed: float = 0.0
    cookies: list[str] = field(default_factory=list)


def _classify(exc: Exception) -> str:
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        msg = str(exc).lower()
        return "truncated" if ("complete message body" in msg or "incomplete" in msg) else "reset"
    if isinstance(exc, httpx.DecodingError):
        return "truncated"  # a broken gzip/deflate stream is a damaged body, worth another try
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return "bad_url"
    return "reset"  # ReadError, WriteError, CloseError, other network/protocol trouble


async def send_once(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: httpx.Headers | dict[str, str],
    data: Any = None,
    max_body: int,
    total_timeout: float,
) -> Attempt:
    att = Attempt()
    t0 = time.monotonic()
    kwargs: dict[str, Any] = {}
    if isinstance(data, (bytes, bytearray, str)):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    try:
        async with asyncio.timeout(total_timeout):
            request = client.build_request(method, url, headers=headers, **kwargs)
            response = await client.send(request, stream=True)
            try:
                att.status, att.headers = response.status_code, response.headers
                att.cookies = cookie_names(response.headers.get_list("set-cookie"))
                declared = response.headers.get("content-length", "")
                length = int(declared) if declared.strip().isdigit() else None
                if length is not None and length > max_body:
                    att.error_kind, att.error = "too_large", f"Content-Length {length} > {max_body} bytes"
                    return att
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_body:
                        att.error_kind, att.error = "too_large", f"body exceeds {max_body} bytes"
                        return att
                    chunks.append(chunk)
                att.body = b"".join(chunks)
                body_expected = method != "HEAD" and att.status not in _NO_BODY
                if body_expected and length is not None and response.num_bytes_downloaded < length:
                    att.error_kind = "truncated"
                    att.error = f"body ended at {response.num_bytes_downloaded} of {length} bytes"
            finally:
                await response.aclose()
    except httpx.LocalProtocolError:
        raise  # our request was malformed (bad header value…): a programming error
    except (TimeoutError, httpx.HTTPError) as exc:
        att.error_kind = _classify(exc)
        att.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        att.elapsed = time.monotonic() - t0
    return att
