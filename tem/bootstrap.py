"""``tem init``: make a data directory, migrate the schema, create the authority and its root key."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tem.config import Settings
from tem.db import make_engine, migrate, session_factory, unit_of_work
from tem.keys import service as keys
from tem.keys.store import KeyStore
from tem.models import Organization, Role
from tem.orgs import service as orgs


@dataclass(frozen=True)
class InitResult:
    authority_id: str
    authority_name: str
    root_key_id: str
    token: str | None  # only when the authority was created just now


def prepare_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    settings.keys_dir.mkdir(exist_ok=True, mode=0o700)
    settings.labels_dir.mkdir(exist_ok=True)


def existing_authority(session: Session) -> Organization | None:
    return session.scalars(
        select(Organization).where(Organization.kind == Role.AUTHORITY).order_by(Organization.id)
    ).first()


def init(
    settings: Settings, *, authority_name: str, province: str = "", is_demo: bool = False
) -> InitResult:
    """Create (or bring up to date) a data directory. Safe to run twice: nothing is duplicated."""
    store = KeyStore(settings.keys_dir, settings.passphrase())
    store.check()
    prepare_data_dir(settings)
    settings.secret()  # the session secret, created once here (docs/deploy.md)
    engine = make_engine(settings)
    try:
        migrate(engine)
        with unit_of_work(session_factory(engine)) as session:
            authority = existing_authority(session)
            token = None
            if authority is None:
                authority = orgs.create_organization(
                    session,
                    kind=Role.AUTHORITY,
                    name=authority_name,
                    province=province,
                    is_demo=is_demo,
                )
                keys.create_root_key(session, store, authority)
                _, token = orgs.create_token(session, authority, "created by tem init")
            root = keys.authority_root(session, authority)
            return InitResult(authority.public_id, authority.name, root.kid.hex(), token)
    finally:
        engine.dispose()
