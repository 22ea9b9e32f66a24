"""Print runs: idempotent, crash-safe in whole chunks, resumable to exactly N, no duplicate serials."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from tem.keys.store import KeyStore
from tem.models import PrintRun, Stamp
from tem.stamps import service
from tests.conftest import PASSPHRASE, World
from tests.trace.test_flow import make_batch


def _sessions(world: World):  # type: ignore[no-untyped-def]
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined]


def test_issue_is_idempotent_on_the_request_key(world: World) -> None:
    batch = make_batch(world, events=1)
    url = f"/api/v1/batches/{batch['id']}/print-runs"
    first = world.client.post(url, json={"count": 25, "request_key": "order-17"}, headers=world.a)
    assert first.status_code == 201, first.text
    assert first.json()["issued"] == 25
    assert first.json()["status"] == "complete"
    again = world.client.post(url, json={"count": 25, "request_key": "order-17"}, headers=world.a)
    assert again.status_code == 200  # the same run, not a new one
    assert again.json()["id"] == first.json()["id"]
    with _sessions(world)() as session:
        assert session.scalar(select(func.count()).select_from(Stamp)) == 25
    clash = world.client.post(url, json={"count": 26, "request_key": "order-17"}, headers=world.a)
    assert clash.status_code == 409


def test_killed_half_way_leaves_whole_chunks_and_resumes_to_exactly_n(world: World) -> None:
    batch = make_batch(world, events=0)
    from tem.orgs.service import authenticate

    factory = _sessions(world)
    with factory() as session:
        principal = authenticate(session, world.coop_a_token)
        run, created = service.start_run(session, principal, str(batch["id"]), 2_500, "crash-test")
        session.commit()
        run_id = run.id
    assert created
    store = KeyStore(world.settings.keys_dir, PASSPHRASE.encode())
    # "crash" after two chunks of 1,000
    partial = service.issue_chunks(factory, store, run_id, max_chunks=2)
    assert partial.issued == 2_000
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Stamp)) == 2_000
        assert session.get(PrintRun, run_id).status.value == "issuing"  # type: ignore[union-attr]
    done = service.issue_chunks(factory, store, run_id)
    assert done.issued == 2_500
    assert done.status.value == "complete"
    with factory() as session:
        serials = session.scalars(select(Stamp.serial)).all()
        seqs = session.scalars(select(Stamp.seq).order_by(Stamp.seq)).all()
    assert len(serials) == len(set(serials)) == 2_500
    assert seqs == list(range(1, 2_501))
    # resuming a complete run changes nothing
    assert service.issue_chunks(factory, store, run_id).issued == 2_500


def test_every_stamp_verifies_and_the_csv_lists_them(world: World) -> None:
    batch = make_batch(world, events=2)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": 12, "request_key": "csv"},
        headers=world.a,
    ).json()
    export = world.client.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.a)
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [int(r["sequence"]) for r in rows] == list(range(1, 13))
    assert all(r["batch"] == batch["id"] for r in rows)
    for row in rows[:3]:
        token = row["url"].rsplit("/", 1)[1]
        body = world.client.get(f"/api/v1/verify/{token}").json()
        assert body["verdict"] == "genuine", body["reasons"]
        assert len(row["url"]) <= 221


def test_another_cooperative_cannot_touch_the_run_or_stamps(world: World) -> None:
    batch = make_batch(world, events=0)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": 3, "request_key": "x"},
        headers=world.a,
    ).json()
    serial = next(
        csv.DictReader(
            io.StringIO(
                world.client.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.a).text
            )
        )
    )["serial"]
    c = world.client
    assert c.get(f"/api/v1/print-runs/{run['id']}", headers=world.b).status_code == 404
    assert c.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.b).status_code == 404
    assert c.get(f"/api/v1/stamps/{serial}", headers=world.b).status_code == 404
    assert (
        c.post(
            "/api/v1/stamps/void", json={"serials": [serial], "reason": "x"}, headers=world.b
        ).status_code
        == 404
    )
    assert (
        c.post(
            "/api/v1/stamps/void",
            json={"run_id": run["id"], "from_seq": 1, "to_seq": 3, "reason": "x"},
            headers=world.b,
        ).status_code
        == 404
    )
    assert (
        c.post(
            f"/api/v1/batches/{batch['id']}/print-runs",
            json={"count": 1, "request_key": "y"},
            headers=world.b,
        ).status_code
        == 404
    )
    assert c.get(f"/api/v1/stamps/{serial}", headers=world.a).status_code == 200


def test_bad_run_requests(world: World) -> None:
    batch = make_batch(world, events=0)
    url = f"/api/v1/batches/{batch['id']}/print-runs"
    assert (
        world.client.post(url, json={"count": 0, "request_key": "a"}, headers=world.a).status_code
        == 422
    )
    assert (
        world.client.post(
            url, json={"count": 5, "request_key": "no spaces"}, headers=world.a
        ).status_code
        == 422
    )
    assert (
        world.client.post(
            url, json={"count": "many", "request_key": "a"}, headers=world.a
        ).status_code
        == 422
    )
    inspector = world.auth(world.inspector_token)
    assert (
        world.client.post(url, json={"count": 1, "request_key": "a"}, headers=inspector).status_code
        == 403
    )


def test_a_colliding_serial_only_retries_the_chunk(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Force the first chunk's serials to collide with stored ones: the chunk is redone, no duplicates."""
    import secrets as real_secrets

    batch = make_batch(world, events=0)
    from tem.orgs.service import authenticate

    factory = _sessions(world)
    store = KeyStore(world.settings.keys_dir, PASSPHRASE.encode())
    with factory() as session:
        principal = authenticate(session, world.coop_a_token)
        first, _ = service.start_run(session, principal, str(batch["id"]), 5, "first")
        second, _ = service.start_run(session, principal, str(batch["id"]), 5, "second")
        session.commit()
        first_id, second_id = first.id, second.id
    service.issue_chunks(factory, store, first_id)
    with factory() as session:
        taken = list(session.scalars(select(Stamp.serial)))
    replay = iter(taken)
    original = real_secrets.token_bytes

    def colliding(n: int) -> bytes:
        return next(replay, None) or original(n)

    monkeypatch.setattr(service.secrets, "token_bytes", colliding)
    done = service.issue_chunks(factory, store, second_id)
    assert done.issued == 5
    with factory() as session:
        serials = list(session.scalars(select(Stamp.serial)))
    assert len(serials) == len(set(serials)) == 10


def test_streamed_stamps_hold_no_connection_between_pages(world: World) -> None:
    # M7: a download's reader that waits (a client reading nothing) must not keep a
    # connection. One connection in the pool: the page's stamps are read, the reader
    # stops between pages, and that same connection still serves another query at once.
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import sessionmaker

    batch = make_batch(world, events=1)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": 25, "request_key": "paged"},
        headers=world.a,
    )
    assert run.status_code == 201, run.text
    app_engine = world.client.app.state.tem.engine  # type: ignore[attr-defined]
    engine = create_engine(app_engine.url, pool_size=1, max_overflow=0, pool_timeout=2)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    sessions = sessionmaker(engine)
    with sessions() as session:
        run_pk = session.scalars(select(PrintRun.id)).one()
    try:
        stamps = service.stream_run_stamps(sessions, run_pk, "http://tem.test", page=10)
        first = [next(stamps) for _ in range(12)]  # into the second page, then waiting
        with sessions() as other:  # would time out if the reader kept the connection
            assert other.scalar(select(func.count()).select_from(Stamp)) == 25
        rest = list(stamps)
    finally:
        engine.dispose()
    assert [row.seq for row in first + rest] == list(range(1, 26))
    assert len({row.serial for row in first + rest}) == 25
