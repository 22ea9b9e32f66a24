"""Attacks on labels and stored records: every one gets a clear verdict, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import delete, select, update

from tem.crypto import base32, cose
from tem.crypto.keys import key_id
from tem.crypto.statements import BatchId, label_payload
from tem.keys import service as keys
from tem.keys.store import KeyStore
from tem.models import Batch, Event, Organization, SigningKey
from tests.conftest import PASSPHRASE, World
from tests.trace.test_flow import make_batch


def verify(world: World, token: str) -> dict[str, object]:
    response = world.client.get(f"/api/v1/verify/{token}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def codes(body: dict[str, object]) -> set[str]:
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    return {r["code"] for r in reasons}


def sessions(world: World):  # type: ignore[no-untyped-def]
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined]


def flip(token: str, byte_index: int) -> str:
    raw = bytearray(base32.decode(token))
    raw[byte_index] ^= 0x01
    return base32.encode(bytes(raw))


@pytest.mark.parametrize(
    ("name", "mangle"),
    [
        ("not_base32", lambda t: t[:-3] + "!!!"),
        ("lowercase_garbage", lambda t: "hello-world"),
        ("too_short", lambda t: t[:40]),
        ("too_long", lambda t: t + "A" * 200),
        ("truncated", lambda t: t[:-9]),
        ("flipped_signature_bit", lambda t: flip(t, -5)),
        ("flipped_payload_bit", lambda t: flip(t, 25)),
    ],
)
def test_bad_tokens_are_invalid_not_500(world: World, name: str, mangle) -> None:  # type: ignore[no-untyped-def]
    token = str(make_batch(world, events=1)["token"])
    body = verify(world, mangle(token))
    assert body["verdict"] == "invalid", name
    assert body["reasons"], name
    page = world.client.get(f"/T/{mangle(token)}")
    assert page.status_code == 200
    assert "genuine" not in page.text.lower() or "not" in page.text.lower()


def _forge(world: World, private: ed25519.Ed25519PrivateKey, batch_id: str, issued_at: int) -> str:
    payload = label_payload(BatchId(bytes.fromhex(batch_id)), issued_at)
    return base32.encode(cose.sign1(private, payload, kid=key_id(private.public_key())))


def test_unknown_key(world: World) -> None:
    batch = make_batch(world, events=0)
    forged = _forge(
        world,
        ed25519.Ed25519PrivateKey.generate(),
        str(batch["id"]),
        int(datetime.now(UTC).timestamp()),
    )
    body = verify(world, forged)
    assert body["verdict"] == "unknown_key"
    assert codes(body) == {"unknown_key"}
    assert body["product"] is None  # nothing about the batch leaks


def _coop_key(world: World) -> tuple[SigningKey, ed25519.Ed25519PrivateKey]:
    store = KeyStore(world.settings.keys_dir, PASSPHRASE.encode())
    with sessions(world)() as session:
        org = session.scalars(
            select(Organization).where(Organization.public_id == world.coop_a)
        ).one()
        key = session.scalars(select(SigningKey).where(SigningKey.organization_id == org.id)).one()
        return key, store.load(key.store_name)


def test_signed_outside_the_signing_window(world: World) -> None:
    batch = make_batch(world, events=0)
    _, private = _coop_key(world)
    before = int((datetime.now(UTC) - timedelta(days=30)).timestamp())
    body = verify(world, _forge(world, private, str(batch["id"]), before))
    assert body["verdict"] == "invalid"
    assert codes(body) == {"outside_signing_window"}


def test_signed_in_the_future(world: World) -> None:
    batch = make_batch(world, events=0)
    _, private = _coop_key(world)
    later = int((datetime.now(UTC) + timedelta(days=3)).timestamp())
    assert codes(verify(world, _forge(world, private, str(batch["id"]), later))) == {
        "issued_in_future"
    }


def test_valid_signature_for_a_batch_that_does_not_exist(world: World) -> None:
    make_batch(world, events=0)
    _, private = _coop_key(world)
    body = verify(world, _forge(world, private, "00" * 8, int(datetime.now(UTC).timestamp())))
    assert body["verdict"] == "invalid"
    assert codes(body) == {"record_not_found"}


def test_revoked_key(world: World) -> None:
    batch = make_batch(world, events=1)
    key, _ = _coop_key(world)
    issued = datetime.fromisoformat(str(batch["issued_at"]).replace("Z", "+00:00"))
    # revoked after the label was signed: the label stays valid
    later = (issued + timedelta(seconds=5)).isoformat()
    response = world.client.post(
        f"/api/v1/keys/{key.kid.hex()}/revoke",
        json={"reason": "máy tính bị mất", "revoked_at": later},
        headers=world.root,
    )
    assert response.status_code == 200, response.text
    assert verify(world, str(batch["token"]))["verdict"] == "genuine"
    # a second revocation is a conflict; revoking "before the label" needs a new key
    again = world.client.post(
        f"/api/v1/keys/{key.kid.hex()}/revoke", json={"reason": "x"}, headers=world.root
    )
    assert again.status_code == 409


def test_revoked_before_issue(world: World) -> None:
    batch = make_batch(world, events=1)
    key, _ = _coop_key(world)
    issued = datetime.fromisoformat(str(batch["issued_at"]).replace("Z", "+00:00"))
    earlier = (issued - timedelta(seconds=1)).isoformat()
    response = world.client.post(
        f"/api/v1/keys/{key.kid.hex()}/revoke",
        json={"reason": "khóa bị lộ", "revoked_at": earlier},
        headers=world.root,
    )
    assert response.status_code == 200
    body = verify(world, str(batch["token"]))
    assert body["verdict"] == "revoked"
    assert "key_revoked" in codes(body)
    # and no new batch can be signed with it
    product = world.client.get("/api/v1/products", headers=world.a).json()[0]
    from tests.conftest import batch_body

    refused = world.client.post(
        "/api/v1/batches", json=batch_body(product["id"], "NEW-1"), headers=world.a
    )
    assert refused.status_code == 409
    assert "no endorsed signing key" in refused.json()["message"]


def test_batch_row_changed_in_the_database(world: World) -> None:
    batch = make_batch(world, events=2)
    with sessions(world)() as session:
        session.execute(
            update(Batch)
            .where(Batch.public_id == bytes.fromhex(str(batch["id"])))
            .values(quantity="5000")
        )
        session.commit()
    body = verify(world, str(batch["token"]))
    assert body["verdict"] == "invalid"
    assert "record_mismatch" in codes(body)
    assert "no longer matches its signature" in str(body["reasons"])
    assert body["batch"]["record"]["status"] == "tampered"  # type: ignore[index]
    assert body["batch"]["quantity"] == "500"  # type: ignore[index]  # what was signed, not the forgery


def test_batch_statement_bytes_replaced(world: World) -> None:
    batch = make_batch(world, events=1)
    with sessions(world)() as session:
        row = session.scalars(select(Batch)).one()
        raw = bytearray(row.statement)
        raw[-1] ^= 0xFF
        row.statement = bytes(raw)
        session.commit()
    body = verify(world, str(batch["token"]))
    assert body["verdict"] == "invalid"
    assert "record_signature_invalid" in codes(body)


def test_event_row_changed_in_the_database(world: World) -> None:
    batch = make_batch(world, events=3)
    with sessions(world)() as session:
        session.execute(update(Event).where(Event.seq == 1).values(place_name="Trung Quốc"))
        session.commit()
    body = verify(world, str(batch["token"]))
    assert body["verdict"] == "invalid"
    history = body["history"]
    assert isinstance(history, list)
    assert [e["status"] for e in history] == ["valid", "tampered", "valid"]


def test_event_removed_from_the_middle(world: World) -> None:
    batch = make_batch(world, events=4)
    with sessions(world)() as session:
        session.execute(delete(Event).where(Event.seq == 1))
        session.commit()
    body = verify(world, str(batch["token"]))
    assert body["verdict"] == "invalid"
    assert {"chain_gap", "chain_broken"} <= codes(body)


def test_trust_bundle_is_public_cbor(world: World) -> None:
    from tem.crypto import cbor

    response = world.client.get("/api/v1/trust-bundle")
    assert response.status_code == 200
    bundle = cbor.decode(response.content)
    assert len(bundle["anchors"]) == 1
    assert len(bundle["endorsements"]) == 2


def test_key_listing_never_shows_private_material(world: World) -> None:
    listing = world.client.get("/api/v1/keys", headers=world.root)
    assert listing.status_code == 200
    text = listing.text.lower()
    assert "private" not in text
    assert "store_name" not in text
    assert ".pem" not in text
    _, private = _coop_key(world)
    from cryptography.hazmat.primitives import serialization

    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert raw.hex() not in text


def test_key_files_are_encrypted_and_0600(world: World) -> None:
    files = list(world.settings.keys_dir.iterdir())
    assert len(files) == 3  # root + two cooperatives
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600
        assert json.loads(path.read_bytes())["format"] == "tem-key/1"  # scrypt + AES-GCM
    assert world.settings.keys_dir.stat().st_mode & 0o777 == 0o700


def test_wrong_passphrase_is_a_clear_error(world: World) -> None:
    from tem.errors import KeyStoreError

    key, _ = _coop_key(world)
    with pytest.raises(KeyStoreError, match="TEM_KEY_PASSPHRASE is not the one"):
        KeyStore(world.settings.keys_dir, b"wrong passphrase!!").load(key.store_name)


def test_endorsement_windows_validated(world: World) -> None:
    bad = world.client.post(
        f"/api/v1/organizations/{world.coop_a}/keys",
        json={"sign_days": 400, "verify_days": 300},
        headers=world.root,
    )
    assert bad.status_code == 422
    assert keys.Windows.from_days(datetime.now(UTC), 1, 1).sign_until > datetime.now(UTC)
