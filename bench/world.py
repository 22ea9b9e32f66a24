"""The data the benchmarks use: the demo world (``tem demo``) in a throwaway directory."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tem.config import Settings
from tem.crypto.statements import token_from_url
from tem.db import make_engine, session_factory, unit_of_work
from tem.demo import build_demo
from tem.keys.service import trust_store
from tem.keys.store import KeyStore
from tem.models import Batch
from tem.orgs.service import authenticate
from tem.stamps.service import issue_chunks, iter_run_stamps, start_run
from tem.verify.trust import TrustStore

DEMO_TOKENS_FILE = "demo-tokens.txt"  # what build_demo writes: "<who>: <API token>" per line


@dataclass(frozen=True)
class World:
    """A demo data directory and the token of its first label (a batch with seven events)."""

    settings: Settings
    token: str
    product: str
    lot: str


def demo_world(data_dir: Path, *, database_url: str | None = None) -> World:
    """Build the demo (authority, cooperatives with endorsed keys, products, batches, labels).

    Every setting is given explicitly so that ``TEM_*`` variables in the caller's
    environment (a PostgreSQL URL, say) can never point the benchmark at real data:
    the database is SQLite in ``data_dir`` unless ``database_url`` names a scratch one.
    """
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        key_passphrase=None,
        public_url="http://127.0.0.1:8000",
        demo=True,
    )
    result = build_demo(settings)
    if not result.urls:
        raise RuntimeError("the demo produced no labels")
    product, lot, url = result.urls[0]
    return World(settings, token_from_url(url), product, lot)


def load_trust(settings: Settings) -> TrustStore:
    """The trust store the server would build from this data directory."""
    engine = make_engine(settings)
    try:
        with session_factory(engine)() as session:
            return trust_store(session)
    finally:
        engine.dispose()


def cooperative_token(settings: Settings, number: int = 1) -> str:
    """The API token the demo wrote for its ``number``-th cooperative.

    Raises:
        RuntimeError: if the demo's token file has no such line.
    """
    prefix = f"cooperative {number}: "
    text = (settings.data_dir / DEMO_TOKENS_FILE).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip()
    raise RuntimeError(f"no {prefix.strip()!r} line in {DEMO_TOKENS_FILE}")


def key_store(settings: Settings) -> KeyStore:
    """The key store the server would open for this data directory."""
    return KeyStore(settings.keys_dir, settings.passphrase())


def start_print_run(
    factory: sessionmaker[Session], api_token: str, count: int, request_key: str
) -> int:
    """Create a print run of ``count`` stamps for the first batch of the token's cooperative.

    Commits the run (no stamps yet; :func:`tem.stamps.service.issue_chunks` issues them)
    and returns its primary key.
    """
    with unit_of_work(factory) as session:
        principal = authenticate(session, api_token)
        batch = session.scalar(
            select(Batch.public_id)
            .where(Batch.organization_id == principal.organization.id)
            .order_by(Batch.id)
            .limit(1)
        )
        if batch is None:
            raise RuntimeError("the cooperative has no batch")
        run, _created = start_run(session, principal, batch.hex(), count, request_key)
        run_id: int = run.id
    return run_id


def issue_stamp_tokens(settings: Settings, count: int, request_key: str) -> list[str]:
    """Issue a print run of ``count`` stamps for the demo's first cooperative; their tokens."""
    engine = make_engine(settings)
    try:
        factory = session_factory(engine)
        run_id = start_print_run(factory, cooperative_token(settings), count, request_key)
        run = issue_chunks(factory, key_store(settings), run_id)
        with factory() as session:
            rows = iter_run_stamps(session, run, settings.public_url)
            return [row.token for row in rows]
    finally:
        engine.dispose()


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A fresh database ``tem_bench_<random>`` on the server of ``server_url``, dropped
    (``WITH (FORCE)``) afterwards, also when the caller is interrupted.

    Only the new database is written to; ``server_url``'s own database is used just to
    issue CREATE and DROP.
    """
    base = make_url(Settings(database_url=server_url, demo=True).resolved_database_url)
    name = f"tem_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_version(database_url: str) -> str:
    """``PostgreSQL <version>`` of the server behind ``database_url``."""
    engine = create_engine(Settings(database_url=database_url, demo=True).resolved_database_url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()
    return f"PostgreSQL {str(version).split()[0]}"
