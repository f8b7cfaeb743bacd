"""Rate limits hold across ``serve --processes 2``: the node counts, not each process.

A node with two web processes on one socket, tiny limits (3 app registrations,
40 API requests per five minutes), and requests sent eight at a time over
fresh connections so both processes take their share. With buckets in each
process's memory the node allowed up to twice each limit; the buckets now
live in a table every process maps (:mod:`storage.rate_buckets`).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from storage.rate_buckets import SharedBuckets
from tests.support.node import Node

APP_LIMIT = 3
API_LIMIT = 40


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = Node(tmp_path_factory.mktemp("limits-2p"), processes=2, workers=False)
    node.env["STAFFROOM_APP_REGISTRATION_RATE_LIMIT"] = str(APP_LIMIT)
    node.env["STAFFROOM_API_RATE_LIMIT"] = str(API_LIMIT)
    node.migrate()
    node.start()
    yield node
    node.close()


def statuses(calls: list[tuple[str, str]], node: Node) -> list[int]:
    def one(call: tuple[str, str]) -> int:
        method, path = call
        data = {"client_name": "App", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
        with httpx.Client(timeout=30) as client:  # a connection of its own
            response = client.request(
                method, node.base_url + path, data=data if method == "POST" else None
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, calls))


def test_limits_are_shared_by_the_processes_of_a_node(node: Node) -> None:
    registrations = statuses([("POST", "/api/v1/apps")] * (4 * APP_LIMIT), node)
    assert registrations.count(200) == APP_LIMIT, registrations
    assert set(registrations) == {200, 429}
    reads = statuses([("GET", "/api/v1/instance")] * (2 * API_LIMIT), node)
    # The registrations spent API requests too; a token or two may refill meanwhile.
    allowed = len(registrations) + reads.count(200)
    assert API_LIMIT <= allowed <= API_LIMIT + 2, (registrations, reads)
    assert reads.count(429) == len(reads) - reads.count(200)


def test_the_shared_table_counts_one_bucket_for_two_mappings(tmp_path: Path) -> None:
    """Two mappings of one file (as two processes have) spend the same tokens."""
    first, second = SharedBuckets(tmp_path / "t"), SharedBuckets(tmp_path / "t")
    try:
        taken = [
            (first if n % 2 else second).take("api\0ip:10.0.0.1", 5.0, 5 / 300, 1000.0)[0]
            for n in range(8)
        ]
        assert taken == [True] * 5 + [False] * 3
        assert first.take("api\0ip:10.0.0.2", 5.0, 5 / 300, 1000.0) == (True, 4.0)
        # A full period later the bucket is full again.
        assert second.take("api\0ip:10.0.0.1", 5.0, 5 / 300, 1300.0) == (True, 4.0)
    finally:
        first.close()
        second.close()
