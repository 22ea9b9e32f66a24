"""tem.crypto.cose against the cose-wg/Examples EdDSA and Sign1 cases (RFC 9052, RFC 9053).

The examples live outside the project (DESIGN.md, "Conformance material"): they are
found through ``TEM_CONFORMANCE_DIR`` and the tests are skipped where they are absent.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tem.crypto import cose

DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
CONFORMANCE = Path(os.environ.get("TEM_CONFORMANCE_DIR") or DEFAULT_DIR)
COSE_DIR = CONFORMANCE / "cose"

PASS_CASES = ["sign-pass-01.json", "sign-pass-02.json", "sign-pass-03.json"]
# Each failing case with the message our parser or verifier must give for it.
FAIL_CASES = {
    "sign-fail-01.json": "unexpected CBOR tag 998",
    "sign-fail-02.json": "signature does not verify",
    "sign-fail-03.json": "unsupported COSE algorithm -999",
    "sign-fail-04.json": "unsupported COSE algorithm 'unknown'",
    "sign-fail-06.json": "signature does not verify",
    "sign-fail-07.json": "signature does not verify",
}


def load_example(relative: str) -> dict[str, Any]:
    path = COSE_DIR / relative
    if not path.is_file():
        pytest.skip(f"cose-wg example {relative} not found in {COSE_DIR} (set TEM_CONFORMANCE_DIR)")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def unhex(text: str) -> bytes:
    return bytes.fromhex(text)


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def p256_key(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url(jwk["x"]), "big"),
        int.from_bytes(b64url(jwk["y"]), "big"),
        ec.SECP256R1(),
    )
    return numbers.public_key()


def plaintext(example: dict[str, Any]) -> bytes:
    return str(example["input"]["plaintext"]).encode("utf-8")


# --- EdDSA, COSE_Sign1 --------------------------------------------------------------


def test_eddsa_sig_01_ed25519_sign1_is_reproduced_byte_for_byte() -> None:
    example = load_example("eddsa-examples/eddsa-sig-01.json")
    key = example["input"]["sign0"]["key"]
    private = ed25519.Ed25519PrivateKey.from_private_bytes(unhex(key["d_hex"]))
    public = ed25519.Ed25519PublicKey.from_public_bytes(unhex(key["x_hex"]))
    assert private.public_key() == public

    # The example's protected header is {1: -8 (EdDSA), 3: 0 (content type)}.
    protected = cose.encode_protected(
        {cose.HEADER_ALG: cose.ALG_EDDSA, cose.HEADER_CONTENT_TYPE: 0}
    )
    assert protected == unhex("A201270300")
    to_be_signed = cose.sig_structure(protected, plaintext(example))
    assert to_be_signed == unhex(example["intermediates"]["ToBeSign_hex"])

    # The kid sits in the unprotected header here, which cose.sign1 never does: build by hand.
    signature = private.sign(to_be_signed)
    message = cbor2.dumps(
        cbor2.CBORTag(
            cose.COSE_SIGN1_TAG,
            [protected, {cose.HEADER_KID: b"11"}, plaintext(example), signature],
        )
    )
    assert message == unhex(example["output"]["cbor"])

    parsed = cose.parse_sign1(message)
    assert parsed.protected_bytes == protected
    assert parsed.alg == cose.ALG_EDDSA
    assert parsed.kid == b"11"
    assert parsed.payload == plaintext(example)
    cose.verify_signature(parsed, public)


def test_eddsa_sig_01_refuses_a_changed_payload() -> None:
    example = load_example("eddsa-examples/eddsa-sig-01.json")
    public = ed25519.Ed25519PublicKey.from_public_bytes(
        unhex(example["input"]["sign0"]["key"]["x_hex"])
    )
    parsed = cose.parse_sign1(unhex(example["output"]["cbor"]))
    altered = cose.Sign1(
        parsed.protected_bytes,
        parsed.protected,
        parsed.unprotected,
        parsed.payload + b"!",
        parsed.signature,
    )
    with pytest.raises(cose.CoseError, match="signature does not verify"):
        cose.verify_signature(altered, public)


def test_eddsa_sig_01_refuses_the_untagged_form_when_tags_are_disallowed() -> None:
    example = load_example("eddsa-examples/eddsa-sig-01.json")
    with pytest.raises(cose.CoseError, match="unexpected CBOR tag 18"):
        cose.parse_sign1(unhex(example["output"]["cbor"]), allow_tag=False)


def test_eddsa_sig_02_ed448_sign1_verifies_and_is_reproduced() -> None:
    example = load_example("eddsa-examples/eddsa-sig-02.json")
    key = example["input"]["sign0"]["key"]
    public = ed448.Ed448PublicKey.from_public_bytes(unhex(key["x_hex"]))
    message = unhex(example["output"]["cbor"])

    parsed = cose.parse_sign1(message)
    assert parsed.protected_bytes == unhex("A10127")
    assert parsed.kid == b"ed448"
    to_be_signed = cose.sig_structure(parsed.protected_bytes, parsed.payload)
    assert to_be_signed == unhex(example["intermediates"]["ToBeSign_hex"])
    cose.verify_signature(parsed, public)

    # Ed448 is deterministic too (RFC 8032 §5.2.6): the same key gives the same signature.
    private = ed448.Ed448PrivateKey.from_private_bytes(unhex(key["d_hex"]))
    assert private.sign(to_be_signed) == parsed.signature


def test_eddsa_sig_02_refuses_an_ed25519_key_of_the_wrong_curve() -> None:
    example = load_example("eddsa-examples/eddsa-sig-02.json")
    parsed = cose.parse_sign1(unhex(example["output"]["cbor"]))
    other = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(cose.CoseError, match="signature does not verify"):
        cose.verify_signature(parsed, other)


# --- EdDSA, COSE_Sign (multi-signer, tag 98) ------------------------------------------


@pytest.mark.parametrize(
    ("name", "curve"),
    [("eddsa-01.json", "Ed25519"), ("eddsa-02.json", "Ed448")],
)
def test_eddsa_cose_sign_signer_to_be_signed_and_signature(name: str, curve: str) -> None:
    example = load_example(f"eddsa-examples/{name}")
    signer = example["input"]["sign"]["signers"][0]
    assert signer["key"]["crv"] == curve
    message = cbor2.loads(unhex(example["output"]["cbor"]))
    assert isinstance(message, cbor2.CBORTag)
    assert message.tag == 98
    body_protected, _, payload, signers = message.value
    assert len(signers) == 1
    sign_protected, sign_unprotected, signature = signers[0]
    assert sign_unprotected[cose.HEADER_KID] == signer["key"]["kid"].encode()

    to_be_signed = cose.sig_structure(
        body_protected, payload, context="Signature", sign_protected=sign_protected
    )
    assert to_be_signed == unhex(example["intermediates"]["signers"][0]["ToBeSign_hex"])

    private: ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
    if curve == "Ed25519":
        private = ed25519.Ed25519PrivateKey.from_private_bytes(unhex(signer["key"]["d_hex"]))
        public_25519 = ed25519.Ed25519PublicKey.from_public_bytes(unhex(signer["key"]["x_hex"]))
        public_25519.verify(signature, to_be_signed)
        with pytest.raises(InvalidSignature):
            public_25519.verify(signature, to_be_signed + b"\x00")
    else:
        private = ed448.Ed448PrivateKey.from_private_bytes(unhex(signer["key"]["d_hex"]))
        public_448 = ed448.Ed448PublicKey.from_public_bytes(unhex(signer["key"]["x_hex"]))
        public_448.verify(signature, to_be_signed)
        with pytest.raises(InvalidSignature):
            public_448.verify(signature, to_be_signed + b"\x00")
    assert private.sign(to_be_signed) == signature


# --- Sign1 pass and fail cases (ES256) -------------------------------------------------


@pytest.mark.parametrize("name", PASS_CASES)
def test_sign1_pass_case_parses_and_verifies(name: str) -> None:
    example = load_example(f"sign1-tests/{name}")
    sign0 = example["input"]["sign0"]
    external = unhex(sign0.get("external", ""))
    message = unhex(example["output"]["cbor"])

    parsed = cose.parse_sign1(message)
    assert parsed.alg == cose.ALG_ES256
    assert parsed.kid == b"11"
    assert parsed.payload == plaintext(example)
    # sign-pass-01 sends an empty protected map as h'a0'; it is signed as h'' (RFC 9052 §4.4).
    signed_protected = parsed.protected_bytes if parsed.protected else b""
    to_be_signed = cose.sig_structure(signed_protected, parsed.payload, external)
    assert to_be_signed == unhex(example["intermediates"]["ToBeSign_hex"])
    cose.verify_signature(parsed, p256_key(sign0["key"]), external)


def test_sign1_pass_02_needs_its_external_aad() -> None:
    example = load_example("sign1-tests/sign-pass-02.json")
    parsed = cose.parse_sign1(unhex(example["output"]["cbor"]))
    with pytest.raises(cose.CoseError, match="signature does not verify"):
        cose.verify_signature(parsed, p256_key(example["input"]["sign0"]["key"]))


def test_sign1_pass_03_is_untagged() -> None:
    example = load_example("sign1-tests/sign-pass-03.json")
    message = unhex(example["output"]["cbor"])
    assert message[0] == 0x84  # an array, no tag 18 in front
    cose.verify_signature(
        cose.parse_sign1(message, allow_tag=False), p256_key(example["input"]["sign0"]["key"])
    )


def test_sign1_es256_refuses_an_eddsa_key() -> None:
    example = load_example("sign1-tests/sign-pass-03.json")
    parsed = cose.parse_sign1(unhex(example["output"]["cbor"]))
    other = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(cose.CoseError, match="does not match the key type"):
        cose.verify_signature(parsed, other)


@pytest.mark.parametrize(("name", "message"), sorted(FAIL_CASES.items()))
def test_sign1_fail_case_is_refused(name: str, message: str) -> None:
    example = load_example(f"sign1-tests/{name}")
    assert example["fail"] is True
    public = p256_key(example["input"]["sign0"]["key"])
    with pytest.raises(cose.CoseError, match=message):
        cose.verify_signature(cose.parse_sign1(unhex(example["output"]["cbor"])), public)


@pytest.mark.parametrize("name", sorted(FAIL_CASES))
def test_sign1_fail_case_fails_only_because_of_its_mutation(name: str) -> None:
    """The signature is good over the example's ToBeSign: the mutation alone makes it fail."""
    example = load_example(f"sign1-tests/{name}")
    public = p256_key(example["input"]["sign0"]["key"])
    raw = cbor2.loads(unhex(example["output"]["cbor"]))
    assert isinstance(raw, cbor2.CBORTag)
    protected, _, payload, signature = raw.value
    original = unhex(example["intermediates"]["ToBeSign_hex"])
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    public.verify(encode_dss_signature(r, s), original, ec.ECDSA(hashes.SHA256()))
    rebuilt = cose.sig_structure(protected, payload)
    if "ChangeCBORTag" in example["input"]["failures"]:
        assert rebuilt == original  # only the tag differs
    else:
        assert rebuilt != original  # the header or payload was changed after signing


def test_every_sign1_example_on_disk_is_covered() -> None:
    folder = COSE_DIR / "sign1-tests"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found (set TEM_CONFORMANCE_DIR)")
    on_disk = {p.name for p in folder.glob("*.json")}
    assert on_disk == set(PASS_CASES) | set(FAIL_CASES)
