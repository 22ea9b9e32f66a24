"""L3 (issue 8): at most one open alert per subject, however many requests find it at once.

Before: 20 concurrent GET /verify of one never-issued serial opened 7 key_leak alerts
(each request looked for an open alert, found none, and inserted its own).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from tem.db import alembic_config
from tem.models import Alert, AlertKind, AlertStatus
from tem.scans.alerts import upsert_open_alert
from tem.scans.rules import Finding
from tests.conftest import World

THREADS = 20
SUBJECT = "leak:0011223344556677:07070707070707070707"


def _finding(rule: str, n: int = 0) -> Finding:
    return Finding(rule, "critical", {"n": n}, f"{rule} seen {n}")  # type: ignore[arg-type]


def _sessions(world: World):  # type: ignore[no-untyped-def]
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined]


def _open(world: World, subject: str = SUBJECT) -> list[Alert]:
    with _sessions(world)() as session:
        return list(
            session.scalars(
                select(Alert).where(Alert.subject == subject, Alert.status == AlertStatus.OPEN)
            )
        )


def test_twenty_concurrent_findings_make_one_open_alert(world: World) -> None:
    factory = _sessions(world)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def find(i: int) -> None:
        try:
            with factory() as session:
                barrier.wait()
                upsert_open_alert(
                    session,
                    kind=AlertKind.KEY_LEAK,
                    subject=SUBJECT,
                    findings=[
                        _finding("key_leak", i),
                        *([_finding("clone_sessions")] if i == 7 else []),
                    ],
                    stamp=None,
                    batch_id=None,
                    organization_id=None,
                    kid=bytes.fromhex("0011223344556677"),
                )
                session.commit()
        except BaseException as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=find, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    [alert] = _open(world)
    assert alert.kind is AlertKind.KEY_LEAK
    assert alert.severity == "critical"
    assert alert.rules == ["clone_sessions", "key_leak"]  # no finding's rule was lost


def test_refresh_keeps_the_alert_and_merges_rules_a_closed_one_is_left_alone(
    world: World,
) -> None:
    factory = _sessions(world)
    with factory() as session:
        first = upsert_open_alert(
            session,
            kind=AlertKind.SUSPECT_STAMP,
            subject="stamp:aa",
            findings=[_finding("too_many_scans", 1)],
            stamp=None,
            batch_id=None,
            organization_id=None,
            kid=None,
        )
        assert (first.severity, first.rules, first.status) == (
            "critical",
            ["too_many_scans"],
            AlertStatus.OPEN,
        )
        again = upsert_open_alert(
            session,
            kind=AlertKind.SUSPECT_STAMP,
            subject="stamp:aa",
            findings=[_finding("impossible_travel", 2)],
            stamp=None,
            batch_id=None,
            organization_id=None,
            kid=None,
        )
        assert again.id == first.id
        assert again.public_id == first.public_id
        assert again.rules == ["impossible_travel", "too_many_scans"]
        assert again.evidence == {"impossible_travel": {"n": 2}}
        assert again.message == "impossible_travel seen 2"
        again.status = AlertStatus.CLOSED
        session.flush()
        fresh = upsert_open_alert(
            session,
            kind=AlertKind.SUSPECT_STAMP,
            subject="stamp:aa",
            findings=[_finding("too_many_scans", 3)],
            stamp=None,
            batch_id=None,
            organization_id=None,
            kid=None,
        )
        assert fresh.id != first.id
        session.commit()
    assert [a.id for a in _open(world, "stamp:aa")] == [fresh.id]


def test_the_database_refuses_a_second_open_alert(world: World) -> None:
    row = {
        "kind": AlertKind.KEY_LEAK,
        "severity": "critical",
        "status": AlertStatus.OPEN,
        "subject": SUBJECT,
        "rules": [],
        "evidence": {},
        "message": "",
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    with _sessions(world)() as session:
        session.execute(insert(Alert), [{**row, "public_id": "a1"}])
        session.execute(insert(Alert), [{**row, "public_id": "a2", "status": AlertStatus.CLOSED}])
        with pytest.raises(IntegrityError):
            session.execute(insert(Alert), [{**row, "public_id": "a3"}])


def test_the_migration_closes_duplicates_it_finds(world: World) -> None:
    engine = world.client.app.state.tem.engine  # type: ignore[attr-defined]
    config = alembic_config(engine)
    command.downgrade(config, "0003")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for n in range(3):
            connection.execute(
                insert(Alert).values(
                    public_id=f"dup{n}",
                    kind=AlertKind.KEY_LEAK,
                    severity="critical",
                    status=AlertStatus.OPEN,
                    subject=SUBJECT,
                    rules=[],
                    evidence={},
                    message="",
                    created_at=now,
                    updated_at=now,
                )
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(select(Alert.public_id, Alert.status).order_by(Alert.id)).all()
        assert [(p, s) for p, s in rows] == [
            ("dup0", AlertStatus.OPEN),
            ("dup1", AlertStatus.CLOSED),
            ("dup2", AlertStatus.CLOSED),
        ]
        assert connection.scalar(select(func.count()).select_from(Alert)) == 3


def test_twenty_concurrent_verifications_of_a_leaked_serial_open_one_alert(world: World) -> None:
    from fastapi.testclient import TestClient

    from tests.scans.test_inspection import _forged_stamp
    from tests.scans.test_reports import issue

    batch, _ = issue(world)
    token = _forged_stamp(world, str(batch["id"]))
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def verify() -> None:
        client = TestClient(world.client.app, raise_server_exceptions=False)
        barrier.wait()
        statuses.append(client.get(f"/api/v1/verify/{token}").status_code)

    threads = [threading.Thread(target=verify) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * THREADS
    with _sessions(world)() as session:
        kinds = session.scalars(select(Alert.kind).where(Alert.status == AlertStatus.OPEN)).all()
    assert kinds == [AlertKind.KEY_LEAK]
