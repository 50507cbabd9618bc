"""Where the crawler may connect: the address check sits inside the connection, so DNS cannot change under it.

Checking a URL's host before the request (resolve, look, then let httpx connect) leaves a gap: httpx resolves the
name again, and a hostile or flapping DNS server can answer with a public address the first time and 127.0.0.1 the
second (DNS rebinding). So the check is done by the network backend httpcore connects through: ``GuardedBackend``
resolves the name once with ``loop.getaddrinfo``, refuses the whole host if *any* answer is loopback, private,
link-local, multicast, unspecified or reserved (``addresses.address_problem``), and then connects the inner backend
to one of the checked IP addresses — never to the name. TLS is unaffected: httpcore's ``start_tls`` is given the
URL's host for SNI and certificate validation separately, so HTTPS still validates against the host name.

Proxies: ``GuardedTransport`` always connects directly. Through a proxy the *proxy* resolves the target's name, so
the address check could not be made; httpx mounts environment proxies (``HTTP(S)_PROXY``, ``ALL_PROXY``) only when
the client builds its own transport, and the Fetcher always hands it this one, so with ``trust_env=True`` the
environment still supplies CA certificates (``SSL_CERT_FILE``/``SSL_CERT_DIR``) but never a proxy. ``Fetcher``
logs a warning when it ignores one.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import select
import socket
import ssl
import time
import urllib.request
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpcore
import httpx
from httpcore._utils import is_socket_readable

from govreports.fetch.addresses import address_problem
from govreports.fetch.errors import NameResolutionError, PrivateAddressError

log = logging.getLogger(__name__)

HOW_TO_ALLOW = "to allow it, set `[safety] allow_private_addresses = true` in the config"
# threads for name lookups, apart from asyncio's default pool (cores + 4 threads, which the archive's writes share):
# a lookup whose DNS hangs (a lame delegation: 10-30 s) holds its thread after its connect timeout has given up on
# it, so lookups of a few such names took every thread, and a healthy host's lookup, queued behind them, failed as
# `timeout`. Room for a crawl's requests in flight (max_connections, 16) several times over.
RESOLVER_THREADS = 64


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks every address, and connects only to a checked IP."""

    def __init__(self, *, allow_private_addresses: bool = False, inner: httpcore.AsyncNetworkBackend | None = None):
        self.allow_private_addresses = allow_private_addresses
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolver = ThreadPoolExecutor(RESOLVER_THREADS, thread_name_prefix="govreports-dns")  # (threads
        # start as lookups need them)
        self._streams: weakref.WeakSet[_Stream] = weakref.WeakSet()  # the open streams (one_poll asks of them)
        self._polled: tuple[set[int], set[int]] | None = None  # during one_poll: (fds asked, fds readable)

    @contextmanager
    def one_poll(self):
        """Within: a stream's "is_readable" answered from one poll of every open stream's socket, made on entry
        (the pool's pass asks it of each idle connection, a poll object and a system call each; see _LinearPool).
        The kernel's answer for each socket is the one it gives alone: readable when poll reports any event."""
        fds = {fd for stream in list(self._streams) if (fd := stream.fileno()) >= 0}
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLIN)
        self._polled = (fds, {fd for fd, _event in poller.poll(0)} if fds else set())
        try:
            yield
        finally:
            self._polled = None

    def readable(self, sock: socket.socket) -> bool:
        """Whether `sock` can be read now (httpcore's is_socket_readable), from one_poll's answer within it."""
        if self._polled is not None and (fd := sock.fileno()) in self._polled[0]:
            return fd in self._polled[1]
        return is_socket_readable(sock)

    def close(self) -> None:
        """Let the lookup threads go (one still waiting on its DNS ends with it)."""
        self._resolver.shutdown(wait=False, cancel_futures=True)

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The host's addresses in resolver order, each once; NameResolutionError / ConnectTimeout on failure."""
        try:
            return [str(ipaddress.ip_address(host))]  # an IP literal needs no resolver (nor its thread pool)
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.run_in_executor(
                    self._resolver, functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM))
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout} s") from exc
        except socket.gaierror as exc:
            raise NameResolutionError(f"{host}: name not resolved ({exc.strerror or exc})") from exc
        except UnicodeError as exc:  # no name a resolver can be asked for (an empty label, one over 63 characters)
            raise NameResolutionError(f"{host}: not a host name that can be resolved ({exc})") from exc
        found: list[str] = []
        for *_, sockaddr in infos:
            if sockaddr[0] not in found:
                found.append(str(sockaddr[0]))
        if not found:
            raise NameResolutionError(f"{host}: the resolver returned no address")
        return found

    def check(self, host: str, addresses: Iterable[str]) -> None:
        if self.allow_private_addresses:
            return
        for address in addresses:
            problem = address_problem(address)
            if problem:
                where = f"{host} is a {problem} address" if address == host else \
                    f"{host} resolves to {address}, a {problem} address"
                raise PrivateAddressError(f"{where}: the crawler connects to public addresses only; {HOW_TO_ALLOW}")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = await self.resolve(host, port, timeout)
        self.check(host, addresses)

        def attempt(address: str) -> asyncio.Task:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            return asyncio.ensure_future(self._inner.connect_tcp(
                address, port, timeout=left, local_address=local_address, socket_options=socket_options))

        return _Stream(await _first_connected(addresses, attempt), self)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the crawler does not connect to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_NEXT_ADDRESS_DELAY = 0.25  # RFC 8305 §5's Connection Attempt Delay, anyio's happy_eyeballs_delay


async def _first_connected(addresses: list[str], attempt) -> httpcore.AsyncNetworkStream:
    """Happy Eyeballs (RFC 8305 §5), over addresses already checked: each address in resolver order, the next one
    started 250 ms after the last or as soon as every attempt so far has failed; the first connection wins and the
    others are cancelled (or closed, if they connected meanwhile). Tried one after another, the resolver's first
    address alone decided: a dead one (an IPv6 route that swallows the SYN, beside a working IPv4 address) spent
    the whole connect timeout of every attempt and the host failed as `timeout`, where anyio, connecting the name,
    would have reached it in a quarter of a second.

    Every attempt failed: a timeout only when each one timed out; else the last other error (a refusal says the
    host is there), whose cause errors.classify reads."""
    running: set[asyncio.Task] = set()
    errors: list[Exception] = []
    waiting = list(addresses)
    try:
        while waiting or running:
            if waiting:
                running.add(attempt(waiting.pop(0)))
            done, _ = await asyncio.wait(running, timeout=_NEXT_ADDRESS_DELAY if waiting else None,
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                running.discard(task)
                if task.exception() is None:
                    return task.result()
                errors.append(task.exception())  # type: ignore[arg-type]
                if not isinstance(errors[-1], (httpcore.ConnectError, httpcore.ConnectTimeout)):
                    raise errors[-1]
    finally:
        for task in running:
            task.cancel()
        for stream in await asyncio.gather(*running, return_exceptions=True):
            if isinstance(stream, httpcore.AsyncNetworkStream):  # it connected while being cancelled
                await stream.aclose()
    others = [e for e in errors if not isinstance(e, httpcore.ConnectTimeout)]
    raise others[-1] if others else errors[0]


class _Stream(httpcore.AsyncNetworkStream):
    """The inner stream, answering httpcore's "is_readable" from a socket looked up once.

    httpcore's pool asks every idle connection "is_readable" each time it assigns or releases one (to spot a
    server-side close); anyio answers by rebuilding its attribute table, with a getpeername() system call, every
    time: a tenth of the crawler's CPU at 16 connections. The answer itself (a poll of the socket) is unchanged,
    and within the pool's pass it comes from the pass's one poll of every open stream (GuardedBackend.one_poll).
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream, backend: GuardedBackend):
        self._inner, self._backend = inner, backend
        self._socket = inner.get_extra_info("socket")
        if self._socket is not None:
            backend._streams.add(self)

    def fileno(self) -> int:
        return -1 if self._socket is None else self._socket.fileno()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        self._backend._streams.discard(self)
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        self._backend._streams.discard(self)  # the TLS stream's own socket is asked from now on
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout), self._backend)

    def get_extra_info(self, info: str):
        if info == "is_readable" and self._socket is not None:
            return self._backend.readable(self._socket)
        return self._inner.get_extra_info(info)


class _LinearPool(httpcore.AsyncConnectionPool):
    """httpcore 1.0's pool with its bookkeeping pass made linear in the number of connections.

    The pool runs `_assign_requests_to_connections` every time a request is added or released. Its clean-up loop asks,
    for every idle connection, `len([c.is_idle() for c in connections])` — the number of *all* connections — so one
    pass costs connections² calls: at 16 connections 265,000 `is_idle` calls and a seventh of the crawler's CPU for
    1,000 reports. Here the same length is read once per connection (`len(self._connections)` as the loop shrinks
    it, exactly the value the list had), and each queued request's candidates are found in one walk. Same
    decisions, same order. Used only with the httpcore it was written against (1.0.x); another keeps its own pass.

    One decision differs, on purpose: a connection already handed to a request that has not started on it yet is
    spoken for. httpcore hands such an idle connection to the next queued request as well (an HTTP/1.1 connection
    stays "available" until a request starts on it), and may even close it to make room (for another origin's
    connection, or over the keep-alive limit); all but one of those requests then find it busy
    (ConnectionNotAvailable), go back to the queue and run the pass again. With 16 connections that was 2.7 times
    a request, 4.7 passes a request instead of 2 (httpx alone, 16 connections, a 60 KB page). Here such a request
    takes another connection, a new one, or waits for the next one freed: every answer frees its connection with a
    pass of its own. The pool speaks HTTP/1.1 only (GuardedTransport), one request a connection at a time.
    """

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        one_poll = getattr(self._network_backend, "one_poll", None)  # GuardedBackend's (the crawl's transport)
        if one_poll is None:
            return self._pass()
        with one_poll():
            return self._pass()

    def _pass(self) -> list[httpcore.AsyncConnectionInterface]:
        queued, promised = [], set()  # promised: ids of the connections handed to a request (started or not)
        for request in self._requests:
            if request.is_queued():
                queued.append(request)
            else:
                promised.add(id(request.connection))

        closing_connections = []
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif connection.has_expired():
                self._connections.remove(connection)
                closing_connections.append(connection)
            elif (connection.is_idle() and len(self._connections) > self._max_keepalive_connections
                  and id(connection) not in promised):
                self._connections.remove(connection)
                closing_connections.append(connection)

        for pool_request in queued:
            origin = pool_request.request.url.origin
            available = idle = None
            for connection in self._connections:
                if id(connection) in promised:
                    continue
                if connection.can_handle_request(origin) and connection.is_available():
                    available = connection
                    break
                if idle is None and connection.is_idle():
                    idle = connection
            if available is not None:
                connection = available
            elif len(self._connections) < self._max_connections:
                connection = self.create_connection(origin)
                self._connections.append(connection)
            elif idle is not None:
                self._connections.remove(idle)
                closing_connections.append(idle)
                connection = self.create_connection(origin)
                self._connections.append(connection)
            else:
                continue  # every connection is busy or spoken for: the next one freed comes with a pass
            pool_request.assign_to_connection(connection)
            promised.add(id(connection))
        return closing_connections


_POOL = _LinearPool if httpcore.__version__.startswith("1.0.") and hasattr(
    httpcore.AsyncConnectionPool, "_assign_requests_to_connections") else httpcore.AsyncConnectionPool


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on ``GuardedBackend``.

    httpx does not expose httpcore's ``network_backend``, so the pool httpx builds is replaced by the same pool
    (same SSL context and limits) over our backend; everything else (request/response mapping, exception mapping
    to httpx errors) is httpx's.
    """

    def __init__(
        self,
        *,
        allow_private_addresses: bool = False,
        verify: ssl.SSLContext | bool = True,
        trust_env: bool = True,
        limits: httpx.Limits | None = None,
    ):
        limits = limits or httpx.Limits()
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        super().__init__(verify=ssl_context, trust_env=trust_env, limits=limits)
        self.backend = GuardedBackend(allow_private_addresses=allow_private_addresses)
        self._pool = _POOL(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=self.backend,
        )

    async def aclose(self) -> None:
        await super().aclose()
        self.backend.close()


def warn_about_env_proxies() -> None:
    """A proxy set in the environment is not used (see netguard): say so, once per process, rather than silently."""
    global _warned_proxies
    proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https", "all")}
    if proxies and not _warned_proxies:
        _warned_proxies = True
        log.warning("ignoring proxy settings from the environment (%s): the crawler connects directly so that it "
                    "can check every address it connects to", ", ".join(sorted(proxies)))


_warned_proxies = False
