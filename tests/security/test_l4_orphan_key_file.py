"""L4: a key creation that fails leaves no private key file behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tem.db import unit_of_work
from tem.errors import KeyStoreError
from tem.keys import service
from tem.keys.store import KeyStore
from tem.models import KeyPurpose, Organization, SigningKey
from tests.conftest import PASSPHRASE, World


def key_files(world: World) -> set[str]:
    return {p.name for p in world.settings.keys_dir.iterdir()}


def root_file(world: World) -> str:
    with world.client.app.state.tem.sessions() as session:  # type: ignore[attr-defined]
        name = session.scalars(
            select(SigningKey.store_name).where(SigningKey.purpose == KeyPurpose.ROOT)
        ).one()
    return str(name)


def test_a_failed_endorsement_removes_the_new_key_file(world: World) -> None:
    before = key_files(world)
    (world.settings.keys_dir / root_file(world)).unlink()  # endorsing will fail after generate
    sessions = world.client.app.state.tem.sessions  # type: ignore[attr-defined]
    store = KeyStore(world.settings.keys_dir, PASSPHRASE.encode())

    def create() -> None:
        with unit_of_work(sessions) as session:
            authority = session.scalars(select(Organization).order_by(Organization.id)).first()
            assert authority is not None
            coop = session.scalars(
                select(Organization).where(Organization.public_id == world.coop_a)
            ).one()
            windows = service.Windows.from_days(datetime.now(UTC), 30, 60)
            service.create_endorsed_key(session, store, authority, coop, windows)

    with pytest.raises(KeyStoreError, match="is missing"):
        create()
    assert key_files(world) == before - {root_file(world)}
    with sessions() as session:
        assert session.scalar(select(func.count(SigningKey.id))) == 3


def test_a_failed_request_removes_the_new_key_file(world: World) -> None:
    before = key_files(world)
    root = root_file(world)
    (world.settings.keys_dir / root).unlink()
    world.client.app.state.tem.store._cache.clear()  # type: ignore[attr-defined]
    response = world.client.post(
        f"/api/v1/organizations/{world.coop_b}/keys", json={}, headers=world.root
    )
    assert response.status_code == 503
    assert key_files(world) == before - {root}


def test_a_committed_key_file_stays(world: World) -> None:
    before = key_files(world)
    response = world.client.post(
        f"/api/v1/organizations/{world.coop_b}/keys", json={}, headers=world.root
    )
    assert response.status_code == 201
    assert len(key_files(world) - before) == 1
