"""L11 (issue 8) and the resume race of M9 (issue 12): no run stays stuck, no two issuers.

Before: a print run whose worker crashed stayed ``issuing`` until someone called
``POST /print-runs/{id}/resume``, which then issued the whole rest inside that one
request; two resumes (or a resume beside the background issuer) issued the same run at
once, and on SQLite one of them answered 500 (``IntegrityError`` on (run, seq)).
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from tem.models import RunStatus
from tem.stamps import service
from tem.web.app import create_app
from tests.conftest import World
from tests.stamps.test_resume import (
    _sessions,
    _store,
    age_lease,
    new_run,
    run_row,
    stamps_of,
    wait_complete,
)

RESUMERS = 4


def test_a_crashed_run_is_finished_at_start_up_without_anyone_asking(world: World) -> None:
    stuck, _ = new_run(world, 2_500, "crashed")
    service.issue_chunks(_sessions(world), _store(world), stuck, max_chunks=1)
    age_lease(world, stuck)  # its issuer died holding the lease, long enough ago
    busy, _ = new_run(world, 2_500, "alive")
    service.issue_chunks(_sessions(world), _store(world), busy, max_chunks=1)
    alive = service.claim_run(_sessions(world), busy)  # another worker issuing it right now
    assert alive is not None

    app = create_app(world.settings)
    try:
        with TestClient(app):  # the app starts: nothing else is asked of it
            assert wait_complete(world, stuck).issued == 2_500
        assert stamps_of(world, stuck) == (2_500, 2_500, 2_500)
        other = run_row(world, busy)  # the live issuer's run is left to it
        assert (other.issued, other.issuer_token) == (1_000, alive)
    finally:
        app.state.tem.engine.dispose()


def test_concurrent_resumes_during_issuance_never_fail_and_issue_exactly_n(world: World) -> None:
    total = 6_000
    run_id, public_id = new_run(world, total, "resumed")
    service.issue_chunks(_sessions(world), _store(world), run_id, max_chunks=1)
    url = f"/api/v1/print-runs/{public_id}/resume"
    app = world.client.app
    answers: list[Any] = []

    def wave() -> None:
        barrier = threading.Barrier(RESUMERS)

        def call() -> None:
            client = TestClient(app, raise_server_exceptions=False)
            barrier.wait()
            answers.append(client.post(url, headers=world.a))

        threads = [threading.Thread(target=call) for _ in range(RESUMERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    wave()  # one of them starts the issuer ...
    during = run_row(world, run_id)
    wave()  # ... and these arrive while it issues (unless it was already done)
    assert len(answers) == 2 * RESUMERS
    assert all(a.status_code in (200, 202) for a in answers), [a.text[:200] for a in answers]
    assert all(a.status_code == 202 for a in answers[:RESUMERS])
    assert wait_complete(world, run_id).issued == total
    assert stamps_of(world, run_id) == (total, total, total)
    # The second wave did arrive during issuance on any machine this runs on; say so if not.
    assert during.status is RunStatus.ISSUING, "the run finished before the second wave"
