"""Tem statements and the label token: layouts, strict parsing, named bad inputs, fuzzing."""

from __future__ import annotations

from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tem.crypto import base32, cbor, cose
from tem.crypto.keys import KeyId, key_id, raw_public
from tem.crypto.statements import (
    SERIAL_LENGTH,
    TOKEN_MAX_CHARS,
    TOKEN_MIN_CHARS,
    TYPE_KEY,
    BatchId,
    Serial,
    StatementError,
    StatementType,
    Token,
    TokenError,
    label_payload,
    parse_statement,
    parse_token,
    protected_header,
    stamp_payload,
    token_from_url,
    token_url,
)
from tem.verify.trust import Anchor, TrustStore
from tem.verify.verifier import TokenResult, Verdict, verify_token

COOP_KEY = Ed25519PrivateKey.from_private_bytes(bytes([0x21]) * 32)
AUTHORITY_KEY = Ed25519PrivateKey.from_private_bytes(bytes([0x22]) * 32)
BATCH = BatchId(bytes.fromhex("0011223344556677"))
ISSUED_AT = 1_742_005_800  # 2025-03-15T02:30:00Z


def kid_of(key: Ed25519PrivateKey) -> KeyId:
    return key_id(key.public_key())


def sign_payload(payload: bytes, key: Ed25519PrivateKey = COOP_KEY, **kwargs: Any) -> bytes:
    """Sign raw payload bytes: lets a test sign payloads Tem itself would never write."""
    return cose.sign1(key, payload, kid=kid_of(key), **kwargs)


def sign_claims(claims: dict[Any, Any], key: Ed25519PrivateKey = COOP_KEY) -> bytes:
    return sign_payload(cbor.encode(claims), key)


def label_bytes(batch: bytes = BATCH, issued_at: int = ISSUED_AT) -> bytes:
    return sign_payload(label_payload(BatchId(batch), issued_at))


def label_text(batch: bytes = BATCH, issued_at: int = ISSUED_AT) -> str:
    return base32.encode(label_bytes(batch, issued_at))


def envelope(protected: bytes, unprotected: dict[Any, Any], payload: bytes, sig: bytes) -> bytes:
    return cbor.encode([protected, unprotected, payload, sig])


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


# --- layout --------------------------------------------------------------------------


def test_protected_header_bytes() -> None:
    kid = KeyId(bytes.fromhex("0102030405060708"))
    assert protected_header(kid).hex() == "a20127044801020304050607" + "08"


def test_label_payload_bytes() -> None:
    assert label_payload(BATCH, ISSUED_AT).hex() == (
        "a3" + "0105" + "0248" + BATCH.hex() + "031a" + ISSUED_AT.to_bytes(4, "big").hex()
    )


def test_label_token_is_102_bytes_and_164_characters() -> None:
    raw = label_bytes()
    assert len(raw) == 102
    assert raw[:7].hex() == "844da201270448"
    assert raw[7:15] == kid_of(COOP_KEY)
    assert raw[15:22].hex() == "a053a301050248"
    assert raw[22:30] == BATCH
    assert raw[36:38].hex() == "5840"
    assert len(label_text()) == 164
    assert TOKEN_MIN_CHARS <= 164 <= TOKEN_MAX_CHARS


def test_label_token_verifies_as_cose_sign1() -> None:
    parsed = cose.parse_sign1(label_bytes(), allow_tag=False)
    cose.verify_signature(parsed, COOP_KEY.public_key())
    assert parsed.kid == kid_of(COOP_KEY)


def test_key_id_is_truncated_sha256_of_the_raw_public_key() -> None:
    # RFC 8032 §7.1 test 1's public key; its SHA-256 is 21fe31dfa154a261626bf854046fd227...
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert key_id(public).hex() == "21fe31dfa154a261"
    assert key_id(COOP_KEY.public_key()) == key_id(raw_public(COOP_KEY.public_key()))
    assert len(key_id(public)) == 8


# --- statements ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(StatementType))
def test_statement_round_trip(kind: StatementType) -> None:
    claims = {TYPE_KEY: kind, "iat": ISSUED_AT, "batch": bytes(BATCH), "note": "Mật ong", "x": None}
    raw = sign_claims(claims)
    statement = parse_statement(raw, kind)
    assert statement.type is kind
    assert statement.kid == kid_of(COOP_KEY)
    assert statement.claims == claims
    assert statement.raw == raw
    assert cbor.encode(statement.claims) == statement.envelope.payload
    cose.verify_signature(statement.envelope, COOP_KEY.public_key())


STATEMENT_REFUSALS: list[tuple[str, bytes, str]] = [
    (
        "tagged",
        sign_payload(label_payload(BATCH, ISSUED_AT), tagged=True),
        "not a Tem statement: CBOR uses a form Tem does not allow",
    ),
    (
        "extra_protected_header",
        sign_payload(label_payload(BATCH, ISSUED_AT), extra_protected={3: 0}),
        "unexpected COSE headers",
    ),
    (
        "unprotected_header_used",
        envelope(protected_header(kid_of(COOP_KEY)), {33: b"x"}, b"\xa0", bytes(64)),
        "unexpected COSE headers",
    ),
    (
        "kid_of_wrong_length",
        envelope(cbor.encode({1: -8, 4: b"1234567"}), {}, b"\xa0", bytes(64)),
        "unexpected COSE headers",
    ),
    (
        "kid_not_bytes",
        envelope(cbor.encode({1: -8, 4: "12345678"}), {}, b"\xa0", bytes(64)),
        "unexpected COSE headers",
    ),
    (
        "other_algorithm",
        envelope(cbor.encode({1: -7, 4: bytes(8)}), {}, b"\xa0", bytes(64)),
        "unexpected COSE headers",
    ),
    (
        "short_signature",
        envelope(protected_header(kid_of(COOP_KEY)), {}, b"\xa0", bytes(63)),
        "an Ed25519 signature is 64 bytes",
    ),
    (
        "detached_payload",
        envelope(protected_header(kid_of(COOP_KEY)), {}, None, bytes(64)),  # type: ignore[arg-type]
        "payload must be an attached byte string",
    ),
    (
        "three_items",
        cbor.encode([protected_header(kid_of(COOP_KEY)), {}, b"\xa0"]),
        "expected an array of four items",
    ),
    ("payload_not_a_map", sign_payload(cbor.encode([1, 5])), "payload must be a map"),
    ("unknown_type", sign_claims({TYPE_KEY: 99}), "unknown type"),
    ("type_as_text", sign_claims({TYPE_KEY: "5"}), "unknown type"),
    ("no_type", sign_claims({2: b"x"}), "unknown type"),
    (
        "non_deterministic_payload",
        sign_payload(bytes.fromhex("a2030401 02".replace(" ", "") + "05")),
        "statement payload is not valid",
    ),
    ("not_cbor", b"\xff\x00", "not well-formed CBOR"),
]


@pytest.mark.parametrize(
    ("raw", "message"),
    [(r, m) for _, r, m in STATEMENT_REFUSALS],
    ids=[n for n, _, _ in STATEMENT_REFUSALS],
)
def test_parse_statement_refuses(raw: bytes, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        parse_statement(raw)


def test_parse_statement_checks_the_expected_type() -> None:
    raw = sign_claims({TYPE_KEY: StatementType.BATCH, "iat": ISSUED_AT})
    with pytest.raises(StatementError, match="expected a label statement, got batch"):
        parse_statement(raw, StatementType.LABEL)


def test_parse_statement_refuses_a_non_deterministic_envelope() -> None:
    raw = label_bytes()
    # The signature's length written with a 2-byte argument (59 0040) instead of 58 40.
    longer = raw[:36] + bytes.fromhex("590040") + raw[38:]
    with pytest.raises(StatementError, match="not in deterministic encoding"):
        parse_statement(longer)


# --- label token -----------------------------------------------------------------------


def test_parse_token_round_trip() -> None:
    text = label_text()
    token = parse_token(text)
    assert isinstance(token, Token)
    assert token.text == text
    assert token.batch_id == BATCH
    assert token.issued_at == ISSUED_AT
    assert token.kid == kid_of(COOP_KEY)
    assert token.statement.type is StatementType.LABEL
    assert base32.decode(token.text) == token.statement.raw


@pytest.mark.parametrize(
    "spelling",
    [str.lower, str.upper, lambda t: f"  {t}\n", lambda t: t[:80].lower() + t[80:]],
    ids=["lower", "upper", "surrounded_by_space", "mixed_case"],
)
def test_parse_token_accepts_any_case_and_surrounding_space(spelling: Any) -> None:
    text = label_text()
    assert parse_token(spelling(text)).text == text


@pytest.mark.parametrize("issued_at", [0, 2**16, 2**32 - 1])
def test_parse_token_issued_at_bounds(issued_at: int) -> None:
    assert parse_token(label_text(issued_at=issued_at)).issued_at == issued_at


def test_token_url_and_back() -> None:
    text = label_text()
    url = token_url("https://tem.example/", text)
    assert url == f"HTTPS://TEM.EXAMPLE/T/{text}"
    assert token_from_url(url) == text
    assert token_from_url(url.lower() + "?utm=x#top") == text.lower()
    assert token_from_url(url + "/") == text
    assert token_from_url(url + "/?utm=x") == text
    assert token_from_url(url + "#a/b") == text
    assert token_from_url(f"  {text} ") == text


def _compact_batch_statement() -> str:
    """A batch-record statement (type 3) small enough to get past the length check."""
    claims = {TYPE_KEY: StatementType.BATCH, 2: bytes(BATCH), 3: ISSUED_AT}
    return base32.encode(sign_claims(claims))


def _label_with(claims: dict[Any, Any]) -> str:
    return base32.encode(sign_claims({TYPE_KEY: StatementType.LABEL, **claims}))


def _non_canonical_label() -> str:
    # issued-at written with an 8-byte argument (1b ...) where 4 bytes (1a ...) suffice.
    payload = (
        bytes.fromhex("a3010502") + cbor.encode(bytes(BATCH)) + b"\x03\x1b" + ISSUED_AT.to_bytes(8)
    )
    return base32.encode(sign_payload(payload))


def _truncated() -> str:
    return base32.encode(label_bytes()[:-5])  # the last 5 bytes of the signature are gone


TOKEN_REFUSALS: list[tuple[str, str, str]] = [
    ("not_base32", label_text()[:-1] + "1", "not Base32"),
    ("not_base32_padding", label_text()[:-4] + "====", "not Base32"),
    ("not_base32_inner_space", label_text()[:80] + " " + label_text()[80:], "not Base32"),
    ("too_short", label_text()[: TOKEN_MIN_CHARS - 1], "too short"),
    ("empty", "", "too short"),
    ("too_long", label_text() + "A" * (TOKEN_MAX_CHARS - 164 + 1), "too long"),
    ("truncated", _truncated(), "not well-formed CBOR"),
    ("truncated_text", label_text()[:-1], "length no Base32 text can have"),
    ("cut_mid_character", label_text()[:-3], "stray trailing bits|length no Base32"),
    (
        "flipped_payload_bit",
        base32.encode(flip_bit(label_bytes(), 19 * 8 + 7)),  # type 5 becomes 4
        "expected a label or stamp statement, got event",
    ),
    (
        "flipped_map_header_bit",
        base32.encode(flip_bit(label_bytes(), 17 * 8 + 7)),  # map(3) becomes map(2)
        "statement payload is not valid",
    ),
    (
        "flipped_envelope_bit",
        base32.encode(flip_bit(label_bytes(), 15 * 8 + 7)),  # {} becomes a map(1)
        "not well-formed CBOR|not in deterministic",
    ),
    (
        "wrong_statement_type",
        _compact_batch_statement(),
        "expected a label or stamp statement, got batch",
    ),
    (
        "batch_record_as_token",
        base32.encode(
            sign_claims({TYPE_KEY: StatementType.BATCH, "lot": "L" * 200, "iat": ISSUED_AT})
        ),
        "too long",
    ),
    ("extra_field", _label_with({2: bytes(BATCH), 3: ISSUED_AT, 4: 0}), "unexpected label fields"),
    ("missing_field", _label_with({2: bytes(BATCH), 4: ISSUED_AT}), "unexpected label fields"),
    ("text_keys", _label_with({"2": bytes(BATCH), "3": ISSUED_AT}), "unexpected label fields"),
    ("short_batch_id", _label_with({2: bytes(7), 3: ISSUED_AT}), "unexpected label fields"),
    ("batch_id_as_text", _label_with({2: "0011223344556677", 3: ISSUED_AT}), "unexpected label"),
    ("issued_at_as_bool", _label_with({2: bytes(BATCH), 3: True}), "unexpected label fields"),
    ("negative_issued_at", _label_with({2: bytes(BATCH), 3: -1}), "unexpected label fields"),
    ("issued_at_after_2106", _label_with({2: bytes(BATCH), 3: 2**32}), "unexpected label"),
    ("non_canonical_cbor", _non_canonical_label(), "not in deterministic encoding"),
    (
        "tagged",
        base32.encode(sign_payload(label_payload(BATCH, ISSUED_AT), tagged=True)),
        "does not allow",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"),
    [(t, m) for _, t, m in TOKEN_REFUSALS],
    ids=[n for n, _, _ in TOKEN_REFUSALS],
)
def test_parse_token_refuses(text: str, message: str) -> None:
    with pytest.raises(TokenError, match=message):
        parse_token(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [(t, m) for _, t, m in TOKEN_REFUSALS],
    ids=[n for n, _, _ in TOKEN_REFUSALS],
)
def test_verify_token_reports_a_refused_token_as_malformed(text: str, message: str) -> None:
    result = verify_token(text, _trust(), ISSUED_AT)
    assert result.verdict is Verdict.INVALID
    assert [r.code for r in result.reasons] == ["malformed_token"]
    assert result.token is None


def test_label_with_a_boolean_key_for_the_type_is_refused() -> None:
    text = base32.encode(sign_payload(cbor.encode({True: 5, 2: bytes(BATCH), 3: ISSUED_AT})))
    with pytest.raises(TokenError, match=r"boolean key"):
        parse_token(text)


# --- stamp token (type 6) --------------------------------------------------------------

SERIAL = Serial(bytes.fromhex("00112233445566778899"))


def stamp_bytes(serial: bytes = SERIAL) -> bytes:
    return sign_payload(stamp_payload(BATCH, ISSUED_AT, Serial(serial)))


def test_stamp_layout() -> None:
    raw = stamp_bytes()
    assert len(raw) == 115
    assert len(base32.encode(raw)) == 184 <= TOKEN_MAX_CHARS
    assert raw[15:23].hex() == "a0581fa401060248"
    assert raw[23:31] == BATCH
    assert raw[31:33].hex() == "031a"
    assert raw[37:39].hex() == "044a"
    assert raw[39:49] == SERIAL
    assert raw[49:51].hex() == "5840"


def test_stamp_round_trip_and_verdict() -> None:
    text = base32.encode(stamp_bytes())
    token = parse_token(text.lower())
    assert token.is_stamp
    assert token.serial == SERIAL
    assert (token.batch_id, token.issued_at, token.text) == (BATCH, ISSUED_AT, text)
    assert not parse_token(label_text()).is_stamp
    assert verify_token(text, TRUST, ISSUED_AT + 60).verdict is Verdict.GENUINE


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({2: bytes(BATCH), 3: ISSUED_AT, 4: bytes(SERIAL_LENGTH - 1)}, "unexpected stamp fields"),
        ({2: bytes(BATCH), 3: ISSUED_AT, 4: "0011223344"}, "unexpected stamp fields"),
        ({2: bytes(BATCH), 3: ISSUED_AT}, "unexpected stamp fields"),
        ({2: bytes(BATCH), 3: ISSUED_AT, 4: bytes(SERIAL), 5: 0}, "unexpected label fields"),
        ({2: bytes(7), 3: ISSUED_AT, 4: bytes(SERIAL)}, "unexpected label fields"),
    ],
    ids=["short_serial", "serial_as_text", "no_serial", "extra_field", "short_batch_id"],
)
def test_parse_token_refuses_a_bad_stamp(claims: dict[Any, Any], message: str) -> None:
    text = base32.encode(sign_claims({TYPE_KEY: StatementType.STAMP, **claims}))
    with pytest.raises(TokenError, match=message):
        parse_token(text)


def test_stamp_url_fits_qr_version_8_m_with_a_34_character_public_url() -> None:
    text = base32.encode(stamp_bytes())
    fits = segno.make_qr(token_url("https://" + "a" * 26, text), error="m", boost_error=False)
    assert (fits.mode, fits.version) == ("alphanumeric", 8)
    too_long = segno.make_qr(token_url("https://" + "a" * 27, text), error="m", boost_error=False)
    assert too_long.version == 9


def test_flipped_signature_bit_parses_but_does_not_verify() -> None:
    """A signature bit is not structure: parsing succeeds, verification fails."""
    text = base32.encode(flip_bit(label_bytes(), 102 * 8 - 1))
    token = parse_token(text)
    assert token.batch_id == BATCH
    result = verify_token(text, _trust(), ISSUED_AT)
    assert result.verdict is Verdict.INVALID
    assert [r.code for r in result.reasons] == ["bad_signature"]


# --- fuzzing ---------------------------------------------------------------------------


def _trust() -> TrustStore:
    """The cooperative key endorsed by a fixed authority, for the whole of 2025."""
    authority_public = raw_public(AUTHORITY_KEY.public_key())
    claims = {
        TYPE_KEY: StatementType.ENDORSEMENT,
        "iss": "authority",
        "kid": kid_of(COOP_KEY),
        "pub": raw_public(COOP_KEY.public_key()),
        "org": "coop",
        "org_name": "HTX",
        "sign_from": 1_735_689_600,
        "sign_until": 1_767_225_600,
        "verify_until": 1_893_456_000,
        "iat": 1_735_689_600,
    }
    anchor = Anchor(key_id(authority_public), authority_public, "Hội đồng OCOP", "authority")
    store = TrustStore.build([anchor], [sign_claims(claims, AUTHORITY_KEY)])
    assert not store.problems
    return store


TRUST = _trust()
GENUINE_TEXT = label_text()
GENUINE_BYTES = label_bytes()


def _outcome(text: str) -> Token | None:
    """parse_token's result, or None when it raised TokenError; anything else propagates."""
    try:
        return parse_token(text)
    except TokenError:
        return None


def _check_total(text: str) -> TokenResult:
    result = verify_token(text, TRUST, ISSUED_AT + 60)
    assert isinstance(result, TokenResult)
    if _outcome(text) is None:
        assert result.verdict is Verdict.INVALID
        assert result.reasons[0].code == "malformed_token"
    return result


def test_the_fuzzed_token_is_genuine() -> None:
    assert _check_total(GENUINE_TEXT).verdict is Verdict.GENUINE


@given(st.text(max_size=300))
@settings(max_examples=400)
def test_fuzz_arbitrary_text(text: str) -> None:
    _check_total(text)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=96, max_size=240))
@settings(max_examples=400)
def test_fuzz_arbitrary_base32_text(text: str) -> None:
    _check_total(text)


_alphabet_chars = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz")
_text_edit = st.tuples(
    st.sampled_from(["replace", "insert", "delete"]),
    st.integers(min_value=0, max_value=len(GENUINE_TEXT) - 1),
    _alphabet_chars | st.characters(),
)


@given(st.lists(_text_edit, min_size=1, max_size=4))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_mutated_token_text(edits: list[tuple[str, int, str]]) -> None:
    text = GENUINE_TEXT
    for op, position, char in edits:
        i = min(position, len(text) - 1) if text else 0
        if op == "replace":
            text = text[:i] + char + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + text[i + 1 :]
    result = _check_total(text)
    if text.strip().upper() != GENUINE_TEXT:
        assert result.verdict is not Verdict.GENUINE


_byte_edit = st.tuples(
    st.sampled_from(["flip", "replace", "insert", "delete"]),
    st.integers(min_value=0, max_value=len(GENUINE_BYTES) * 8 - 1),
    st.integers(min_value=0, max_value=255),
)


@given(st.lists(_byte_edit, min_size=1, max_size=4))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_mutated_token_bytes(edits: list[tuple[str, int, int]]) -> None:
    raw = bytearray(GENUINE_BYTES)
    for op, bit, value in edits:
        i = min(bit // 8, len(raw) - 1) if raw else 0
        if op == "flip" and raw:
            raw[i] ^= 0x80 >> (bit % 8)
        elif op == "replace" and raw:
            raw[i] = value
        elif op == "insert":
            raw.insert(i, value)
        elif raw:
            del raw[i]
    text = base32.encode(bytes(raw))
    result = _check_total(text)
    if bytes(raw) != GENUINE_BYTES:
        assert result.verdict is not Verdict.GENUINE
