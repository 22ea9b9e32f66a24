"""What one running app holds: settings, engine, session factory, key store, trust cache."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tem.config import Settings
from tem.http.gate import FairGate
from tem.http.ratelimit import Limits
from tem.http.streaming import ExportSlots
from tem.keys import service as keys
from tem.keys.store import KeyStore
from tem.models import Endorsement, Revocation, SigningKey
from tem.scans.rules import Thresholds
from tem.stamps.background import BackgroundIssuer
from tem.verify.trust import TrustStore

# Built once: constructing the statement costs more than running it.
_TRUST_STAMP = select(
    select(func.coalesce(func.max(SigningKey.id), 0)).scalar_subquery(),
    select(func.coalesce(func.max(Endorsement.id), 0)).scalar_subquery(),
    select(func.coalesce(func.max(Revocation.id), 0)).scalar_subquery(),
    select(func.count(Revocation.id)).scalar_subquery(),
)


# Two: one thread in its write transaction, one preparing the next scan meanwhile.
RECORDING_SLOTS = 2


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: KeyStore
    limits: Limits
    secret: bytes
    # Print runs issued on daemon threads, each by its lease holder (tem.stamps.background).
    issuer: BackgroundIssuer
    exports: ExportSlots = field(default_factory=ExportSlots)
    # SQLite only: sessions that can never write (tem.db.make_reader_engine), for read-only
    # checks run inline on the event loop.
    readers: sessionmaker[Session] | None = None
    # Checks that record a scan, a few at a time and in arrival order (tem.http.gate).
    recording: FairGate = field(default_factory=lambda: FairGate(RECORDING_SLOTS))
    _trust: tuple[tuple[int, int, int, int], TrustStore] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def thresholds(self) -> Thresholds:
        """The clone-rule thresholds, built once from the settings."""
        return self.settings.thresholds()

    def trust(self, session: Session) -> TrustStore:
        """The trust store, rebuilt only when keys, endorsements or revocations changed.

        One cheap aggregate query per call keeps every worker in step with the
        database, so a revocation made through one worker is honoured by all.
        """
        stamp_row = session.connection().execute(_TRUST_STAMP).one()
        stamp = (int(stamp_row[0]), int(stamp_row[1]), int(stamp_row[2]), int(stamp_row[3]))
        cached = self._trust
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._lock:
            store = keys.trust_store(session)
            self._trust = (stamp, store)
            return store
