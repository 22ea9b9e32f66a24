"""One issuer per print run, by its lease: claims, renewals, take-overs, stops, resumes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tem.keys.store import KeyStore
from tem.models import PrintRun, RunStatus, SigningKey, Stamp
from tem.orgs.service import authenticate
from tem.stamps import endpoints, service
from tests.conftest import PASSPHRASE, World
from tests.trace.test_flow import make_batch


def _sessions(world: World) -> sessionmaker[Session]:
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined,no-any-return]


def _store(world: World) -> KeyStore:
    return KeyStore(world.settings.keys_dir, PASSPHRASE.encode())


def new_run(world: World, count: int, key: str) -> tuple[int, str]:
    """A run created and committed, no stamp issued yet: (primary key, public id)."""
    batch = make_batch(world, events=0, lot=f"LOT-{key}")
    with _sessions(world)() as session:
        principal = authenticate(session, world.coop_a_token)
        run, created = service.start_run(session, principal, str(batch["id"]), count, key)
        session.commit()
        assert created
        return run.id, run.public_id


def stamps_of(world: World, run_id: int) -> tuple[int, int, int]:
    """(rows, distinct serials, highest seq) of the run's stamps."""
    with _sessions(world)() as session:
        where = Stamp.run_id == run_id
        return (
            session.scalar(select(func.count()).select_from(Stamp).where(where)) or 0,
            session.scalar(select(func.count(func.distinct(Stamp.serial))).where(where)) or 0,
            session.scalar(select(func.max(Stamp.seq)).where(where)) or 0,
        )


def run_row(world: World, run_id: int) -> PrintRun:
    with _sessions(world)() as session:
        run = session.get(PrintRun, run_id)
        assert run is not None
        return run


def wait_complete(world: World, run_id: int, timeout: float = 120.0) -> PrintRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = run_row(world, run_id)
        if run.status is RunStatus.COMPLETE:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still issuing after {timeout} s")


def age_lease(world: World, run_id: int, token: str | None = None) -> None:
    """As if the run's issuer died more than a lease period ago, holding ``token``."""
    token = token or "a-crashed-issuer"
    with _sessions(world).begin() as session:
        session.execute(
            update(PrintRun)
            .where(PrintRun.id == run_id)
            .values(
                issuer_token=token,
                issuer_lease_until=datetime.now(UTC) - timedelta(seconds=1),
            )
        )


def test_one_claim_wins_until_the_lease_runs_out(world: World) -> None:
    run_id, _ = new_run(world, 10, "claim")
    factory = _sessions(world)
    first = service.claim_run(factory, run_id)
    assert first is not None
    assert service.claim_run(factory, run_id) is None  # held
    later = datetime.now(UTC) + service.LEASE_TTL + timedelta(seconds=1)
    second = service.claim_run(factory, run_id, now=later)  # its issuer stopped renewing it
    assert second is not None
    assert second != first
    assert run_row(world, run_id).issuer_token == second


def test_a_complete_run_cannot_be_claimed_and_ends_with_no_lease(world: World) -> None:
    run_id, _ = new_run(world, 1_500, "done")
    done = service.issue_chunks(_sessions(world), _store(world), run_id)
    assert done.status is RunStatus.COMPLETE
    assert (done.issuer_token, done.issuer_lease_until) == (None, None)
    assert service.claim_run(_sessions(world), run_id) is None
    # asking again changes nothing and is no error
    assert service.issue_chunks(_sessions(world), _store(world), run_id).issued == 1_500


def test_an_issuer_without_the_lease_writes_nothing(world: World) -> None:
    run_id, public_id = new_run(world, 10, "busy")
    factory = _sessions(world)
    holder = service.claim_run(factory, run_id)
    assert holder is not None
    with pytest.raises(service.RunBusy, match=f"print run {public_id} is being issued by another"):
        service.issue_chunks(factory, _store(world), run_id)
    assert stamps_of(world, run_id) == (0, 0, 0)
    assert run_row(world, run_id).issuer_token == holder  # not released by the loser


def test_a_taken_over_issuer_stops_before_its_next_chunk(world: World) -> None:
    run_id, _ = new_run(world, 3_000, "take-over")
    factory, store = _sessions(world), _store(world)
    stalled = service.claim_run(factory, run_id)
    assert stalled is not None
    service.issue_chunks(factory, store, run_id, lease=stalled, max_chunks=1)
    # ``max_chunks`` released the lease; as if it had stalled instead, past its lease:
    age_lease(world, run_id, stalled)
    successor = service.claim_run(factory, run_id)
    assert successor is not None
    left = service.issue_chunks(factory, store, run_id, lease=stalled)
    assert left.issued == 1_000  # not one more chunk from the stalled issuer
    assert run_row(world, run_id).issuer_token == successor  # nor did it release the new lease
    assert service.issue_chunks(factory, store, run_id, lease=successor).issued == 3_000
    assert stamps_of(world, run_id) == (3_000, 3_000, 3_000)


def test_a_stop_leaves_whole_chunks_and_no_lease(world: World) -> None:
    run_id, _ = new_run(world, 5_000, "stop")
    stop = threading.Event()
    run = service.issue_chunks(
        _sessions(world), _store(world), run_id, stop=stop, progress=lambda _d, _t: stop.set()
    )
    assert run.issued == 1_000
    assert run.status is RunStatus.ISSUING
    assert run_row(world, run_id).issuer_token is None  # the next start may claim it at once
    assert stamps_of(world, run_id) == (1_000, 1_000, 1_000)


def test_concurrent_issuers_one_issues_the_others_are_told(world: World) -> None:
    run_id, _ = new_run(world, 4_000, "threads")
    factory, store = _sessions(world), _store(world)
    barrier = threading.Barrier(4)
    outcomes: list[Any] = []

    def issue() -> None:
        barrier.wait()
        try:
            outcomes.append(service.issue_chunks(factory, store, run_id).issued)
        except service.RunBusy:
            outcomes.append("busy")
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(o == "busy" or o == 4_000 for o in outcomes), outcomes
    assert 4_000 in outcomes
    assert stamps_of(world, run_id) == (4_000, 4_000, 4_000)


def test_resume_answers_at_once_and_the_run_finishes_in_the_background(world: World) -> None:
    run_id, public_id = new_run(world, 3_000, "resume")
    service.issue_chunks(_sessions(world), _store(world), run_id, max_chunks=1)
    answer = world.client.post(f"/api/v1/print-runs/{public_id}/resume", headers=world.a)
    assert answer.status_code == 202, answer.text
    assert answer.json()["issued"] == 1_000  # the run as it was: the rest follows
    assert answer.json()["status"] == "issuing"
    assert wait_complete(world, run_id).issued == 3_000
    assert stamps_of(world, run_id) == (3_000, 3_000, 3_000)
    again = world.client.post(f"/api/v1/print-runs/{public_id}/resume", headers=world.a)
    assert again.status_code == 200
    assert again.json()["issued"] == 3_000


def test_resume_while_another_issues_leaves_it_to_that_one(world: World) -> None:
    run_id, public_id = new_run(world, 10, "held")
    holder = service.claim_run(_sessions(world), run_id)
    answer = world.client.post(f"/api/v1/print-runs/{public_id}/resume", headers=world.a)
    assert answer.status_code == 202
    assert answer.json()["issued"] == 0
    time.sleep(0.2)
    assert stamps_of(world, run_id) == (0, 0, 0)
    assert run_row(world, run_id).issuer_token == holder


def test_a_large_run_is_issued_by_the_background_issuer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoints, "SYNC_LIMIT", 1_000)
    batch = make_batch(world, events=0)
    created = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": 2_500, "request_key": "large"},
        headers=world.a,
    )
    assert created.status_code == 202, created.text
    with _sessions(world)() as session:
        run_id = session.scalar(select(PrintRun.id).where(PrintRun.request_key == "large"))
    assert run_id is not None
    resumed = world.client.post(
        f"/api/v1/print-runs/{created.json()['id']}/resume", headers=world.a
    )
    assert resumed.status_code in (200, 202)
    assert wait_complete(world, run_id).issued == 2_500
    assert stamps_of(world, run_id) == (2_500, 2_500, 2_500)


def test_resume_is_for_the_runs_cooperative(world: World) -> None:
    _, public_id = new_run(world, 10, "theirs")
    url = f"/api/v1/print-runs/{public_id}/resume"
    assert world.client.post(url, headers=world.b).status_code == 404
    assert world.client.post(url, headers=world.auth(world.inspector_token)).status_code == 403
    assert TestClient(world.client.app).post(url).status_code == 401


def test_a_run_whose_key_is_revoked_is_refused_and_left_alone(world: World) -> None:
    run_id, public_id = new_run(world, 10, "revoked")
    with _sessions(world)() as session:
        kid = session.scalar(
            select(SigningKey.kid).join(PrintRun, PrintRun.signing_key_id == SigningKey.id)
        )
    assert kid is not None
    revoked = world.client.post(
        f"/api/v1/keys/{kid.hex()}/revoke", json={"reason": "máy bị mất"}, headers=world.root
    )
    assert revoked.status_code == 200, revoked.text
    answer = world.client.post(f"/api/v1/print-runs/{public_id}/resume", headers=world.a)
    assert answer.status_code == 409
    assert "revoked" in answer.json()["message"]
    with _sessions(world)() as session:  # the sweeper does not retry it every minute either
        assert service.runs_to_resume(session) == []
    assert run_row(world, run_id).issuer_token is None
