"""Shared fixtures: a fresh, migrated database per test (SQLite file, or PostgreSQL when
``TEM_DATABASE_URL`` points at one), a data directory with a key store, and an app."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tem.bootstrap import init
from tem.config import Settings
from tem.db import make_engine, migrate

PASSPHRASE = "correct horse battery staple"
PUBLIC_URL = "http://tem.test"
POSTGRES_URL = os.environ.get("TEM_DATABASE_URL")


def _pg_url(url: str) -> str:
    return Settings(database_url=url, key_passphrase=PASSPHRASE).resolved_database_url


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite: a migrated database file to copy. PostgreSQL: a migrated database to clone."""
    if POSTGRES_URL:
        base = make_url(_pg_url(POSTGRES_URL))
        name = f"tem_tpl_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(base.set(database=name))
        migrate(engine)
        engine.dispose()
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "tem.db"
        settings = Settings(data_dir=path.parent, key_passphrase=PASSPHRASE)
        engine = make_engine(settings)
        migrate(engine)
        engine.dispose()
        yield str(path)


@pytest.fixture
def settings(tmp_path: Path, _template: str) -> Iterator[Settings]:
    """Settings for a fresh data directory and a fresh, migrated database."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if POSTGRES_URL:
        base = make_url(_pg_url(POSTGRES_URL))
        name = f"tem_t_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        yield Settings(
            data_dir=data_dir, database_url=url, key_passphrase=PASSPHRASE, public_url=PUBLIC_URL
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        shutil.copy(_template, data_dir / "tem.db")
        yield Settings(data_dir=data_dir, key_passphrase=PASSPHRASE, public_url=PUBLIC_URL)


@dataclass
class World:
    """An authority, two cooperatives with endorsed keys, an inspector, and their tokens."""

    client: TestClient
    settings: Settings
    authority_id: str
    authority_token: str
    coop_a: str
    coop_a_token: str
    coop_b: str
    coop_b_token: str
    inspector: str
    inspector_token: str

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def a(self) -> dict[str, str]:
        return self.auth(self.coop_a_token)

    @property
    def b(self) -> dict[str, str]:
        return self.auth(self.coop_b_token)

    @property
    def root(self) -> dict[str, str]:
        return self.auth(self.authority_token)


COOP_A = {
    "kind": "cooperative",
    "name": "HTX Chè Shan Tuyết Suối Giàng",
    "province": "Yên Bái",
    "district": "Văn Chấn",
    "commune": "Suối Giàng",
    "phone": "0216 123 456",
}
COOP_B = {
    **COOP_A,
    "name": "HTX Mật ong Mèo Vạc",
    "province": "Hà Giang",
    "district": "Mèo Vạc",
    "commune": "Pả Vi",
}

PRODUCT = {
    "name": "Chè Shan Tuyết cổ thụ",
    "image_url": "/static/products/tea.svg",
    "category": "Chè",
    "description": "Chè búp cổ thụ",
    "ingredients": "100% búp chè",
    "standards": ["TCVN 9740:2013"],
    "shelf_life_days": 540,
    "gtin": "8930000000019",
    "ocop": {
        "stars": 4,
        "certificate": "1234/QĐ-UBND",
        "council": "Hội đồng OCOP tỉnh Yên Bái",
        "awarded": "2025-06-15",
        "expires": "2028-06-15",
    },
}


def batch_body(product_id: str, lot: str = "ST-2026-01") -> dict[str, object]:
    return {
        "product_id": product_id,
        "lot_code": lot,
        "quantity": "500",
        "unit": "túi 200 g",
        "production_date": "2026-03-01",
        "expiry_date": "2027-09-01",
        "origin": {
            "name": "Đồi chè Pang Cáng",
            "address": "Suối Giàng, Văn Chấn, Yên Bái",
            "lat": 21.6236,
            "lon": 104.5571,
        },
    }


def event_body(kind: str = "harvesting", hour: int = 6) -> dict[str, object]:
    return {
        "type": kind,
        "time": f"2026-03-01T{hour:02d}:30:00+07:00",
        "place": {"name": "Đồi chè Pang Cáng", "address": "Suối Giàng"},
        "actor": "Tổ hái chè",
        "notes": "sương sớm",
    }


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from tem.web.app import create_app

    app = create_app(settings)
    # As a phone's browser opening a page asks (an old one, without Sec-Fetch-* headers):
    # a page visit is then a navigation, which the page records as a scan.
    headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as test_client:
        yield test_client
    app.state.tem.engine.dispose()


@pytest.fixture
def world(settings: Settings, client: TestClient) -> World:
    setup = init(settings, authority_name="Hội đồng OCOP tỉnh Yên Bái")
    assert setup.token is not None
    root = {"Authorization": f"Bearer {setup.token}"}

    def org(body: dict[str, object]) -> tuple[str, str]:
        created = client.post("/api/v1/organizations", json=body, headers=root)
        assert created.status_code == 201, created.text
        org_id = created.json()["id"]
        token = client.post(
            f"/api/v1/organizations/{org_id}/tokens", json={"name": "test"}, headers=root
        )
        assert token.status_code == 201, token.text
        return org_id, token.json()["token"]

    a, a_token = org(COOP_A)
    b, b_token = org(COOP_B)
    inspector, inspector_token = org({**COOP_A, "kind": "inspector", "name": "Đội QLTT số 1"})
    for coop in (a, b):
        key = client.post(f"/api/v1/organizations/{coop}/keys", json={}, headers=root)
        assert key.status_code == 201, key.text
    return World(
        client,
        settings,
        setup.authority_id,
        setup.token,
        a,
        a_token,
        b,
        b_token,
        inspector,
        inspector_token,
    )
