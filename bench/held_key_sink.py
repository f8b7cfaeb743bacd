"""The loadgen sink, already holding our author's public key, as a follower's server does.

A server that follows our teacher fetched her key when it verified her
``Accept`` or an earlier post; a fan-out's requests find it cached there.
The stock sink (``../shared/loadgen``) is one process standing in for a
thousand servers, and it starts with no key: its first request fetches ours
from the node while the other requests in flight wait for that one fetch.
That wait is the sink's, not the node's, yet it leaves the node idle at the
start of every fan-out (``bench.fanout --timeline`` shows about 80-170 ms)
and lowers the busy figure the issue asks for.

This module runs the same sink, unchanged, with the keys given in
``STAFFROOM_BENCH_HELD_KEYS`` (JSON, key id to public PEM) put in its key
cache before it serves; every signature is still verified, and
``key_fetches`` stays 0 when the key was held. Its stats also carry the
first and last arrival's own times (``first_at``, ``last_at``). ``bench.fanout
--cold-sink`` runs the stock sink instead.

    PYTHONPATH=../shared/loadgen python -m bench.held_key_sink sink --hosts ...
"""

from __future__ import annotations

import json
import os
from typing import Any

HELD_KEYS = "STAFFROOM_BENCH_HELD_KEYS"


def main() -> None:
    # Here, not at the top: bench.fanout imports HELD_KEYS without the loadgen on its path.
    from aploadgen import __main__ as loadgen  # type: ignore[import-not-found]
    from aploadgen import httpsig, sink

    given = json.loads(os.environ.get(HELD_KEYS, "{}"))
    held = {key_id: httpsig.load_public_pem(pem) for key_id, pem in given.items()}
    plain_init = sink.SinkState.__init__

    def holding(state: Any, *args: Any, **kwargs: Any) -> None:
        plain_init(state, *args, **kwargs)
        state.keys.update(held)

    plain_report = sink.SinkState.report

    def stamped(state: Any) -> dict[str, Any]:
        # The first and last arrivals themselves (perf_counter: CLOCK_MONOTONIC,
        # one clock for every process here), so that the bench times them
        # exactly instead of by its polls, which see them up to a poll late.
        return {**plain_report(state), "first_at": state.first, "last_at": state.last}

    sink.SinkState.__init__ = holding
    sink.SinkState.report = stamped
    loadgen.main()


if __name__ == "__main__":
    main()
