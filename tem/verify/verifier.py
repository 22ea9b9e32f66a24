"""Verdicts for label tokens and for the batch records and events behind them.

Every function here is pure: callers pass the parsed inputs and ``now`` (Unix
seconds). Steps are numbered in comments and the code follows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from tem.crypto import cose
from tem.crypto.keys import KeyId
from tem.crypto.statements import (
    Statement,
    StatementError,
    StatementType,
    Token,
    TokenError,
    digest,
    parse_statement,
    parse_token,
)
from tem.verify.trust import EndorsedKey, TrustStore, public_key_of

# How far in the future an issue time may lie before we call it forged (clock skew).
CLOCK_SKEW_SECONDS = 300


class Verdict(StrEnum):
    """The top-level answer about a code."""

    GENUINE = "genuine"
    INVALID = "invalid"
    REVOKED = "revoked"
    UNKNOWN_KEY = "unknown_key"
    # Given online, from stored state and scan history (tem.scans), never by this module:
    SUSPECT = "suspect"
    RECALLED = "recalled"
    VOID = "void"


class ReasonCode(StrEnum):
    """Every reason a verdict can give. Callers render words from the code and its data
    (the event number, a rule's evidence), never from the English ``message``."""

    # The token on its own (this module).
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105 - a reason code, not a secret
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    ISSUED_IN_FUTURE = "issued_in_future"
    OUTSIDE_SIGNING_WINDOW = "outside_signing_window"
    VERIFICATION_WINDOW_ENDED = "verification_window_ended"
    KEY_REVOKED = "key_revoked"
    # The stored history (this module, given the rows).
    MALFORMED_RECORD = "malformed_record"
    RECORD_SIGNATURE_INVALID = "record_signature_invalid"
    RECORD_MISMATCH = "record_mismatch"
    CHAIN_UNVERIFIABLE = "chain_unverifiable"
    CHAIN_GAP = "chain_gap"
    CHAIN_BROKEN = "chain_broken"
    CHAIN_FOREIGN_EVENT = "chain_foreign_event"
    # Online only, from stored state (tem.scans.check), never by this module:
    RECORD_NOT_FOUND = "record_not_found"
    STAMP_BATCH_MISMATCH = "stamp_batch_mismatch"
    KEY_LEAK = "key_leak"
    VOID = "void"
    RECALLED = "recalled"
    TOO_MANY_SCANS = "too_many_scans"
    TOO_MANY_SESSIONS = "too_many_sessions"
    IMPOSSIBLE_TRAVEL = "impossible_travel"


class ReasonSubject(StrEnum):
    """What a reason is about."""

    TOKEN = "token"  # noqa: S105 - a subject name, not a secret
    BATCH = "batch"
    EVENT = "event"
    STAMP = "stamp"


@dataclass(frozen=True)
class Reason:
    """A machine-readable ``code`` and a sentence a person can act on (English, for logs
    and programs). ``event`` is the 1-based number of the event it is about, if any;
    ``evidence`` carries a clone rule's machine-readable evidence."""

    code: ReasonCode
    message: str
    subject: ReasonSubject = ReasonSubject.TOKEN
    event: int | None = None
    evidence: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TokenResult:
    """The outcome of verifying a token. ``signer`` is set whenever the signature verified."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    token: Token | None = None
    signer: EndorsedKey | None = None


SIGNER_CACHE_LIMIT = 50_000


def _signer_for(statement: Statement, trust: TrustStore) -> EndorsedKey | None:
    """The endorsed key whose signature ``statement`` carries, if any (memoised per store)."""
    if statement.raw in trust.signers:
        return trust.signers[statement.raw]
    found = None
    for candidate in trust.candidates(statement.kid):
        try:
            cose.verify_signature(statement.envelope, public_key_of(candidate))
        except cose.CoseError:
            continue
        found = candidate
        break
    if len(trust.signers) >= SIGNER_CACHE_LIMIT:
        trust.signers.clear()
    trust.signers[statement.raw] = found
    return found


def _check_key_use(
    signer: EndorsedKey, issued_at: int, trust: TrustStore, now: int, what: str
) -> tuple[Verdict, Reason] | None:
    """Signing window, verification window, revocation. None means the use is fine."""
    if issued_at > now + CLOCK_SKEW_SECONDS:
        return Verdict.INVALID, Reason(
            ReasonCode.ISSUED_IN_FUTURE, f"The {what} claims to be signed in the future."
        )
    if not signer.sign_from <= issued_at <= signer.sign_until:
        return Verdict.INVALID, Reason(
            ReasonCode.OUTSIDE_SIGNING_WINDOW,
            f"The {what} was signed at a time its key was not allowed to sign.",
        )
    if now > signer.verify_until:
        return Verdict.INVALID, Reason(
            ReasonCode.VERIFICATION_WINDOW_ENDED,
            f"The key that signed this {what} is no longer accepted (its verification window ended).",
        )
    revocation = trust.revoked_at(signer.kid)
    if revocation is not None and revocation.revoked_at <= issued_at:
        return Verdict.REVOKED, Reason(
            ReasonCode.KEY_REVOKED,
            f"The key that signed this {what} was revoked by {revocation.authority.name} "
            f"before it was signed: {revocation.reason}",
        )
    return None


def verify_token(text: str, trust: TrustStore, now: int) -> TokenResult:
    """Verify a label token offline against ``trust`` at time ``now``.

    Never raises for bad input: every failure is a verdict with reasons.
    """
    # 1. Parse: Base32, length bounds, the COSE_Sign1 envelope and the label layout.
    try:
        token = parse_token(text)
    except TokenError as exc:
        return TokenResult(Verdict.INVALID, (Reason(ReasonCode.MALFORMED_TOKEN, exc.message),))
    # 2. Find the endorsed keys whose id the token names.
    if not trust.candidates(token.kid):
        return TokenResult(
            Verdict.UNKNOWN_KEY,
            (
                Reason(
                    ReasonCode.UNKNOWN_KEY,
                    "The code was signed by a key no trusted authority has endorsed.",
                ),
            ),
            token,
        )
    # 3. The signature must verify under one of them.
    signer = _signer_for(token.statement, trust)
    if signer is None:
        return TokenResult(
            Verdict.INVALID,
            (
                Reason(
                    ReasonCode.BAD_SIGNATURE,
                    "The signature does not match: the code was altered or forged.",
                ),
            ),
            token,
        )
    # 4. The key must have been allowed to sign then, still be accepted now, and not revoked.
    problem = _check_key_use(signer, token.issued_at, trust, now, "code")
    if problem is not None:
        verdict, reason = problem
        return TokenResult(verdict, (reason,), token, signer)
    return TokenResult(Verdict.GENUINE, (), token, signer)


class RecordStatus(StrEnum):
    """Status of one stored statement (batch record or event)."""

    VALID = "valid"
    INVALID = "invalid"
    TAMPERED = "tampered"
    REVOKED = "revoked"


@dataclass(frozen=True)
class RecordCheck:
    """The check of one stored statement; ``claims`` are the signed ones when they verified."""

    status: RecordStatus
    reasons: tuple[Reason, ...]
    claims: Mapping[Any, Any] | None = None
    signer: EndorsedKey | None = None


@dataclass(frozen=True)
class HistoryCheck:
    """The batch record and every event, each with its own status, plus chain findings."""

    batch: RecordCheck
    events: tuple[RecordCheck, ...]
    chain_reasons: tuple[Reason, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return (
            self.batch.status is RecordStatus.VALID
            and all(e.status is RecordStatus.VALID for e in self.events)
            and not self.chain_reasons
        )


def verify_record(
    raw: bytes,
    expected_type: StatementType,
    stored_claims: Mapping[Any, Any],
    trust: TrustStore,
    now: int,
    *,
    org_id: str,
    what: str,
    event: int | None = None,
) -> RecordCheck:
    """Verify one stored statement and compare it with what the database now says.

    ``stored_claims`` is the payload rebuilt from the database columns: if it
    differs from the signed payload, someone changed the row after signing.
    """
    subject = ReasonSubject.BATCH if event is None else ReasonSubject.EVENT
    check = _verify_record(raw, expected_type, stored_claims, trust, now, org_id=org_id, what=what)
    reasons = tuple(replace(r, subject=subject, event=event) for r in check.reasons)
    return replace(check, reasons=reasons) if reasons else check


def _verify_record(
    raw: bytes,
    expected_type: StatementType,
    stored_claims: Mapping[Any, Any],
    trust: TrustStore,
    now: int,
    *,
    org_id: str,
    what: str,
) -> RecordCheck:
    # 1. Parse the stored statement.
    try:
        statement = parse_statement(raw, expected_type)
    except StatementError as exc:
        return RecordCheck(
            RecordStatus.INVALID,
            (Reason(ReasonCode.MALFORMED_RECORD, f"The stored {what} is damaged: {exc.message}"),),
        )
    # 2. Its signature must verify under an endorsed key of the same organization.
    signer = _signer_for(statement, trust)
    if signer is None or signer.org_id != org_id:
        return RecordCheck(
            RecordStatus.TAMPERED,
            (
                Reason(
                    ReasonCode.RECORD_SIGNATURE_INVALID,
                    f"The stored {what} no longer matches its signature.",
                ),
            ),
        )
    # 3. The key must have been allowed to sign it.
    issued_at = statement.claims.get("iat")
    if type(issued_at) is not int:
        return RecordCheck(
            RecordStatus.INVALID,
            (Reason(ReasonCode.MALFORMED_RECORD, f"The stored {what} has no signing time."),),
        )
    problem = _check_key_use(signer, issued_at, trust, now, what)
    if problem is not None:
        verdict, reason = problem
        status = RecordStatus.REVOKED if verdict is Verdict.REVOKED else RecordStatus.INVALID
        return RecordCheck(status, (reason,), statement.claims, signer)
    # 4. The database row must still say what was signed.
    if dict(statement.claims) != dict(stored_claims):
        changed = sorted(
            str(k)
            for k in set(statement.claims) | set(stored_claims)
            if statement.claims.get(k) != stored_claims.get(k)
        )
        return RecordCheck(
            RecordStatus.TAMPERED,
            (
                Reason(
                    ReasonCode.RECORD_MISMATCH,
                    f"The stored {what} no longer matches its signature (changed: {', '.join(changed)}).",
                ),
            ),
            statement.claims,
            signer,
        )
    return RecordCheck(RecordStatus.VALID, (), statement.claims, signer)


def verify_history(
    batch_raw: bytes,
    batch_claims: Mapping[Any, Any],
    events: Sequence[tuple[bytes, Mapping[Any, Any]]],
    trust: TrustStore,
    now: int,
    *,
    org_id: str,
) -> HistoryCheck:
    """Verify a batch record and its hash-chained events (in stored order).

    Each event's ``prev`` must be the SHA-256 of the previous event's statement
    bytes (the batch record's for the first), and ``seq`` must count 0, 1, 2...
    so a deleted, inserted or reordered event breaks the chain.
    """
    # 1. The batch record.
    batch = verify_record(
        batch_raw, StatementType.BATCH, batch_claims, trust, now, org_id=org_id, what="batch record"
    )
    # 2. Each event on its own.
    checks = tuple(
        verify_record(
            raw,
            StatementType.EVENT,
            claims,
            trust,
            now,
            org_id=org_id,
            what=f"event {i + 1}",
            event=i + 1,
        )
        for i, (raw, claims) in enumerate(events)
    )
    # 3. The chain, over the signed bytes: sequence numbers and hash links.
    chain: list[Reason] = []
    previous = batch_raw
    batch_id = batch.claims.get("batch") if batch.claims else None
    for index, ((raw, _), check) in enumerate(zip(events, checks, strict=True)):
        claims = check.claims
        if claims is None:
            chain.append(
                Reason(
                    ReasonCode.CHAIN_UNVERIFIABLE,
                    f"Event {index + 1} cannot be read, so the chain cannot be checked past it.",
                    ReasonSubject.EVENT,
                    index + 1,
                )
            )
            break
        if claims.get("seq") != index:
            chain.append(
                Reason(
                    ReasonCode.CHAIN_GAP,
                    f"Event {index + 1} is out of sequence: an event before it was removed or reordered.",
                    ReasonSubject.EVENT,
                    index + 1,
                )
            )
        if claims.get("prev") != digest(previous):
            chain.append(
                Reason(
                    ReasonCode.CHAIN_BROKEN,
                    f"Event {index + 1} does not follow the record before it: the history was altered.",
                    ReasonSubject.EVENT,
                    index + 1,
                )
            )
        if batch_id is not None and claims.get("batch") != batch_id:
            chain.append(
                Reason(
                    ReasonCode.CHAIN_FOREIGN_EVENT,
                    f"Event {index + 1} belongs to another batch.",
                    ReasonSubject.EVENT,
                    index + 1,
                )
            )
        previous = raw
    return HistoryCheck(batch, checks, tuple(chain))


def describe_key(kid: KeyId) -> str:
    """Key ids as people see them: lower-case hex."""
    return bytes(kid).hex()
