"""Helpers every ``tem`` command module uses: consoles, exit codes, the command context.

The command modules (``main``, ``stamps``, ``inspector``, ``labels``) import this module;
it imports none of them, so the CLI has no import circle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tem import errors
from tem.config import Settings
from tem.db import make_engine, session_factory, unit_of_work
from tem.keys.store import KeyStore
from tem.scans.check_schema import CheckOut

out = Console()
err = Console(stderr=True)

EXIT_NOT_GENUINE = 1
EXIT_CODES: dict[type[errors.TemError], int] = {
    errors.InvalidInput: 2,
    errors.NotFound: 3,
    errors.Conflict: 4,
    errors.Forbidden: 5,
    errors.Unauthorized: 5,
    errors.ConfigurationError: 6,
    errors.KeyStoreError: 6,
    errors.Busy: 7,
}

M = TypeVar("M", bound=BaseModel)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def exit_code_for(exc: errors.TemError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 2


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fail(
            "; ".join(
                f"TEM_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
            ),
            6,
        )


def validated(model: type[M], data: dict[str, Any]) -> M:
    """Validate CLI input with the API's own schema; one line per bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        ]
        fail("some values are not valid:\n" + "\n".join(lines))


@contextmanager
def handled() -> Iterator[None]:
    """Turn domain errors into a message and an exit code; never a traceback."""
    try:
        yield
    except errors.TemError as exc:
        fail(exc.message, exit_code_for(exc))


class Context:
    """What a command needs: settings, a unit of work, the key store."""

    def __init__(self) -> None:
        self.settings = settings()
        self._engine: Engine | None = None
        self._store: KeyStore | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings)
            _require_initialized(self._engine, self.settings)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(session_factory(self.engine)) as session:
            yield session

    def store(self) -> KeyStore:
        """The key store, once its passphrase is known to open the existing keys.

        Raises:
            KeyStoreError: a wrong ``TEM_KEY_PASSPHRASE`` (before anything is written).
        """
        if self._store is None:
            store = KeyStore(self.settings.keys_dir, self.settings.passphrase())
            store.check()
            self._store = store
        return self._store


def _require_initialized(engine: Engine, s: Settings) -> None:
    from sqlalchemy import inspect

    if not inspect(engine).has_table("alembic_version"):
        raise errors.ConfigurationError(
            f"no Tem database at {s.resolved_database_url.split('@')[-1]}; run `tem init` first"
        )


def principal_for(session: Session, org_id: str) -> Any:
    from tem.orgs.service import Principal, get_organization

    org = get_organization(session, org_id)
    return Principal(org, org.kind)


def print_json(data: Any) -> None:
    out.print_json(json.dumps(data, default=str, ensure_ascii=False))


OrgOpt = Annotated[str, typer.Option("--org", help="Act as this organization (its id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def batch_ref(session: Session, principal: Any, ref: str) -> Any:
    from tem.trace import service

    if len(ref) == 16:
        try:
            return service.get_batch(session, principal, ref)
        except errors.NotFound:
            pass
    return service.find_batch_by_lot(session, principal, ref)


def print_check(result: CheckOut, *, as_json: bool) -> None:
    """A check as ``tem verify`` and ``tem inspect`` print it: the JSON contract, or a summary."""
    if as_json:
        out.print_json(result.model_dump_json(), ensure_ascii=False)
        return
    verdict = result.verdict.value
    colour = "green" if verdict == "genuine" else "red"
    out.print(f"[bold {colour}]{verdict.upper()}[/]")
    for reason in result.reasons:
        out.print(f"  - {reason.message} [dim]({reason.code.value})[/]", highlight=False)
    if result.scope == "offline":
        out.print(
            "Checked offline (the code and the trust bundle only): a recall, a voided stamp "
            "or a copied code can only be seen online.",
            highlight=False,
        )
    signer = result.signer
    if signer is not None:
        out.print(
            f"Signed by {signer.name} (key {signer.key_id}), endorsed by {signer.endorsed_by.name}"
        )
    product, batch = result.product, result.batch
    if product is not None and batch is not None:
        stars = f", OCOP {product.ocop.stars}★" if product.ocop and product.ocop.stars else ""
        out.print(
            f"{product.name}{stars} — lot {batch.lot_code}, made {batch.production_date}, best before {batch.expiry_date}"
        )
    for entry in result.history:
        mark = "✓" if entry.status == "valid" else "✗"
        what = entry.type_label or entry.type or "?"
        place = (entry.place.name if entry.place else None) or ""
        out.print(f"  {mark} {entry.trace_code} {what} {entry.time or ''} {place}")


def hex_key(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        fail(f"--anchor {text!r} is not a 32-byte Ed25519 public key in hex")
    return raw
