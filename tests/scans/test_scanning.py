"""Public scans of stamps: recording, clone rules, key-leak alarm, void, recall, floods."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tem.crypto import base32
from tem.crypto.keys import key_id
from tem.crypto.statements import BatchId, Serial
from tem.keys.store import KeyStore
from tem.models import Alert, Batch, Organization, Scan, SigningKey, Stamp
from tem.scans.check import check
from tem.scans.service import ScanInput
from tem.stamps.tokens import StampSigner, stamp_token_text
from tests.conftest import PASSPHRASE, World
from tests.trace.test_flow import make_batch


def sessions(world: World):  # type: ignore[no-untyped-def]
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined]


def issue(
    world: World, count: int = 3, events: int = 1
) -> tuple[dict[str, object], list[dict[str, str]]]:
    batch = make_batch(world, events=events)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": count, "request_key": "t"},
        headers=world.a,
    ).json()
    export = world.client.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.a).text
    return batch, list(csv.DictReader(io.StringIO(export)))


def token_of(row: dict[str, str]) -> str:
    return row["url"].rsplit("/", 1)[1]


def scan(client: TestClient, token: str, cookie: str | None = None) -> dict[str, object]:
    client.cookies.clear()
    if cookie:
        client.cookies.set("tem_sid", cookie)
    response = client.post(f"/api/v1/scan/{token}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_stamp_scan_is_recorded_and_genuine(world: World) -> None:
    _, stamps = issue(world)
    body = scan(world.client, token_of(stamps[0]))
    assert body["verdict"] == "genuine", body["reasons"]
    assert body["stamp"]["serial"] == stamps[0]["serial"]  # type: ignore[index]
    assert body["stamp"]["scan_count"] == 1  # type: ignore[index]
    assert body["scan"]["recorded"] is True  # type: ignore[index]
    # the page records too, and sets an anonymous session cookie
    world.client.cookies.clear()
    page = world.client.get(f"/T/{token_of(stamps[0])}")
    assert page.status_code == 200
    assert "tem_sid" in page.cookies
    with sessions(world)() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 2
        stored = session.scalars(select(Scan)).first()
        assert stored is not None
        assert stored.session != page.cookies["tem_sid"]  # only an HMAC is stored
    # reading the verdict is not a scan
    world.client.get(f"/api/v1/verify/{token_of(stamps[0])}")
    with sessions(world)() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 2


def test_cloned_stamp_scanned_too_often_is_suspect(world: World) -> None:
    """Copies scanned again and again, hour after hour, from three networks."""
    _, stamps = issue(world)
    token = token_of(stamps[1])
    state = world.client.app.state.tem  # type: ignore[attr-defined]
    start = datetime.now(UTC)

    def one(hour: int) -> str:
        with state.sessions() as session:
            result = check(
                session,
                token,
                state.trust(session),
                scan=ScanInput("same-browser-cookie-01", "Mozilla/5.0", network=f"net-{hour % 3}"),
                secret=state.secret,
                now=start + timedelta(hours=hour),
            )
            session.commit()
            return result.verdict.value

    assert [one(hour) for hour in range(25)] == ["genuine"] * 25
    assert one(25) == "suspect"
    body = world.client.get(f"/api/v1/verify/{token}").json()
    findings = body["findings"]
    assert [f["rule"] for f in findings] == ["too_many_scans"]
    assert "Scanned 26 times" in findings[0]["message"]
    with sessions(world)() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.kind.value == "suspect_stamp"
    # the other stamps of the batch are not affected
    assert scan(world.client, token_of(stamps[0]))["verdict"] == "genuine"


def test_cloned_stamp_scanned_by_many_phones_is_suspect(world: World) -> None:
    _, stamps = issue(world)
    token = token_of(stamps[0])
    verdicts = [scan(world.client, token, f"phone-number-{i:04d}-xx")["verdict"] for i in range(7)]
    assert verdicts == ["genuine"] * 6 + ["suspect"]


def test_inspections_never_count(world: World) -> None:
    _, stamps = issue(world)
    token = token_of(stamps[0])
    inspector = world.auth(world.inspector_token)
    for _ in range(30):
        response = world.client.get(f"/api/v1/inspect/{token}", headers=inspector)
        assert response.status_code == 200
    assert scan(world.client, token)["verdict"] == "genuine"
    assert world.client.get(f"/api/v1/inspect/{token}", headers=world.a).status_code == 403


def _coop_signer(world: World, batch_id: str) -> tuple[StampSigner, bytes]:
    store = KeyStore(world.settings.keys_dir, PASSPHRASE.encode())
    with sessions(world)() as session:
        org = session.scalars(
            select(Organization).where(Organization.public_id == world.coop_a)
        ).one()
        key = session.scalars(select(SigningKey).where(SigningKey.organization_id == org.id)).one()
        signer = StampSigner(
            store.load(key.store_name),
            key_id(key.public_key),
            BatchId(bytes.fromhex(batch_id)),
            int(datetime.now(UTC).timestamp()),
        )
        return signer, key.kid


def test_valid_signature_on_a_serial_never_issued_is_a_key_leak(world: World) -> None:
    batch, _ = issue(world)
    signer, kid = _coop_signer(world, str(batch["id"]))
    serial = Serial(b"\x01" * 10)
    forged = stamp_token_text(
        signer.kid, signer.batch_id, signer.issued_at, serial, signer.sign(serial)
    )
    body = scan(world.client, forged)
    assert body["verdict"] == "invalid"
    assert [f["rule"] for f in body["findings"]] == ["key_leak"]  # type: ignore[union-attr]
    page = world.client.get(f"/T/{forged}")
    assert page.status_code == 200
    with sessions(world)() as session:
        alert = session.scalars(select(Alert)).one()  # the same leak raises one alert, not two
        assert alert.kind.value == "key_leak"
        assert alert.severity == "critical"
        assert alert.kid == kid


def test_guessing_serials_reveals_nothing(world: World) -> None:
    """A token with a bad signature is answered before any lookup: existing or not, same answer."""
    batch, stamps = issue(world)
    real = bytearray(base32.decode(token_of(stamps[0])))
    real[-1] ^= 0x01  # an issued serial, forged signature
    guessed_signer, _ = _coop_signer(world, str(batch["id"]))
    fake_serial = Serial(b"\x02" * 10)
    other = ed25519.Ed25519PrivateKey.generate().sign(b"x")
    guessed = stamp_token_text(
        guessed_signer.kid, guessed_signer.batch_id, guessed_signer.issued_at, fake_serial, other
    )
    a = scan(world.client, base32.encode(bytes(real)))
    b = scan(world.client, guessed)
    for body in (a, b):
        assert body["verdict"] == "invalid"
        assert body["stamp"] is None
        assert body["batch"] is None
        assert body["scan"] is None
    assert a["reasons"] == b["reasons"]
    with sessions(world)() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0
        assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_void_stamp(world: World) -> None:
    _, stamps = issue(world)
    voided = world.client.post(
        "/api/v1/stamps/void",
        json={"serials": [stamps[2]["serial"]], "reason": "tem in lỗi"},
        headers=world.a,
    )
    assert voided.json() == {"voided": 1}
    body = scan(world.client, token_of(stamps[2]))
    assert body["verdict"] == "void"
    assert body["stamp"]["void_reason"] == "tem in lỗi"  # type: ignore[index]
    inspector = world.auth(world.inspector_token)
    ranged = world.client.post(
        "/api/v1/stamps/void",
        json={"run_id": _run_of(world), "from_seq": 1, "to_seq": 2, "reason": "lô in hỏng"},
        headers=inspector,
    )
    assert ranged.json() == {"voided": 2}
    assert scan(world.client, token_of(stamps[0]))["verdict"] == "void"


def _run_of(world: World) -> str:
    with sessions(world)() as session:
        from tem.models import PrintRun

        return session.scalars(select(PrintRun.public_id)).one()


def test_recalled_batch_shows_on_labels_and_stamps(world: World) -> None:
    batch, stamps = issue(world)
    with sessions(world)() as session:
        session.execute(
            update(Batch).values(recalled_at=datetime.now(UTC), recall_reason="nhiễm nấm mốc")
        )
        session.commit()
    for token in (token_of(stamps[0]), str(batch["token"])):
        body = scan(world.client, token)
        assert body["verdict"] == "recalled"
        assert body["batch"]["recall"]["reason"] == "nhiễm nấm mốc"  # type: ignore[index]


def test_flooding_client_gets_429_and_still_a_verdict(settings, world: World) -> None:  # type: ignore[no-untyped-def]
    from tem.web.app import create_app

    app = create_app(settings.model_copy(update={"scan_rate_per_minute": 3}))
    _, stamps = issue(world)
    token = token_of(stamps[0])
    with TestClient(app) as client:
        codes = [client.post(f"/api/v1/scan/{token}").status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        flooded = client.post(f"/api/v1/scan/{token}")
        assert flooded.status_code == 429
        assert int(flooded.headers["Retry-After"]) >= 1
        assert flooded.json()["verdict"] == "genuine"
        assert flooded.json()["scan"] is None
        page = client.get(f"/T/{token}", headers={"Sec-Fetch-Dest": "document"})
        assert page.status_code == 429
        assert "Retry-After" in page.headers
    app.state.tem.engine.dispose()
    with sessions(world)() as session:
        assert session.scalar(select(Stamp.scan_count).where(Stamp.seq == 1)) == 3


def test_fifty_concurrent_scans_are_all_counted(world: World) -> None:
    _, stamps = issue(world)
    token = token_of(stamps[0])
    state = world.client.app.state.tem  # type: ignore[attr-defined]
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            with state.sessions() as session:
                check(
                    session,
                    token,
                    state.trust(session),
                    scan=ScanInput(f"concurrent-cookie-{i:03d}", "Mozilla/5.0"),
                    secret=state.secret,
                )
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions(world)() as session:
        assert session.scalar(select(Stamp.scan_count).where(Stamp.seq == 1)) == 50
        assert session.scalar(select(func.count()).select_from(Scan)) == 50


@pytest.mark.parametrize("lat", [91.0, -91.0])
def test_bad_scan_bodies(world: World, lat: float) -> None:
    _, stamps = issue(world)
    response = world.client.post(
        f"/api/v1/scan/{token_of(stamps[0])}", json={"lat": lat, "lon": 10}
    )
    assert response.status_code == 422


def test_shared_place_is_coarse(world: World) -> None:
    _, stamps = issue(world)
    body = world.client.post(
        f"/api/v1/scan/{token_of(stamps[0])}", json={"lat": 21.70512, "lon": 104.87321}
    ).json()
    assert body["scan"]["recorded"]
    with sessions(world)() as session:
        row = session.scalars(select(Scan)).one()
        assert (row.lat, row.lon) == (21.7, 104.9)
