"""The connection pool's linear bookkeeping pass (fetch.netguard._LinearPool) decides as httpcore's own, except
that it never hands a connection to a second request.

Both passes are run on the same random pool states — connections closed, expired, idle, busy, of several origins,
more or fewer than the keep-alive and connection limits; queued and running requests — and must remove, close,
create and assign the same connections in the same order wherever httpcore could not hand one connection to two
requests. Where it could, the pass's own rule is checked: no connection promised twice, no promised connection
closed to make room, and a request left waiting only when nothing can serve it. Then with real connections: 16
requests at a time through the crawl's transport never find their connection taken, as they did with httpcore's.
"""

from __future__ import annotations

import asyncio
import random

import httpcore
import httpx
import pytest
from httpcore._async.connection_pool import AsyncPoolRequest

from govreports.fetch import netguard
from govreports.fetch.netguard import GuardedTransport, _LinearPool

ORIGINS = [httpcore.URL(f"http://h{i}.example/").origin for i in range(3)]


class FakeConnection:
    def __init__(self, name: str, origin, state: str):
        self.name, self.origin, self.state = name, origin, state

    def is_closed(self) -> bool:
        return self.state == "closed"

    def has_expired(self) -> bool:
        return self.state == "expired"

    def is_idle(self) -> bool:
        return self.state == "idle"

    def is_available(self) -> bool:
        return self.state == "idle"

    def can_handle_request(self, origin) -> bool:
        return origin == self.origin

    def __repr__(self) -> str:
        return self.name


class FakeRequest:
    def __init__(self, origin, queued: bool):
        self.request = type("R", (), {"url": type("U", (), {"origin": origin})()})()
        self.queued, self.connection = queued, None

    def is_queued(self) -> bool:
        return self.queued and self.connection is None

    def assign_to_connection(self, connection) -> None:
        self.connection = connection


def _state(rng: random.Random):
    connections = [(f"c{i}", rng.choice(ORIGINS), rng.choice(["closed", "expired", "idle", "idle", "busy", "busy"]))
                   for i in range(rng.randint(0, 12))]
    requests = [(rng.choice(ORIGINS), rng.random() < 0.7) for _ in range(rng.randint(0, 10))]
    limits = (rng.randint(1, 12), rng.randint(0, 12))  # max_connections, max_keepalive_connections
    return connections, requests, limits


def _pool(pool_class, connections, max_connections: int, max_keepalive: int):
    """A pool holding fake connections, whose new connections are fakes named new0, new1, …"""
    pool = pool_class(max_connections=max_connections, max_keepalive_connections=max_keepalive)
    created = []

    def create_connection(origin):
        created.append(FakeConnection(f"new{len(created)}", origin, "new"))
        return created[-1]

    pool.create_connection = create_connection
    pool._connections = [FakeConnection(*c) for c in connections]
    return pool


def _run(pool_class, state):
    connections, requests, (max_connections, max_keepalive) = state
    pool = _pool(pool_class, connections, max_connections, max_keepalive)
    pool._requests = [FakeRequest(*r) for r in requests]
    closing = pool._assign_requests_to_connections()
    return ([repr(c) for c in closing], [repr(c) for c in pool._connections],
            [repr(r.connection) for r in pool._requests])


def _no_second_hand(state) -> bool:
    """httpcore cannot hand one connection to two requests here: no request holds one, and one at most is queued
    (with two, httpcore may give the second the first one's connection, or close that connection to make room for
    the second's)."""
    _connections, requests, _limits = state
    return sum(queued for _origin, queued in requests) <= 1


def _comparable_state(seed: int):
    """The first random state drawn from `seed` in which the two passes must decide alike."""
    rng = random.Random(seed)
    state = _state(rng)
    while not _no_second_hand(state):
        state = _state(rng)
    return state


@pytest.mark.parametrize("seed", range(300))
def test_linear_pass_decides_as_httpcore(seed):
    state = _comparable_state(seed)
    assert _run(_LinearPool, state) == _run(httpcore.AsyncConnectionPool, state)


def test_httpcore_closes_a_connection_it_has_just_handed_out_and_the_linear_pass_does_not():
    """Two queued requests, the pool full: httpcore hands the first the idle c2, then closes c2 (the first idle
    one) to make room for the second's new connection."""
    state = ([("c1", ORIGINS[0], "busy"), ("c2", ORIGINS[0], "idle"), ("c3", ORIGINS[0], "idle")],
             [(ORIGINS[0], True), (ORIGINS[1], True)], (3, 3))
    assert _run(httpcore.AsyncConnectionPool, state) == (["c2"], ["c1", "c3", "new0"], ["c2", "new0"])
    assert _run(_LinearPool, state) == (["c3"], ["c1", "c2", "new0"], ["c2", "new0"])


def _promising_state(rng: random.Random):
    """A random state in which some running requests hold connections (idle ones: handed over, not started yet)."""
    connections, requests, limits = _state(rng)
    held = [rng.random() < 0.4 for _ in connections]
    return connections, requests, limits, held


def _run_holding(pool_class, state):
    connections, requests, (max_connections, max_keepalive), held = state
    pool = _pool(pool_class, connections, max_connections, max_keepalive)
    holders = []
    for connection, hold in zip(pool._connections, held):
        if hold and connection.state in ("idle", "busy"):
            holder = FakeRequest(connection.origin, queued=False)
            holder.connection = connection
            holders.append(holder)
    pool._requests = holders + [FakeRequest(*r) for r in requests]
    closing = pool._assign_requests_to_connections()
    return pool, holders, closing


@pytest.mark.parametrize("seed", range(300))
def test_a_connection_is_never_handed_to_two_requests(seed):
    pool, holders, closing = _run_holding(_LinearPool, _promising_state(random.Random(seed)))
    handed = [r.connection for r in pool._requests if r.connection is not None]
    assert len({id(c) for c in handed}) == len(handed)
    held = {id(h.connection) for h in holders}
    for connection in closing:  # a held connection is closed only when it has expired
        assert id(connection) not in held or connection.state == "expired"
    for request in pool._requests:
        if request.is_queued():  # left waiting: nothing free could serve it, and no room for a new connection
            free = [c for c in pool._connections if id(c) not in {id(h) for h in handed}]
            assert not any(c.can_handle_request(request.request.url.origin) and c.is_available() for c in free)
            assert len(pool._connections) >= pool._max_connections
            assert not any(c.is_idle() for c in free)


def test_httpcore_hands_one_idle_connection_to_two_requests_and_the_linear_pass_does_not():
    """The case the rule is for: one idle connection, two queued requests for its origin, room for one more."""
    state = ([("c0", ORIGINS[0], "idle")], [(ORIGINS[0], True), (ORIGINS[0], True)], (2, 2))
    assert _run(httpcore.AsyncConnectionPool, state) == ([], ["c0"], ["c0", "c0"])
    assert _run(_LinearPool, state) == ([], ["c0", "new0"], ["c0", "new0"])
    full = ([("c0", ORIGINS[0], "idle")], [(ORIGINS[0], True), (ORIGINS[0], True)], (1, 1))
    assert _run(_LinearPool, full) == ([], ["c0"], ["c0", "None"])  # the second waits for the next one freed


def test_some_states_close_create_and_assign():
    """The random states reach every branch (else the comparison above proves little)."""
    outcomes = [_run(_LinearPool, _comparable_state(seed)) for seed in range(300)]
    assert any(closing for closing, _, _ in outcomes)
    assert any(any(name.startswith("new") for name in assigned) for _, _, assigned in outcomes)
    assert any(any(name.startswith("c") for name in assigned) for _, _, assigned in outcomes)


def test_the_crawler_uses_the_linear_pool_on_httpcore_1_0():
    transport = GuardedTransport()
    assert isinstance(transport._pool, netguard._POOL)
    if httpcore.__version__.startswith("1.0."):
        assert isinstance(transport._pool, _LinearPool)


def _keep_alive(answer: bytes):
    """A local HTTP/1.1 server's connection handler that gives every request on a kept-alive connection `answer`,
    and the set of its handlers' tasks (one per connection accepted; each ends when its connection closes)."""
    handlers: set = set()

    async def serve(reader, writer):
        handlers.add(asyncio.current_task())
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    return serve, handlers


async def _sixteen_at_a_time(pool_class, monkeypatch) -> tuple[int, int]:
    """320 requests, 16 at a time, through the crawl's transport (its pool a `pool_class`) over 16 kept-alive
    connections to a local server (in this event loop); (answers, requests sent back to the queue because their
    connection was taken)."""
    body = b"x" * 20_000
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body

    serve, handlers = _keep_alive(answer)
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/r"
    monkeypatch.setattr(netguard, "_POOL", pool_class)
    transport = GuardedTransport(allow_private_addresses=True,
                                 limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))
    assert type(transport._pool) is pool_class
    retried, answers = 0, 0
    taken = AsyncPoolRequest.clear_connection

    def clear_connection(request):  # httpcore's pool calls it when the connection it gave is busy after all
        nonlocal retried
        retried += 1
        taken(request)

    monkeypatch.setattr(AsyncPoolRequest, "clear_connection", clear_connection)
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            async def worker():
                nonlocal answers
                for _ in range(20):
                    ok = (await client.get(url)).status_code == 200
                    answers += ok

            await asyncio.gather(*(worker() for _ in range(16)))
    finally:
        server.close()
        await asyncio.wait_for(asyncio.gather(*handlers), 10)  # each ends at its connection's close
        await server.wait_closed()
    return answers, retried


@pytest.mark.skipif(not httpcore.__version__.startswith("1.0."), reason="the pass is httpcore 1.0's")
def test_sixteen_requests_at_a_time_never_find_their_connection_taken(monkeypatch):
    answers, retried = asyncio.run(_sixteen_at_a_time(_LinearPool, monkeypatch))
    assert answers == 320 and retried == 0
    monkeypatch.undo()  # the pool's own clear_connection again, before it is counted a second time
    answers, retried = asyncio.run(_sixteen_at_a_time(httpcore.AsyncConnectionPool, monkeypatch))
    assert answers == 320 and retried > 0  # httpcore's own pass sends requests back to the queue


async def _crawl_six_hosts_two_at_a_time(tmp_path) -> tuple[int, int]:
    """60 requests through a Fetcher allowed 2 in flight, to 6 origins in turn (each a kept-alive local server),
    as a crawl of more portals than connections asks; (answers, connections the servers accepted)."""
    from govreports.fetch import Archive, Fetcher
    from tests.httpserver import fetch_policy

    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\n<p>page</p>"
    serve, handlers = _keep_alive(answer)  # a connection's handler each: `handlers` counts those accepted
    servers = [await asyncio.start_server(serve, "127.0.0.1", 0) for _ in range(6)]
    bases = [f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}" for s in servers]
    answers = 0
    try:
        async with Fetcher(fetch_policy(max_connections=2, per_host_concurrency=1), Archive(tmp_path)) as fetcher:
            async def worker(k: int):
                nonlocal answers
                for i in range(30):
                    res = await fetcher.fetch(f"{bases[(2 * i + k) % 6]}/r{k}-{i}")
                    assert res.ok, (res.error_kind, res.error)
                    answers += 1

            await asyncio.gather(worker(0), worker(1))
    finally:
        for s in servers:
            s.close()
        await asyncio.wait_for(asyncio.gather(*handlers), 10)
    return answers, len(handlers)


def test_a_crawl_of_more_hosts_than_connections_keeps_each_hosts_connection_alive(tmp_path):
    """The cap on requests in flight is not the pool's size: with the pool as small as the cap, each request to a
    host with no idle connection closed another host's and opened a new one (a TCP, on the real web a TLS,
    handshake nearly every request once a crawl spans more hosts than connections)."""
    answers, accepted = asyncio.run(_crawl_six_hosts_two_at_a_time(tmp_path))
    assert answers == 60
    assert accepted <= 6 + 2  # one per host, give or take a race at the start; it was ~60


async def _idle_connections_polled(monkeypatch, close_server: bool) -> tuple[int, int, int]:
    """16 kept-alive connections to a local server left idle, then one bookkeeping pass of the pool (the server
    closed first when `close_server`: each connection's socket then reads its end); (idle connections, polls the
    pass made, connections the pass closed)."""
    import select

    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    serve, handlers = _keep_alive(answer)
    writers = []

    async def serve_closable(reader, writer):
        writers.append(writer)
        await serve(reader, writer)

    server = await asyncio.start_server(serve_closable, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/r"
    transport = GuardedTransport(allow_private_addresses=True,
                                 limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            async def hold():  # a response held open until all 16 run: 16 connections
                async with client.stream("GET", url) as response:
                    await asyncio.sleep(0.2)
                    await response.aread()

            await asyncio.gather(*(hold() for _ in range(16)))
            pool = transport._pool
            idle = sum(c.is_idle() for c in pool._connections)
            if close_server:
                for writer in writers:
                    writer.close()
                await asyncio.sleep(0.1)
            polls = 0
            poll = select.poll

            def counted():
                nonlocal polls
                polls += 1
                return poll()

            monkeypatch.setattr(select, "poll", counted)
            closing = pool._assign_requests_to_connections()
            monkeypatch.undo()
            for connection in closing:
                await connection.aclose()
    finally:
        server.close()
        await asyncio.gather(*handlers, return_exceptions=True)
    return idle, polls, len(closing)


@pytest.mark.skipif(not httpcore.__version__.startswith("1.0."), reason="the pass is httpcore 1.0's")
def test_a_pool_pass_asks_the_kernel_once_which_idle_connections_the_server_closed(monkeypatch):
    """httpcore asks each idle connection's socket on every pass (a poll object, a registration and a system call
    each: 16 a pass, two passes a request); the pass asks once for all of them, and finds the same ones closed."""
    idle, polls, closed = asyncio.run(_idle_connections_polled(monkeypatch, close_server=False))
    assert idle == 16 and polls == 1 and closed == 0
    idle, polls, closed = asyncio.run(_idle_connections_polled(monkeypatch, close_server=True))
    assert idle == 16 and polls == 1 and closed == 16
