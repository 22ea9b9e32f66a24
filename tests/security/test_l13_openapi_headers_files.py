"""L13: the OpenAPI document is at /openapi.json too and declares the error answers;
every response says nosniff; the SQLite database and the data directory are private."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tem.config import Settings
from tem.db import make_engine
from tests.conftest import PASSPHRASE, World


def test_openapi_is_served_at_both_addresses(client: TestClient) -> None:
    root = client.get("/openapi.json")
    assert root.status_code == 200
    assert root.json() == client.get("/api/v1/openapi.json").json()


def test_operations_declare_their_error_answers(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorBody"}
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "message"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    paths = schema["paths"]
    revoke = paths["/api/v1/keys/{kid}/revoke"]["post"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        assert revoke[status]["content"]["application/json"]["schema"] == error, status
    listing = paths["/api/v1/keys"]["get"]["responses"]
    assert {"401", "403"} <= set(listing)
    assert "409" not in listing
    assert "404" not in listing
    report = paths["/api/v1/reports"]["post"]["responses"]
    assert report["429"]["content"]["application/json"]["schema"] == error
    assert "Retry-After" in report["429"]["headers"]
    assert "429" in paths["/api/v1/scan/{token}"]["post"]["responses"]
    assert "401" not in paths["/api/v1/verify/{token}"]["get"]["responses"]


def test_every_response_says_nosniff(world: World) -> None:
    c = world.client
    for response in (
        c.get("/api/v1/organizations/me", headers=world.root),
        c.get("/api/v1/organizations/me"),  # 401
        c.get("/api/v1/no-such-thing"),  # 404
        c.get("/api/v1/verify/AAAA"),
        c.get("/openapi.json"),
        c.get("/T/AAAA/", follow_redirects=False),
    ):
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.url


def sqlite_settings(data_dir: Path) -> Settings:
    """SQLite whatever TEM_DATABASE_URL says: these files exist only with SQLite."""
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'tem.db'}",
        key_passphrase=PASSPHRASE,
    )


def test_a_new_sqlite_database_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        settings = sqlite_settings(tmp_path / "data")
        engine = make_engine(settings)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            mode = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "data").iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert mode["tem.db"] == 0o600
    assert all(m == 0o600 for name, m in mode.items() if name.startswith("tem.db")), mode


def test_an_existing_open_database_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "tem.db"
    db.touch(mode=0o644)
    db.chmod(0o644)
    engine = make_engine(sqlite_settings(tmp_path / "data"))
    engine.dispose()
    assert db.stat().st_mode & 0o777 == 0o600
