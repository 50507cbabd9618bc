"""Name a transport failure for what it is: an httpx exception → (error kind, message).

httpx reports a DNS failure, a closed port and a bad certificate alike as ``ConnectError``; what actually happened
is further down the exception chain (httpx → httpcore → anyio → the OS), so ``classify`` walks ``__cause__``,
``__context__`` and exception groups (anyio joins the failures of several connection attempts into one) looking
for the original ``socket.gaierror``, ``ConnectionRefusedError`` or ``ssl.SSLError``. Our own connection guard
(``netguard``) raises the two httpcore errors below, which httpx maps to ``ConnectError`` with them as the cause.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator

import anyio
import httpcore
import httpx

from govreports.fetch.decoding import NotEncoded


class NameResolutionError(httpcore.ConnectError):
    """The host name did not resolve (the ``socket.gaierror`` is the cause)."""


class PrivateAddressError(httpcore.ConnectError):
    """The host resolved to an address the crawler may not connect to (loopback, private, link-local, …)."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it was raised from or during, exception-group members included, each once."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend(x for x in (e.__cause__, e.__context__) if x is not None)
        if isinstance(e, BaseExceptionGroup):
            todo.extend(e.exceptions)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def classify(exc: BaseException, timeout: float | None = None) -> tuple[str, str]:
    """(error kind, message) for an exception out of one request; ``timeout`` is the attempt's deadline, if known.

    Only a ``ConnectError`` is searched for a DNS, refusal or TLS cause: the handshake happens while connecting,
    and an error later on (a reset while reading over TLS) may carry unrelated SSL exceptions in its context.
    """
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", _describe(exc)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timeout", ("no complete answer within the deadline" if timeout is None
                           else f"no complete answer within the {timeout:.1f} s deadline")
    if isinstance(exc, httpx.ConnectError):
        return _connect_failure(exc)
    if isinstance(exc, httpx.RemoteProtocolError):
        msg = str(exc).lower()
        if "invalid url in location header" in msg:  # a whole answer, its redirect unusable: asking again won't help
            return "bad_url", _describe(exc)
        if "content-length" in msg or "transfer-encoding" in msg:  # h11 on the answer's own framing headers
            # (conflicting or bad Content-Length, a Transfer-Encoding other than chunked): the server builds it so
            return "malformed", f"malformed answer, not asked again: {exc}"
        kind = "truncated" if ("complete message body" in msg or "incomplete" in msg) else "reset"
        return kind, _describe(exc)
    if isinstance(exc, NotEncoded):  # a plain body labelled gzip: labelled so every time
        return "malformed", f"malformed answer, not asked again: {exc}"
    if isinstance(exc, httpx.DecodingError):
        return "truncated", _describe(exc)  # a broken gzip/deflate stream is a damaged body, worth another try
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return "bad_url", _describe(exc)
    return "reset", _describe(exc)  # ReadError, WriteError, CloseError, other network/protocol trouble


def _connect_failure(exc: httpx.ConnectError) -> tuple[str, str]:
    chain = list(_chain(exc))
    for e in chain:
        if isinstance(e, (PrivateAddressError, NameResolutionError)):
            return ("private_address" if isinstance(e, PrivateAddressError) else "dns"), str(e)
    for e in chain:
        if isinstance(e, socket.gaierror):
            return "dns", f"name not resolved: {_describe(e)}"
    for e in chain:
        if isinstance(e, ssl.SSLError) and not isinstance(e, (ssl.SSLWantReadError, ssl.SSLWantWriteError)):
            return "tls", f"TLS: {_describe(e)}"  # SSLCertVerificationError included
    for e in chain:
        if isinstance(e, ConnectionRefusedError):
            return "refused", f"connection refused: {_describe(e)}"
    if any(isinstance(e, anyio.EndOfStream) for e in chain):
        return "tls", "TLS: the server closed the connection during the handshake"
    # no cause we recognise (no route to host, network unreachable…): the connection could not be made
    return "connect", _describe(exc)
