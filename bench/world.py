"""The data both benchmarks verify: the demo world (``tem demo``) in a throwaway directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tem.config import Settings
from tem.crypto.statements import token_from_url
from tem.db import make_engine, session_factory
from tem.demo import build_demo
from tem.keys.service import trust_store
from tem.verify.trust import TrustStore


@dataclass(frozen=True)
class World:
    """A demo data directory and the token of its first label (a batch with seven events)."""

    settings: Settings
    token: str
    product: str
    lot: str


def demo_world(data_dir: Path) -> World:
    """Build the demo (authority, cooperatives with endorsed keys, products, batches, labels).

    Every setting is given explicitly so that ``TEM_*`` variables in the caller's
    environment (a PostgreSQL URL, say) can never point the benchmark at real data.
    """
    settings = Settings(
        data_dir=data_dir,
        database_url=None,
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
