"""The connection pool's linear bookkeeping pass (fetch.netguard._LinearPool) decides exactly as httpcore's own.

Both passes are run on the same random pool states — connections closed, expired, idle, busy, of several origins,
more or fewer than the keep-alive and connection limits; queued and running requests — and must remove, close,
create and assign the same connections in the same order.
"""

from __future__ import annotations

import random

import httpcore
import pytest

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


def _run(pool_class, state):
    connections, requests, (max_connections, max_keepalive) = state
    pool = pool_class(max_connections=max_connections, max_keepalive_connections=max_keepalive)
    created = []

    def create_connection(origin):
        created.append(FakeConnection(f"new{len(created)}", origin, "new"))
        return created[-1]

    pool.create_connection = create_connection
    pool._connections = [FakeConnection(*c) for c in connections]
    pool._requests = [FakeRequest(*r) for r in requests]
    closing = pool._assign_requests_to_connections()
    return ([repr(c) for c in closing], [repr(c) for c in pool._connections],
            [repr(r.connection) for r in pool._requests])


@pytest.mark.parametrize("seed", range(300))
def test_linear_pass_decides_as_httpcore(seed):
    state = _state(random.Random(seed))
    assert _run(_LinearPool, state) == _run(httpcore.AsyncConnectionPool, state)


def test_some_states_close_create_and_assign():
    """The random states reach every branch (else the comparison above proves little)."""
    outcomes = [_run(_LinearPool, _state(random.Random(seed))) for seed in range(300)]
    assert any(closing for closing, _, _ in outcomes)
    assert any(any(name.startswith("new") for name in assigned) for _, _, assigned in outcomes)
    assert any(any(name.startswith("c") for name in assigned) for _, _, assigned in outcomes)


def test_the_crawler_uses_the_linear_pool_on_httpcore_1_0():
    transport = GuardedTransport()
    assert isinstance(transport._pool, netguard._POOL)
    if httpcore.__version__.startswith("1.0."):
        assert isinstance(transport._pool, _LinearPool)
