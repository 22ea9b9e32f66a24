"""Request dependencies: one unit of work per request, and the calling principal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tem.errors import Unauthorized
from tem.http.state import AppState
from tem.keys.store import KeyStore
from tem.orgs.service import Principal, authenticate, record_token_use

log = logging.getLogger("tem.http")


async def get_state(request: Request) -> AppState:
    # async: a plain attribute read needs no trip to the thread pool.
    state: AppState = request.app.state.tem
    return state


State = Annotated[AppState, Depends(get_state)]


def get_session(state: State) -> Iterator[Session]:
    """The request's unit of work: commit once after the endpoint, before the response goes out."""
    with state.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_store(state: State) -> KeyStore:
    return state.store


Store = Annotated[KeyStore, Depends(get_store)]

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer tem_...`")


def get_principal(
    session: DbSession,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API token: Authorization: Bearer <token>")
    principal = authenticate(session, credentials.credentials)
    if principal.record_use and principal.token_id is not None:
        # Bookkeeping in its own short transaction (see record_token_use); losing it is harmless.
        try:
            with state.sessions() as bookkeeping:
                record_token_use(bookkeeping, principal.token_id)
                bookkeeping.commit()
        except SQLAlchemyError:
            log.warning("could not record an API token's last use")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
