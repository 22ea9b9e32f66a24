"""The test vectors in tests/vectors/ and the worked examples in docs/format.md.

Each vector is checked from its own fields (re-signing the claims with the fixed key
must give the same bytes, the verdict must be the one written down), and the files
and the examples must be exactly what tests/vectors/generate.py writes today.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tem.crypto import base32, cbor
from tem.crypto.keys import key_id, raw_public
from tem.crypto.statements import (
    BatchId,
    StatementType,
    digest,
    label_payload,
    parse_statement,
    parse_token,
    stamp_payload,
    token_url,
)
from tem.keys.service import sign_statement
from tem.verify.trust import Anchor, TrustStore
from tem.verify.verifier import verify_history, verify_token

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
FORMAT_DOC = ROOT / "docs" / "format.md"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


KEYS = {k["name"]: k for k in load("keys.json")["keys"]}
STATEMENTS = load("statements.json")["statements"]
TOKENS_FILE = load("tokens.json")
TOKENS = TOKENS_FILE["tokens"]
TOKENS_BY_NAME = {t["name"]: t for t in TOKENS}


def from_typed(value: Any) -> Any:
    """Typed JSON back to the CBOR data model (see statements.json "description")."""
    if isinstance(value, dict):
        if set(value) == {"bytes"}:
            return bytes.fromhex(value["bytes"])
        if set(value) == {"map"}:
            return {from_typed(k): from_typed(v) for k, v in value["map"]}
        raise ValueError(f"not typed JSON: {value!r}")
    if isinstance(value, list):
        return [from_typed(v) for v in value]
    return value


def private(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS[name]["seed_hex"]))


def trust() -> TrustStore:
    spec = TOKENS_FILE["trust"]
    anchors = [
        Anchor(
            key_id(bytes.fromhex(a["public_key_hex"])),
            bytes.fromhex(a["public_key_hex"]),
            a["name"],
            a["org"],
        )
        for a in spec["anchors"]
    ]
    return TrustStore.build(
        anchors,
        [bytes.fromhex(h) for h in spec["endorsements"]],
        [bytes.fromhex(h) for h in spec["revocations"]],
    )


# --- keys and statements ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KEYS))
def test_key_vector(name: str) -> None:
    key = KEYS[name]
    public = raw_public(private(name).public_key())
    assert public.hex() == key["public_key_hex"]
    assert hashlib.sha256(public).hexdigest() == key["sha256_public_key_hex"]
    assert key_id(public).hex() == key["kid_hex"] == key["sha256_public_key_hex"][:16]


@pytest.mark.parametrize("vector", STATEMENTS, ids=[s["name"] for s in STATEMENTS])
def test_statement_vector_is_reproduced_by_signing_its_claims(vector: dict[str, Any]) -> None:
    claims = from_typed(vector["claims"])
    assert cbor.encode(claims).hex() == vector["payload_hex"]
    raw = sign_statement(private(vector["signer"]), claims)
    assert raw.hex() == vector["statement_hex"]
    assert hashlib.sha256(raw).hexdigest() == vector["sha256_hex"]
    statement = parse_statement(raw, StatementType(vector["type"]))
    assert statement.claims == claims
    assert statement.kid.hex() == KEYS[vector["signer"]]["kid_hex"]


def test_trust_section_keeps_the_authority_endorsements_and_refuses_the_rogue_one() -> None:
    store = trust()
    assert store.problems == ["endorsement refused: not signed by a trusted authority"]
    endorsed = {bytes(k).hex() for k in store.endorsed}
    assert endorsed == {KEYS["cooperative"]["kid_hex"], KEYS["revoked"]["kid_hex"]}
    revoked = store.revoked_at(key_id(bytes.fromhex(KEYS["revoked"]["public_key_hex"])))
    assert revoked is not None


def test_trust_bundle_vector_gives_the_same_trust_store() -> None:
    spec = TOKENS_FILE["trust"]
    bundle = bytes.fromhex(spec["bundle_hex"])
    from_bundle = TrustStore.from_bundle(bundle)
    from_parts = trust()
    assert from_bundle.endorsed == from_parts.endorsed
    assert from_bundle.revocations == from_parts.revocations
    assert from_bundle.problems == from_parts.problems
    pinned = TrustStore.from_bundle(bundle, pinned_anchors={bytes(32)})
    assert pinned.anchors == {}
    assert pinned.endorsed == {}


def test_event_vectors_chain_to_the_batch_record() -> None:
    by_name = {s["name"]: s for s in STATEMENTS}
    batch = bytes.fromhex(by_name["batch_record"]["statement_hex"])
    events = [bytes.fromhex(by_name[n]["statement_hex"]) for n in ("event_0", "event_1")]
    claims = [parse_statement(e, StatementType.EVENT).claims for e in events]
    assert claims[0]["prev"] == digest(batch)
    assert claims[1]["prev"] == digest(events[0])
    assert [c["seq"] for c in claims] == [0, 1]

    batch_claims = parse_statement(batch, StatementType.BATCH).claims
    result = verify_history(
        batch,
        batch_claims,
        list(zip(events, claims, strict=True)),
        trust(),
        TOKENS_BY_NAME["genuine"]["now"],
        org_id=batch_claims["org"],
    )
    assert result.ok, (result.batch, result.events, result.chain_reasons)


# --- tokens ------------------------------------------------------------------------------

SIGNED_TOKENS = [t for t in TOKENS if "claims" in t]
MUTATED_TOKENS = [t for t in TOKENS if "mutation" in t]
URL_TOKENS = [t for t in TOKENS if t.get("url")]


@pytest.mark.parametrize("vector", SIGNED_TOKENS, ids=[t["name"] for t in SIGNED_TOKENS])
def test_token_vector_is_reproduced_by_signing_its_claims(vector: dict[str, Any]) -> None:
    claims = from_typed(vector["claims"])
    key = private(vector["signer"])
    raw = sign_statement(key, claims)
    assert raw.hex() == vector["token_hex"]
    # The services sign these payloads directly (tem.trace.service.create_batch for labels).
    if claims[1] == StatementType.LABEL:
        assert cbor.encode(claims) == label_payload(BatchId(claims[2]), claims[3])
        assert len(raw) == 102
    else:
        assert cbor.encode(claims) == stamp_payload(BatchId(claims[2]), claims[3], claims[4])
        assert len(raw) == 115
    assert base32.decode(vector["text"]) == raw
    if vector["url"] is not None:
        assert vector["text"] == base32.encode(raw)
        assert vector["url"] == token_url(TOKENS_FILE["public_url"], vector["text"])
    token = parse_token(vector["text"])
    assert (token.batch_id, token.issued_at) == (claims[2], claims[3])


@pytest.mark.parametrize("vector", MUTATED_TOKENS, ids=[t["name"] for t in MUTATED_TOKENS])
def test_mutated_token_vector_is_one_bit_away_from_its_base(vector: dict[str, Any]) -> None:
    base = bytearray(bytes.fromhex(TOKENS_BY_NAME[vector["derived_from"]]["token_hex"]))
    bit = vector["mutation"]["flip_bit"]
    base[bit // 8] ^= 0x80 >> (bit % 8)
    assert bytes(base).hex() == vector["token_hex"]
    assert base32.encode(bytes(base)) == vector["text"]


@pytest.mark.parametrize("vector", TOKENS, ids=[t["name"] for t in TOKENS])
def test_token_vector_verdict(vector: dict[str, Any]) -> None:
    result = verify_token(vector["text"], trust(), vector["now"])
    expected = vector["expected"]
    assert result.verdict.value == expected["verdict"]
    assert [r.code for r in result.reasons] == ([expected["reason"]] if expected["reason"] else [])


def test_vectors_cover_every_verdict_and_token_reason() -> None:
    verdicts = {t["expected"]["verdict"] for t in TOKENS}
    reasons = {t["expected"]["reason"] for t in TOKENS} - {None}
    assert verdicts == {"genuine", "invalid", "revoked", "unknown_key"}
    assert reasons == {
        "malformed_token",
        "unknown_key",
        "bad_signature",
        "issued_in_future",
        "outside_signing_window",
        "verification_window_ended",
        "key_revoked",
    }


@pytest.mark.parametrize("vector", URL_TOKENS, ids=[t["name"] for t in URL_TOKENS])
def test_token_url_fits_one_alphanumeric_qr_segment_at_version_8_m(vector: dict[str, Any]) -> None:
    url = vector["url"]
    assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", url)
    qr = segno.make_qr(url, error="m", boost_error=False)
    assert qr.mode == "alphanumeric"
    assert qr.error == "M"
    assert qr.version <= 8


# --- the generator and the spec -----------------------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tem_vectors_generate", VECTORS / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vector_files_and_format_doc_are_what_the_generator_writes() -> None:
    generated = _generator().build()
    assert set(generated) == {
        VECTORS / "keys.json",
        VECTORS / "statements.json",
        VECTORS / "tokens.json",
        FORMAT_DOC,
    }
    for path, content in generated.items():
        assert path.read_text(encoding="utf-8") == content, (
            f"{path.relative_to(ROOT)} is stale: run .venv/bin/python tests/vectors/generate.py"
        )


def _doc_without_space() -> str:
    return re.sub(r"\s+", "", FORMAT_DOC.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name", ["endorsement", "revocation", "batch_record", "event_0", "event_1"]
)
def test_worked_example_in_format_doc_is_the_vector(name: str) -> None:
    [vector] = [s for s in STATEMENTS if s["name"] == name]
    doc = _doc_without_space()
    assert vector["statement_hex"] in doc
    assert vector["sha256_hex"] in doc


@pytest.mark.parametrize("name", ["genuine", "stamp"])
def test_token_example_in_format_doc_is_the_vector(name: str) -> None:
    vector = TOKENS_BY_NAME[name]
    doc = _doc_without_space()
    assert vector["text"] in doc
    assert vector["url"] in doc
    assert vector["token_hex"] in doc
    text = FORMAT_DOC.read_text(encoding="utf-8")
    assert text.count("one alphanumeric segment, QR version 8, error correction M") == 2


def test_key_example_in_format_doc_is_the_vector() -> None:
    doc = _doc_without_space()
    for name in ("authority", "cooperative"):
        assert KEYS[name]["public_key_hex"] in doc
        assert KEYS[name]["seed_hex"] in doc
