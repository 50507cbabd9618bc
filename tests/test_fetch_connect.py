"""Connecting to a host of several addresses: one that never answers (a dead IPv6 route beside a working IPv4 one)
costs a moment, not the connect timeout of every attempt (RFC 8305, as anyio connects a name)."""

from __future__ import annotations

import asyncio
import time

import httpcore
import pytest

from govreports.fetch import Archive, Fetcher
from govreports.fetch.netguard import GuardedBackend, GuardedTransport
from httpserver import LocalServer, Reply, fetch_policy

DEAD, REFUSING = "2001:db8::1", "2001:db8::2"  # documentation addresses: what they do is the stub's doing


class _Network(httpcore.AsyncNetworkBackend):
    """The real network, except DEAD, which swallows the SYN (until the timeout), and REFUSING."""

    def __init__(self) -> None:
        self.real = httpcore.AnyIOBackend()
        self.tried: list[tuple[str, float]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.tried.append((host, time.monotonic()))
        if host == DEAD:
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise httpcore.ConnectTimeout("timed out")
        if host == REFUSING:
            raise httpcore.ConnectError("[Errno 111] Connection refused") from ConnectionRefusedError(111, "refused")
        return await self.real.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _backend(addresses: list[str]) -> tuple[GuardedBackend, _Network]:
    network = _Network()
    backend = GuardedBackend(allow_private_addresses=True, inner=network)

    async def resolve(host, port, timeout):
        return addresses if host == "dual.example" else [host]

    backend.resolve = resolve  # type: ignore[method-assign]
    return backend, network


@pytest.fixture(scope="module")
def server():
    with LocalServer() as srv:
        srv.route("/x", Reply(200, b"ok"))
        yield srv


def test_a_dead_first_address_gives_way_to_the_next(server):
    """The resolver's order put the dead address first (IPv6 first, as getaddrinfo sorts on a host that has
    IPv6): each attempt waited the whole connect timeout on it and failed as `timeout`, the host never reached."""
    backend, network = _backend([DEAD, "127.0.0.1"])

    async def connect():
        t0 = time.monotonic()
        stream = await backend.connect_tcp("dual.example", server.port, timeout=1.5)
        took = time.monotonic() - t0
        await stream.aclose()
        return took

    took = asyncio.run(connect())
    assert took < 1.0, f"{took:.2f} s"  # the connect timeout is 1.5 s: none of it was waited out
    assert [host for host, _ in network.tried] == [DEAD, "127.0.0.1"]
    assert network.tried[1][1] - network.tried[0][1] >= 0.2  # the next address only after a pause (RFC 8305: 250 ms)


def test_a_failing_address_gives_way_at_once_and_the_timeout_still_holds(server):
    backend, network = _backend([REFUSING, "127.0.0.1"])

    async def connect(addresses, timeout):
        backend.resolve = _backend(addresses)[0].resolve
        t0 = time.monotonic()
        try:
            stream = await backend.connect_tcp("dual.example", server.port, timeout=timeout)
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            return exc, time.monotonic() - t0
        await stream.aclose()
        return None, time.monotonic() - t0

    error, took = asyncio.run(connect([REFUSING, "127.0.0.1"], 1.5))
    assert error is None and took < 0.2
    error, took = asyncio.run(connect([DEAD, DEAD], 0.5))
    assert isinstance(error, httpcore.ConnectTimeout) and 0.45 < took < 0.9
    error, took = asyncio.run(connect([DEAD, REFUSING], 0.5))  # the host is there and says no: refused, not timeout
    assert isinstance(error, httpcore.ConnectError) and not isinstance(error, httpcore.ConnectTimeout)


def test_a_fetch_through_a_dead_address_is_ok_in_one_attempt(server, tmp_path):
    transport = GuardedTransport(allow_private_addresses=True, trust_env=False)
    transport.backend.resolve = _backend([DEAD, "127.0.0.1"])[0].resolve  # type: ignore[method-assign]
    transport.backend._inner = _Network()

    async def go():
        policy = fetch_policy(allowed_hosts={"dual.example"}, connect_timeout=1.5, retries=2)
        async with Fetcher(policy, Archive(tmp_path), transport=transport) as f:
            t0 = time.monotonic()  # the fetch alone, not the client made and closed around it (1.5 s in all, loaded)
            return await f.fetch(f"http://dual.example:{server.port}/x"), time.monotonic() - t0

    res, took = asyncio.run(go())
    assert res.ok and res.body == b"ok" and res.attempts == 1, (res.error_kind, res.error)
    assert took < 1.4, took  # under the 1.5 s connect timeout: none of it waited out
