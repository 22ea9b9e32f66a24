"""UtcDateTime: a moment goes into either database as an instant and comes back with its offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from tem.models import Revocation
from tests.conftest import World

ICT = timezone(timedelta(hours=7))


def _cooperative_key(world: World) -> str:
    keys = world.client.get("/api/v1/keys", headers=world.root).json()
    return str(next(k["key_id"] for k in keys if k["organization_id"] == world.coop_a))


def test_every_timestamp_the_api_returns_has_an_offset(world: World) -> None:
    # SQLite kept no offset: the API answered "2026-11-29 05:00:00"-like values, which are
    # not RFC 3339 date-times, and a client cannot tell which instant they mean.
    keys = world.client.get("/api/v1/keys", headers=world.root).json()
    moments = [key[f] for key in keys for f in ("sign_from", "sign_until", "verify_until")]
    assert len([m for m in moments if m is not None]) >= 6
    for value in filter(None, moments):
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0), value


def test_a_moment_with_an_offset_is_stored_as_the_same_instant(world: World) -> None:
    # 07:00 in Hà Nội is 00:00 UTC. SQLite used to store the wall time 07:00 and hand it
    # back naive: the API showed a revocation seven hours off the signed statement's time.
    kid = _cooperative_key(world)
    when = datetime(2026, 3, 1, 7, 0, tzinfo=ICT)
    revoked = world.client.post(
        f"/api/v1/keys/{kid}/revoke",
        json={"reason": "máy tính bị mất", "revoked_at": when.isoformat()},
        headers=world.root,
    )
    assert revoked.status_code == 200, revoked.text
    answered = datetime.fromisoformat(revoked.json()["revoked_at"])
    assert answered == when
    assert answered.utcoffset() == timedelta(0)
    factory = world.client.app.state.tem.sessions  # type: ignore[attr-defined]
    with factory() as session:
        stored = session.scalars(select(Revocation.revoked_at)).one()
    assert stored == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert stored.tzinfo is not None
