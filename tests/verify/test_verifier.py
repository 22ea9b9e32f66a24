"""The pure verifier: trust store, token verdicts, and batch histories (no database)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tem.crypto import base32, cbor, cose
from tem.crypto.keys import KeyId, key_id, raw_public
from tem.crypto.statements import TYPE_KEY, BatchId, StatementType, digest, label_payload
from tem.keys.service import sign_statement
from tem.verify.trust import Anchor, EndorsedKey, TrustStore, VerificationError
from tem.verify.verifier import (
    CLOCK_SKEW_SECONDS,
    RecordStatus,
    Verdict,
    verify_history,
    verify_token,
)

AUTHORITY = Ed25519PrivateKey.from_private_bytes(bytes([0x11]) * 32)
COOP = Ed25519PrivateKey.from_private_bytes(bytes([0x12]) * 32)
OTHER_COOP = Ed25519PrivateKey.from_private_bytes(bytes([0x13]) * 32)
STRAY = Ed25519PrivateKey.from_private_bytes(bytes([0x14]) * 32)
ROGUE_AUTHORITY = Ed25519PrivateKey.from_private_bytes(bytes([0x15]) * 32)

AUTHORITY_ORG = "authority-1"
COOP_ORG = "coop-thai-son"
OTHER_ORG = "coop-meo-vac"

SIGN_FROM = 1_735_689_600  # 2025-01-01T00:00:00Z
SIGN_UNTIL = 1_767_225_600  # 2026-01-01T00:00:00Z
VERIFY_UNTIL = 1_893_456_000  # 2030-01-01T00:00:00Z
ISSUED_AT = 1_742_005_800  # 2025-03-15T02:30:00Z
NOW = 1_748_736_000  # 2025-06-01T00:00:00Z
BATCH = bytes.fromhex("b47c2d9e5a1f3806")


# --- helpers: statements signed the way tem.keys.service and tem.trace.service sign them ---


def pub(key: Ed25519PrivateKey) -> bytes:
    return raw_public(key.public_key())


def kid(key: Ed25519PrivateKey) -> KeyId:
    return key_id(key.public_key())


def anchor(key: Ed25519PrivateKey = AUTHORITY, name: str = "Hội đồng OCOP tỉnh Lào Cai") -> Anchor:
    return Anchor(kid(key), pub(key), name, AUTHORITY_ORG)


def endorsement(
    key: Ed25519PrivateKey,
    *,
    signer: Ed25519PrivateKey = AUTHORITY,
    org: str = COOP_ORG,
    org_name: str = "HTX Thái Sơn",
    sign_from: int = SIGN_FROM,
    sign_until: int = SIGN_UNTIL,
    verify_until: int = VERIFY_UNTIL,
    **overrides: Any,
) -> bytes:
    """The endorsement payload of tem.keys.service.endorse, signed by ``signer``."""
    claims: dict[object, object] = {
        TYPE_KEY: StatementType.ENDORSEMENT,
        "iss": AUTHORITY_ORG,
        "kid": kid(key),
        "pub": pub(key),
        "org": org,
        "org_name": org_name,
        "sign_from": sign_from,
        "sign_until": sign_until,
        "verify_until": verify_until,
        "iat": sign_from,
    }
    claims.update(overrides)
    return sign_statement(signer, {k: v for k, v in claims.items() if v is not _DROP})


_DROP = object()


def revocation(
    key: Ed25519PrivateKey,
    revoked_at: int,
    *,
    signer: Ed25519PrivateKey = AUTHORITY,
    reason: str = "khóa bị lộ",
) -> bytes:
    """The revocation payload of tem.keys.service.revoke."""
    claims: dict[object, object] = {
        TYPE_KEY: StatementType.REVOCATION,
        "iss": AUTHORITY_ORG,
        "kid": kid(key),
        "revoked_at": revoked_at,
        "reason": reason,
        "iat": revoked_at,
    }
    return sign_statement(signer, claims)


def label(key: Ed25519PrivateKey = COOP, issued_at: int = ISSUED_AT, batch: bytes = BATCH) -> str:
    """A label token as tem.trace.service.create_batch signs it, in Base32."""
    return base32.encode(cose.sign1(key, label_payload(BatchId(batch), issued_at), kid=kid(key)))


def store(
    endorsements: list[bytes] | None = None,
    revocations: Sequence[bytes] = (),
    anchors: list[Anchor] | None = None,
) -> TrustStore:
    return TrustStore.build(
        anchors if anchors is not None else [anchor()],
        endorsements if endorsements is not None else [endorsement(COOP)],
        revocations,
    )


def codes(result: Any) -> list[str]:
    return [r.code for r in result.reasons]


# --- trust store ---------------------------------------------------------------------


def test_trust_store_keeps_a_good_endorsement() -> None:
    trust = store()
    assert trust.problems == []
    [endorsed] = trust.candidates(kid(COOP))
    assert endorsed.public_key == pub(COOP)
    assert endorsed.org_id == COOP_ORG
    assert endorsed.org_name == "HTX Thái Sơn"
    assert (endorsed.sign_from, endorsed.sign_until, endorsed.verify_until) == (
        SIGN_FROM,
        SIGN_UNTIL,
        VERIFY_UNTIL,
    )
    assert endorsed.authority == anchor()


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            endorsement(COOP, signer=ROGUE_AUTHORITY),
            "endorsement refused: not signed by a trusted authority",
        ),
        (
            endorsement(COOP, kid=kid(STRAY)),
            "endorsement refused: endorsement key id does not match its public key",
        ),
        (
            endorsement(COOP, sign_until=SIGN_FROM - 1),
            "endorsement refused: endorsement windows are out of order",
        ),
        (
            endorsement(COOP, verify_until=SIGN_UNTIL - 1),
            "endorsement refused: endorsement windows are out of order",
        ),
        (
            endorsement(COOP, org_name=_DROP),
            "endorsement refused: endorsement is missing or mistypes a field",
        ),
        (
            endorsement(COOP, sign_from=str(SIGN_FROM)),
            "endorsement refused: endorsement is missing or mistypes a field",
        ),
        (
            endorsement(COOP, sign_from=True),
            "endorsement refused: endorsement is missing or mistypes a field",
        ),
        (
            revocation(COOP, ISSUED_AT),
            "endorsement refused: .*expected an endorsement statement, got revocation",
        ),
        (
            b"\x84\x40\xa0\x40\x40",
            "endorsement refused: not a Tem statement: unexpected COSE headers",
        ),
    ],
    ids=[
        "signed_by_non_anchor",
        "kid_mismatch",
        "sign_until_before_sign_from",
        "verify_until_before_sign_until",
        "missing_field",
        "mistyped_field",
        "bool_as_time",
        "wrong_statement_type",
        "garbage",
    ],
)
def test_trust_store_refuses_a_bad_endorsement(statement: bytes, problem: str) -> None:
    trust = store([statement])
    assert trust.endorsed == {}
    [message] = trust.problems
    assert re.fullmatch(problem, message), message


def test_trust_store_refuses_an_anchor_whose_kid_is_not_its_key() -> None:
    bad = Anchor(kid(STRAY), pub(AUTHORITY), "forged anchor", AUTHORITY_ORG)
    trust = store(anchors=[bad])
    assert trust.problems == [
        "anchor forged anchor: key id does not match its key",
        "endorsement refused: not signed by a trusted authority",
    ]
    assert trust.anchors == {}


def test_trust_store_refuses_a_revocation_by_a_non_anchor() -> None:
    trust = store(revocations=[revocation(COOP, SIGN_FROM, signer=ROGUE_AUTHORITY)])
    assert trust.problems == ["revocation refused: not signed by a trusted authority"]
    assert trust.revoked_at(kid(COOP)) is None
    assert verify_token(label(), trust, NOW).verdict is Verdict.GENUINE


def test_trust_store_keeps_the_earliest_revocation() -> None:
    trust = store(revocations=[revocation(COOP, ISSUED_AT + 10), revocation(COOP, ISSUED_AT)])
    found = trust.revoked_at(kid(COOP))
    assert found is not None
    assert found.revoked_at == ISSUED_AT


def _bundle(**changes: Any) -> bytes:
    authority = anchor()
    bundle: dict[str, Any] = {
        "anchors": [
            {"kid": authority.kid, "pub": authority.public_key, "name": "x", "org": AUTHORITY_ORG}
        ],
        "endorsements": [endorsement(COOP)],
        "revocations": [revocation(COOP, ISSUED_AT + 1)],
    }
    bundle.update(changes)
    return cbor.encode(bundle)


def test_trust_bundle() -> None:
    trust = TrustStore.from_bundle(_bundle())
    assert trust.problems == []
    assert [e.org_id for e in trust.candidates(kid(COOP))] == [COOP_ORG]
    assert verify_token(label(), trust, NOW).verdict is Verdict.GENUINE
    assert verify_token(label(issued_at=ISSUED_AT + 1), trust, NOW).verdict is Verdict.REVOKED


def test_trust_bundle_with_pinned_anchors_ignores_the_bundles_own() -> None:
    trust = TrustStore.from_bundle(_bundle(), pinned_anchors={pub(ROGUE_AUTHORITY)})
    assert trust.anchors == {}
    assert verify_token(label(), trust, NOW).verdict is Verdict.UNKNOWN_KEY


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",
        cbor.encode([]),
        cbor.encode({"anchors": []}),
        _bundle(anchors=[{"kid": b"", "pub": b""}]),
        _bundle(endorsements=["not bytes"]),
        _bundle(revocations=None),
        cbor.encode({"anchors": [], "endorsements": [], "revocations": []})[:-1],
        _bundle(anchors=5),
    ],
    ids=[
        "not_cbor",
        "not_a_map",
        "missing_lists",
        "anchor_missing_fields",
        "endorsement_not_bytes",
        "revocations_null",
        "truncated",
        "anchors_not_a_list",
    ],
)
def test_malformed_trust_bundle(data: bytes) -> None:
    with pytest.raises(VerificationError, match="the trust bundle is malformed"):
        TrustStore.from_bundle(data)


def test_endorsement_of_a_short_public_key_is_refused() -> None:
    short = bytes(31)
    trust = store([endorsement(COOP, kid=key_id(short), pub=short)])
    token = cose.sign1(COOP, label_payload(BatchId(BATCH), ISSUED_AT), kid=key_id(short))
    result = verify_token(base32.encode(token), trust, NOW)
    assert result.verdict is Verdict.UNKNOWN_KEY
    assert len(trust.problems) == 1


def test_anchor_with_a_short_public_key_is_refused() -> None:
    short = bytes(31)
    statement = cose.sign1(AUTHORITY, cbor.encode({TYPE_KEY: 1}), kid=key_id(short))
    trust = TrustStore.build([Anchor(key_id(short), short, "short", AUTHORITY_ORG)], [statement])
    assert trust.anchors == {}
    assert trust.problems[0].startswith("anchor short")


# --- token verdicts -------------------------------------------------------------------


def test_genuine_token() -> None:
    text = label()
    result = verify_token(text, store(), NOW)
    assert result.verdict is Verdict.GENUINE
    assert result.reasons == ()
    assert result.token is not None
    assert result.token.batch_id == BATCH
    assert result.token.issued_at == ISSUED_AT
    assert result.signer is not None
    assert result.signer.org_id == COOP_ORG
    assert result.signer.authority.name == "Hội đồng OCOP tỉnh Lào Cai"


def test_genuine_token_in_lower_case() -> None:
    assert verify_token(label().lower(), store(), NOW).verdict is Verdict.GENUINE


def test_unknown_key() -> None:
    result = verify_token(label(STRAY), store(), NOW)
    assert result.verdict is Verdict.UNKNOWN_KEY
    assert codes(result) == ["unknown_key"]
    assert result.signer is None
    assert result.token is not None


def test_endorsement_by_a_non_anchor_leaves_the_key_unknown() -> None:
    trust = store([endorsement(STRAY, signer=ROGUE_AUTHORITY)])
    assert trust.problems == ["endorsement refused: not signed by a trusted authority"]
    result = verify_token(label(STRAY), trust, NOW)
    assert result.verdict is Verdict.UNKNOWN_KEY
    assert codes(result) == ["unknown_key"]


def test_rogue_anchor_is_only_trusted_if_the_verifier_lists_it() -> None:
    statement = endorsement(STRAY, signer=ROGUE_AUTHORITY)
    trust = store([statement], anchors=[anchor(), anchor(ROGUE_AUTHORITY, "rogue")])
    assert verify_token(label(STRAY), trust, NOW).verdict is Verdict.GENUINE


def test_tampered_signature() -> None:
    raw = bytearray(base32.decode(label()))
    raw[-1] ^= 0x01
    result = verify_token(base32.encode(bytes(raw)), store(), NOW)
    assert result.verdict is Verdict.INVALID
    assert codes(result) == ["bad_signature"]
    assert result.signer is None


def test_token_re_signed_by_another_endorsed_key_under_the_first_kid() -> None:
    # Same kid in the header, signature by another (endorsed) key: must not verify.
    token = cose.sign1(OTHER_COOP, label_payload(BatchId(BATCH), ISSUED_AT), kid=kid(COOP))
    trust = store([endorsement(COOP), endorsement(OTHER_COOP, org=OTHER_ORG)])
    result = verify_token(base32.encode(token), trust, NOW)
    assert result.verdict is Verdict.INVALID
    assert codes(result) == ["bad_signature"]


def test_malformed_token() -> None:
    result = verify_token("HTTPS://TEM.EXAMPLE/T/NOT-A-TOKEN", store(), NOW)
    assert result.verdict is Verdict.INVALID
    assert codes(result) == ["malformed_token"]
    assert result.token is None


@pytest.mark.parametrize(
    ("issued_at", "now", "verdict", "reason"),
    [
        (SIGN_FROM - 1, NOW, Verdict.INVALID, "outside_signing_window"),
        (SIGN_FROM, NOW, Verdict.GENUINE, None),
        (SIGN_UNTIL, SIGN_UNTIL + 86_400, Verdict.GENUINE, None),
        (SIGN_UNTIL + 1, SIGN_UNTIL + 86_400, Verdict.INVALID, "outside_signing_window"),
        (ISSUED_AT, VERIFY_UNTIL, Verdict.GENUINE, None),
        (ISSUED_AT, VERIFY_UNTIL + 1, Verdict.INVALID, "verification_window_ended"),
        (NOW + CLOCK_SKEW_SECONDS, NOW, Verdict.GENUINE, None),
        (NOW + CLOCK_SKEW_SECONDS + 1, NOW, Verdict.INVALID, "issued_in_future"),
    ],
    ids=[
        "before_sign_from",
        "at_sign_from",
        "at_sign_until",
        "after_sign_until",
        "at_verify_until",
        "verification_window_ended",
        "within_clock_skew",
        "issued_in_future",
    ],
)
def test_key_windows(issued_at: int, now: int, verdict: Verdict, reason: str | None) -> None:
    result = verify_token(label(issued_at=issued_at), store(), now)
    assert result.verdict is verdict
    assert codes(result) == ([reason] if reason else [])
    assert result.signer is not None  # the signature itself verified in every case


@pytest.mark.parametrize(
    ("revoked_at", "verdict"),
    [
        (ISSUED_AT - 86_400, Verdict.REVOKED),
        (ISSUED_AT, Verdict.REVOKED),
        (ISSUED_AT + 1, Verdict.GENUINE),
    ],
    ids=["revoked_before_issue", "revoked_at_issue", "revoked_after_issue"],
)
def test_revoked_key(revoked_at: int, verdict: Verdict) -> None:
    trust = store(revocations=[revocation(COOP, revoked_at, reason="máy tính bị đánh cắp")])
    assert trust.problems == []
    result = verify_token(label(), trust, NOW)
    assert result.verdict is verdict
    if verdict is Verdict.REVOKED:
        [reason] = result.reasons
        assert reason.code == "key_revoked"
        assert "Hội đồng OCOP tỉnh Lào Cai" in reason.message
        assert reason.message.endswith("máy tính bị đánh cắp")
    else:
        assert result.reasons == ()


def test_revocation_of_another_key_does_not_touch_this_one() -> None:
    trust = store(
        [endorsement(COOP), endorsement(OTHER_COOP)], revocations=[revocation(OTHER_COOP, 0)]
    )
    assert verify_token(label(), trust, NOW).verdict is Verdict.GENUINE
    assert verify_token(label(OTHER_COOP), trust, NOW).verdict is Verdict.REVOKED


def _collision_store(real_first: bool) -> tuple[TrustStore, EndorsedKey]:
    """Two endorsed keys sharing COOP's key id: a collision put in by hand."""
    trust = store()
    [real] = trust.candidates(kid(COOP))
    impostor = EndorsedKey(
        kid=real.kid,
        public_key=pub(OTHER_COOP),
        org_id=OTHER_ORG,
        org_name="HTX Mèo Vạc",
        sign_from=real.sign_from,
        sign_until=real.sign_until,
        verify_until=real.verify_until,
        authority=real.authority,
        endorsement=endorsement(OTHER_COOP, org=OTHER_ORG),
    )
    trust.endorsed[real.kid] = [real, impostor] if real_first else [impostor, real]
    return trust, real


@pytest.mark.parametrize("real_first", [True, False])
def test_key_id_collision_finds_the_key_that_signed(real_first: bool) -> None:
    trust, real = _collision_store(real_first)
    result = verify_token(label(), trust, NOW)
    assert result.verdict is Verdict.GENUINE
    assert result.signer == real
    assert result.signer.org_id == COOP_ORG


def test_key_id_collision_other_key_signature_is_found_too() -> None:
    trust, _ = _collision_store(real_first=True)
    token = cose.sign1(OTHER_COOP, label_payload(BatchId(BATCH), ISSUED_AT), kid=kid(COOP))
    result = verify_token(base32.encode(token), trust, NOW)
    assert result.verdict is Verdict.GENUINE
    assert result.signer is not None
    assert result.signer.org_id == OTHER_ORG


# --- batch histories --------------------------------------------------------------------


def batch_claims(batch: bytes = BATCH, iat: int = ISSUED_AT) -> dict[Any, Any]:
    return {
        TYPE_KEY: StatementType.BATCH,
        "org": COOP_ORG,
        "batch": batch,
        "lot": "TS-2025-01",
        "quantity": "120.5",
        "unit": "kg",
        "iat": iat,
    }


def event_claims(seq: int, previous: bytes, batch: bytes = BATCH) -> dict[Any, Any]:
    return {
        TYPE_KEY: StatementType.EVENT,
        "batch": batch,
        "seq": seq,
        "prev": digest(previous),
        "type": ["harvesting", "processing", "packing", "shipping"][seq % 4],
        "type_label": None,
        "time": f"2025-03-1{seq}T06:30:00+07:00",
        "place": {"name": "Đồi chè", "address": "", "lat": None, "lon": None},
        "actor": "Tổ hái chè",
        "notes": "",
        "iat": ISSUED_AT + 60 * (seq + 1),
    }


Record = tuple[bytes, dict[Any, Any]]


def history(count: int = 3, key: Ed25519PrivateKey = COOP) -> tuple[Record, list[Record]]:
    """A batch record and ``count`` chained events, each as (signed bytes, stored claims)."""
    claims = batch_claims()
    batch = (sign_statement(key, claims), claims)
    events: list[Record] = []
    previous = batch[0]
    for seq in range(count):
        ev = event_claims(seq, previous)
        raw = sign_statement(key, ev)
        events.append((raw, ev))
        previous = raw
    return batch, events


def check(batch: Record, events: list[Record], trust: TrustStore | None = None) -> Any:
    return verify_history(batch[0], batch[1], events, trust or store(), NOW, org_id=COOP_ORG)


def test_history_valid_chain() -> None:
    batch, events = history()
    result = check(batch, events)
    assert result.ok
    assert result.batch.status is RecordStatus.VALID
    assert [e.status for e in result.events] == [RecordStatus.VALID] * 3
    assert result.chain_reasons == ()
    assert result.events[0].claims is not None
    assert result.events[0].claims["prev"] == digest(batch[0])


def test_history_without_events() -> None:
    batch, _ = history(0)
    assert check(batch, []).ok


def test_history_tampered_event_payload() -> None:
    batch, events = history()
    raw, claims = events[1]
    events[1] = (raw, {**claims, "notes": "đã sửa sau khi ký"})
    result = check(batch, events)
    assert not result.ok
    assert result.events[1].status is RecordStatus.TAMPERED
    [reason] = result.events[1].reasons
    assert reason.code == "record_mismatch"
    assert "no longer matches its signature (changed: notes)" in reason.message
    assert result.chain_reasons == ()  # the chain is over signed bytes, which are intact


def test_history_tampered_event_bytes() -> None:
    batch, events = history()
    raw, claims = events[1]
    events[1] = (raw[:-1] + bytes([raw[-1] ^ 1]), claims)
    result = check(batch, events)
    assert result.events[1].status is RecordStatus.TAMPERED
    [reason] = result.events[1].reasons
    assert reason.code == "record_signature_invalid"
    assert reason.message == "The stored event 2 no longer matches its signature."
    assert [r.code for r in result.chain_reasons] == ["chain_unverifiable"]


def test_history_tampered_batch_record() -> None:
    batch, events = history()
    result = check((batch[0], {**batch[1], "quantity": "1200.5"}), events)
    assert result.batch.status is RecordStatus.TAMPERED
    assert [r.code for r in result.batch.reasons] == ["record_mismatch"]
    assert "changed: quantity" in result.batch.reasons[0].message
    assert all(e.status is RecordStatus.VALID for e in result.events)


def test_history_event_removed_from_the_middle() -> None:
    batch, events = history()
    result = check(batch, [events[0], events[2]])
    assert not result.ok
    assert all(e.status is RecordStatus.VALID for e in result.events)  # each is still signed
    assert [r.code for r in result.chain_reasons] == ["chain_gap", "chain_broken"]
    assert "Event 2 is out of sequence" in result.chain_reasons[0].message


def test_history_last_event_removed_is_not_detectable_by_the_chain() -> None:
    # Truncation at the end leaves a valid prefix: only the log or a count can catch it.
    batch, events = history()
    assert check(batch, events[:2]).ok


def test_history_events_reordered() -> None:
    batch, events = history()
    result = check(batch, [events[0], events[2], events[1]])
    assert not result.ok
    assert [r.code for r in result.chain_reasons] == [
        "chain_gap",
        "chain_broken",
        "chain_gap",
        "chain_broken",
    ]


def test_history_event_inserted() -> None:
    batch, events = history()
    forged = event_claims(1, events[0][0])
    inserted = (sign_statement(COOP, forged), forged)
    result = check(batch, [events[0], inserted, events[1], events[2]])
    assert "chain_gap" in [r.code for r in result.chain_reasons]
    assert "chain_broken" in [r.code for r in result.chain_reasons]


def test_history_event_signed_by_another_organizations_key() -> None:
    batch, events = history()
    trust = store([endorsement(COOP), endorsement(OTHER_COOP, org=OTHER_ORG)])
    claims = events[1][1]
    events[1] = (sign_statement(OTHER_COOP, claims), claims)
    result = check(batch, events, trust)
    assert result.events[1].status is RecordStatus.TAMPERED
    [reason] = result.events[1].reasons
    assert reason.code == "record_signature_invalid"
    assert "no longer matches its signature" in reason.message
    assert result.events[1].claims is None


def test_history_event_of_another_batch() -> None:
    batch, events = history()
    foreign = event_claims(1, events[0][0], batch=bytes(8))
    events[1] = (sign_statement(COOP, foreign), foreign)
    result = check(batch, events)
    assert result.events[1].status is RecordStatus.VALID
    assert "chain_foreign_event" in [r.code for r in result.chain_reasons]


def test_history_record_signed_with_a_revoked_key() -> None:
    batch, events = history()
    trust = store(revocations=[revocation(COOP, ISSUED_AT + 90)])  # after event 1, before 2
    result = check(batch, events, trust)
    assert result.batch.status is RecordStatus.VALID
    assert [e.status for e in result.events] == [
        RecordStatus.VALID,
        RecordStatus.REVOKED,
        RecordStatus.REVOKED,
    ]
    assert [r.code for r in result.events[1].reasons] == ["key_revoked"]


def test_history_record_signed_outside_the_window() -> None:
    claims = batch_claims(iat=SIGN_FROM - 1)
    result = check((sign_statement(COOP, claims), claims), [])
    assert result.batch.status is RecordStatus.INVALID
    assert [r.code for r in result.batch.reasons] == ["outside_signing_window"]


def test_history_record_without_signing_time() -> None:
    claims = batch_claims()
    del claims["iat"]
    result = check((sign_statement(COOP, claims), claims), [])
    assert result.batch.status is RecordStatus.INVALID
    assert result.batch.reasons[0].message == "The stored batch record has no signing time."


def test_history_malformed_record() -> None:
    _, events = history()
    result = check((b"\x00", {}), events)
    assert result.batch.status is RecordStatus.INVALID
    assert [r.code for r in result.batch.reasons] == ["malformed_record"]


def test_history_event_stored_as_the_wrong_type() -> None:
    batch, events = history()
    result = check(batch, [batch, *events])
    assert result.events[0].status is RecordStatus.INVALID
    assert "expected an event statement, got batch" in result.events[0].reasons[0].message
    assert [r.code for r in result.chain_reasons] == ["chain_unverifiable"]


@pytest.mark.parametrize("real_first", [True, False])
def test_history_with_a_key_id_collision(real_first: bool) -> None:
    trust, real = _collision_store(real_first)
    batch, events = history()
    result = check(batch, events, trust)
    assert result.ok
    assert result.batch.signer == real
