"""M4 (issue 8): one request key sent by several callers at once makes one run, no 500s.

Before: the losers of the race hit the unique (organization, request key) constraint
inside the flush, and then ``PendingRollbackError`` on the follow-up read (1-4 of 6
callers answered 500 on PostgreSQL).
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tem.models import PrintRun, Stamp
from tests.conftest import World
from tests.trace.test_flow import make_batch

CALLERS = 6


def _at_once(world: World, url: str, body: dict[str, Any]) -> list[Any]:
    """POST ``body`` from CALLERS threads released together, each with a client of its own."""
    app = world.client.app
    barrier = threading.Barrier(CALLERS)
    results: list[Any] = [None] * CALLERS

    def call(i: int) -> None:
        client = TestClient(app, raise_server_exceptions=False)
        barrier.wait()
        results[i] = client.post(url, json=body, headers=world.a)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_callers_with_one_request_key_get_one_run(world: World) -> None:
    batch = make_batch(world, events=0)
    url = f"/api/v1/batches/{batch['id']}/print-runs"
    for attempt in range(3):  # three races, so a lucky ordering is unlikely to hide a failure
        key = f"order-{attempt}"
        responses = _at_once(world, url, {"count": 5, "request_key": key})
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * (CALLERS - 1) + [201], [r.text[:200] for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert all(r.json()["issued"] == 5 for r in responses)
    sessions = world.client.app.state.tem.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PrintRun)) == 3
        assert session.scalar(select(func.count()).select_from(Stamp)) == 15


def test_a_repeat_with_another_count_is_still_a_conflict(world: World) -> None:
    batch = make_batch(world, events=0)
    url = f"/api/v1/batches/{batch['id']}/print-runs"
    assert (
        world.client.post(url, json={"count": 3, "request_key": "k"}, headers=world.a).status_code
        == 201
    )
    clash = world.client.post(url, json={"count": 4, "request_key": "k"}, headers=world.a)
    assert clash.status_code == 409
