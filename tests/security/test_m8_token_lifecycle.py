"""M8: API tokens can be listed and revoked, may expire, and a revoked or expired token
gets 401 at once. The secret is never shown again after creation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from typer.testing import CliRunner

from tem.cli.main import app as cli
from tem.models import ApiToken
from tests.conftest import PASSPHRASE, World

runner = CliRunner()


def mint(world: World, org: str, **body: object) -> dict[str, object]:
    response = world.client.post(
        f"/api/v1/organizations/{org}/tokens", json={"name": "laptop", **body}, headers=world.root
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def me(world: World, token: object) -> int:
    return world.client.get("/api/v1/organizations/me", headers=world.auth(str(token))).status_code


def test_a_revoked_token_gets_401_at_once(world: World) -> None:
    created = mint(world, world.coop_a)
    assert me(world, created["token"]) == 200
    revoked = world.client.post(f"/api/v1/tokens/{created['id']}/revoke", headers=world.root)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert me(world, created["token"]) == 401
    again = world.client.post(f"/api/v1/tokens/{created['id']}/revoke", headers=world.root)
    assert again.status_code == 409


def test_the_list_never_shows_a_secret(world: World) -> None:
    created = mint(world, world.coop_a, expires_days=30)
    assert me(world, created["token"]) == 200
    listed = world.client.get("/api/v1/tokens", headers=world.root)
    assert listed.status_code == 200
    assert str(created["token"]) not in listed.text
    assert all("token" not in row for row in listed.json())
    row = next(r for r in listed.json() if r["id"] == created["id"])
    assert row["name"] == "laptop"
    assert row["role"] == "cooperative"
    assert row["status"] == "active"
    assert row["last_used_at"] is not None
    expires = datetime.fromisoformat(row["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)


def test_an_expired_token_gets_401(world: World) -> None:
    created = mint(world, world.coop_a, expires_days=1)
    assert me(world, created["token"]) == 200
    with world.client.app.state.tem.sessions() as session:  # type: ignore[attr-defined]
        session.execute(
            update(ApiToken)
            .where(ApiToken.public_id == created["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    assert me(world, created["token"]) == 401
    listed = world.client.get("/api/v1/tokens", headers=world.root).json()
    assert next(r for r in listed if r["id"] == created["id"])["status"] == "expired"


def test_expiry_is_bounded(world: World) -> None:
    for days in (0, 3651, -1):
        response = world.client.post(
            f"/api/v1/organizations/{world.coop_a}/tokens",
            json={"name": "x", "expires_days": days},
            headers=world.root,
        )
        assert response.status_code == 422


def test_others_see_and_revoke_only_their_own(world: World) -> None:
    mine = mint(world, world.coop_a)
    theirs = mint(world, world.coop_b)
    listed = world.client.get("/api/v1/tokens", headers=world.a).json()
    assert {r["organization"] for r in listed} == {world.coop_a}
    assert theirs["id"] not in {r["id"] for r in listed}
    refused = world.client.post(f"/api/v1/tokens/{theirs['id']}/revoke", headers=world.a)
    assert refused.status_code == 404
    assert me(world, theirs["token"]) == 200
    own = world.client.post(f"/api/v1/tokens/{mine['id']}/revoke", headers=world.a)
    assert own.status_code == 200
    assert me(world, mine["token"]) == 401
    assert world.client.get("/api/v1/tokens").status_code == 401


def test_cli_lists_and_revokes(world: World) -> None:
    env = {
        "TEM_DATA_DIR": str(world.settings.data_dir),
        "TEM_KEY_PASSPHRASE": PASSPHRASE,
        "TEM_PUBLIC_URL": "http://tem.test",
        "COLUMNS": "300",
    }
    if world.settings.database_url:
        env["TEM_DATABASE_URL"] = world.settings.database_url
    created = runner.invoke(
        cli,
        ["token", "create", "--org", world.coop_b, "--name", "cli", "--expires-days", "7"],
        env=env,
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip()
    assert me(world, secret) == 200
    listed = runner.invoke(cli, ["token", "list", "--org", world.coop_b, "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert secret not in listed.output
    rows = json.loads(listed.output)
    row = next(r for r in rows if r["name"] == "cli")
    assert row["expires_at"] is not None
    table = runner.invoke(cli, ["token", "list"], env=env)
    assert table.exit_code == 0
    assert row["id"] in table.output
    revoked = runner.invoke(cli, ["token", "revoke", row["id"]], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert me(world, secret) == 401
    assert runner.invoke(cli, ["token", "revoke", row["id"]], env=env).exit_code == 4
    assert runner.invoke(cli, ["token", "revoke", "nope"], env=env).exit_code == 3
    with world.client.app.state.tem.sessions() as session:  # type: ignore[attr-defined]
        stored = session.scalars(select(ApiToken).where(ApiToken.public_id == row["id"])).one()
        assert stored.revoked_at is not None
