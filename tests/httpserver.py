"""A tiny programmable HTTP server on 127.0.0.1 for fetcher tests: scripted replies per path, a request log.

Each path gets a script of ``Reply`` objects served in order (the last one repeats), or a callable. Replies can
sleep first (timeouts), reset the connection (RST), or send fewer bytes than their Content-Length (truncation).
Every request is recorded with its arrival time (time.monotonic) and headers, so tests can check pacing, which
conditional headers were sent, and that a robots-disallowed path was never requested.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: list[tuple[str, str]] | dict[str, str] = field(default_factory=list)
    delay: float = 0.0  # seconds to sleep before answering
    action: str | None = None  # None | "reset" (no answer) | "truncate" (short of Content-Length) | "chunked"
    #                            | "drip" (the body one byte every ``drip`` seconds)
    drip: float = 0.1
    content_length: int | None = None  # override the Content-Length header


@dataclass
class Seen:
    method: str
    path: str  # path with query
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() on arrival


Handler = Callable[[Seen], Reply]


class LocalServer:
    """``with LocalServer() as srv: srv.route("/a", Reply(503), Reply(200, b"ok")); srv.url("/a")``.

    With ``ssl_context`` (a server-side context) it speaks HTTPS; ``url()`` then says https.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.requests: list[Seen] = []
        self._routes: dict[str, list[Reply] | Handler] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if ssl_context is not None:  # a failed handshake raises SSLError (an OSError) in accept: dropped, as it should
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- set-up ---------------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply | Handler) -> LocalServer:
        """Script ``path`` (matched with its query first, then without); a single callable handles every request."""
        if len(replies) == 1 and callable(replies[0]) and not isinstance(replies[0], Reply):
            self._routes[path] = replies[0]
        else:
            self._routes[path] = list(replies)  # type: ignore[arg-type]
        return self

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path or urlsplit(r.path).path == path]

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- serving --------------------------------------------------------------------------------------------------
    def _next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            key = seen.path if seen.path in self._routes else urlsplit(seen.path).path
            script = self._routes.get(key)
            if script is None:
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            if callable(script):
                handler = script
            else:
                i = self._served.get(key, 0)
                self._served[key] = i + 1
                return script[min(i, len(script) - 1)]
        return handler(seen)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                            time.monotonic())
                reply = server._next_reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                self.close_connection = True
                if reply.action == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                data = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    headers = reply.headers.items() if isinstance(reply.headers, dict) else reply.headers
                    names = set()
                    for k, v in headers:
                        self.send_header(k, v)
                        names.add(k.lower())
                    if reply.action == "chunked":
                        self.send_header("Transfer-Encoding", "chunked")
                    elif "content-length" not in names:
                        declared = reply.content_length
                        if declared is None:
                            declared = len(data) + (100 if reply.action == "truncate" else 0)
                        self.send_header("Content-Length", str(declared))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    if self.command == "HEAD":
                        pass
                    elif reply.action == "drip":
                        self.wfile.flush()
                        for i in range(len(data)):
                            self.wfile.write(data[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    elif reply.action == "chunked":
                        for i in range(0, len(data), 65536):
                            part = data[i : i + 65536]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_HEAD = do_PUT = _serve

        return _H


class FakeTime:
    """Injectable ``clock``/``sleep`` for the Fetcher: sleeping records the delay and advances the clock at once."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)  # still yield to other tasks, like a real sleep


def fetch_policy(**kw):
    """A FetchPolicy for tests against local servers: no delays, no robots, no proxies, quick timeouts; the local
    server's address (127.0.0.1, any port) allowed, private addresses too."""
    from govreports.fetch import FetchPolicy

    base = dict(per_host_delay=0, delay_jitter=0, respect_robots=False, trust_env=False, adaptive=False,
                backoff_base=0.01, connect_timeout=2, read_timeout=2, allowed_hosts={"127.0.0.1"},
                allow_private_addresses=True)
    base.update(kw)
    return FetchPolicy(**base)


def fetch_urls(archive, calls, pol=None, **fetcher_kw):
    """Run one Fetcher (``pol``, else ``fetch_policy()``) over ``archive`` (an Archive, or the folder for one) and
    fetch ``calls`` in order, each a URL or an ``(args, kwargs)`` pair for ``Fetcher.fetch``; ``fetcher_kw`` go to
    the Fetcher (``sleep``, ``clock``, ``rng``, ``validators_lookup``, …). Returns (results, fetcher)."""
    from govreports.fetch import Archive, Fetcher

    if not isinstance(archive, Archive):
        archive = Archive(archive)

    async def go():
        async with Fetcher(pol or fetch_policy(), archive, **fetcher_kw) as f:
            return [await f.fetch(*c[0], **c[1]) if isinstance(c, tuple) else await f.fetch(c) for c in calls], f

    return asyncio.run(go())
