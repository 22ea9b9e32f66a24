"""The inspector's side: alerts, scan history, recall, over the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tem.config import Settings
from tem.crypto.keys import key_id
from tem.crypto.statements import BatchId, Serial
from tem.keys.store import KeyStore
from tem.models import Batch, Organization, SigningKey
from tem.stamps.tokens import StampSigner, stamp_token_text
from tests.conftest import PASSPHRASE, World
from tests.trace.test_flow import make_batch


def sessions(world: World):  # type: ignore[no-untyped-def]
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined]


def issue(
    world: World, count: int = 3, lot: str = "ST-2026-01"
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    batch = make_batch(world, events=1, lot=lot)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": count, "request_key": f"run-{lot}"},
        headers=world.a,
    ).json()
    export = world.client.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.a).text
    return batch, list(csv.DictReader(io.StringIO(export)))


def token_of(row: dict[str, str]) -> str:
    return row["url"].rsplit("/", 1)[1]


def scan(
    client: TestClient, token: str, cookie: str, place: tuple[float, float] | None = None
) -> dict[str, Any]:
    client.cookies.clear()
    client.cookies.set("tem_sid", cookie)
    body = {"lat": place[0], "lon": place[1]} if place else None
    response = client.post(f"/api/v1/scan/{token}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def suspect_alert(world: World, token: str) -> dict[str, Any]:
    """Seven phones scanning one stamp: a copied stamp, and its alert."""
    for i in range(7):
        scan(world.client, token, f"many-phones-{i:04d}-x")
    inspector = world.auth(world.inspector_token)
    [alert] = world.client.get("/api/v1/alerts", headers=inspector).json()
    return dict(alert)


# --- alerts -------------------------------------------------------------------------------


def test_alerts_are_seen_by_their_cooperative_and_closed_by_inspectors(world: World) -> None:
    _, stamps = issue(world)
    alert = suspect_alert(world, token_of(stamps[0]))
    assert alert["kind"] == "suspect_stamp"
    assert alert["stamp_serial"] == stamps[0]["serial"]
    assert alert["rules"] == ["too_many_sessions"]
    assert alert["organization_id"] == world.coop_a
    assert alert["closure"] is None
    c = world.client
    inspector = world.auth(world.inspector_token)
    assert [a["id"] for a in c.get("/api/v1/alerts", headers=world.a).json()] == [alert["id"]]
    assert [a["id"] for a in c.get("/api/v1/alerts", headers=world.root).json()] == [alert["id"]]
    assert c.get("/api/v1/alerts", headers=world.b).json() == []
    close = f"/api/v1/alerts/{alert['id']}/close"
    assert c.post(close, json={"note": "của tôi"}, headers=world.a).status_code == 403
    assert c.post(close, json={"note": "không"}, headers=world.b).status_code == 403
    assert c.post(close, json={"note": ""}, headers=inspector).status_code == 422
    assert c.post(close, json={}, headers=inspector).status_code == 422
    closed = c.post(close, json={"note": "Tem bị chụp lại, đã thu hồi"}, headers=inspector)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["closure"]["note"] == "Tem bị chụp lại, đã thu hồi"
    assert closed.json()["closure"]["by"] == world.inspector
    assert "closure" not in closed.json()["evidence"]
    again = c.post(close, json={"note": "lần nữa"}, headers=inspector)
    assert again.status_code == 409
    assert c.get("/api/v1/alerts", headers=inspector).json() == []
    assert [a["id"] for a in c.get("/api/v1/alerts?status=closed", headers=world.a).json()] == [
        alert["id"]
    ]
    assert c.get("/api/v1/alerts?status=maybe", headers=inspector).status_code == 422
    assert (
        c.post("/api/v1/alerts/nope/close", json={"note": "x"}, headers=inspector).status_code
        == 404
    )
    # a further copy scanned after closing opens a new alert; the closed one keeps its note
    scan(world.client, token_of(stamps[0]), "many-phones-0099-x")
    [fresh] = c.get("/api/v1/alerts", headers=inspector).json()
    assert fresh["id"] != alert["id"]
    [old] = c.get("/api/v1/alerts?status=closed", headers=inspector).json()
    assert old["closure"]["note"] == "Tem bị chụp lại, đã thu hồi"


def _forged_stamp(world: World, batch_id: str) -> str:
    """A stamp signed with cooperative A's real key, for a serial that was never issued."""
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
    serial = Serial(b"\x07" * 10)
    return stamp_token_text(
        signer.kid, signer.batch_id, signer.issued_at, serial, signer.sign(serial)
    )


def test_a_key_leak_alert_is_seen_by_the_cooperative_whose_batch_it_names(world: World) -> None:
    batch, _ = issue(world)
    scan(world.client, _forged_stamp(world, batch["id"]), "leak-finder-0001")
    inspector = world.auth(world.inspector_token)
    [alert] = world.client.get("/api/v1/alerts", headers=inspector).json()
    assert alert["kind"] == "key_leak"
    assert alert["severity"] == "critical"
    assert alert["batch_id"] == batch["id"]
    assert alert["key_id"]
    assert [a["id"] for a in world.client.get("/api/v1/alerts", headers=world.a).json()] == [
        alert["id"]
    ]
    assert world.client.get("/api/v1/alerts", headers=world.b).json() == []


# --- scan history ---------------------------------------------------------------------------


def test_scan_history_for_the_owner_inspectors_and_authorities_only(world: World) -> None:
    batch, stamps = issue(world)
    token = token_of(stamps[0])
    scan(world.client, token, "history-phone-0001", place=(21.70512, 104.87321))
    scan(world.client, token, "history-phone-0002")
    scan(world.client, str(batch["token"]), "history-phone-0003")  # the batch label
    inspector = world.auth(world.inspector_token)
    assert world.client.get(f"/api/v1/inspect/{token}", headers=inspector).status_code == 200
    c = world.client
    url = f"/api/v1/stamps/{stamps[0]['serial']}/scans"
    history = c.get(url, headers=world.a)
    assert history.status_code == 200, history.text
    rows = history.json()
    assert [r["kind"] for r in rows] == ["inspection", "public", "public"]
    assert {r["stamp_serial"] for r in rows} == {stamps[0]["serial"]}
    assert "session" not in rows[0]
    assert [r["browser"] for r in rows] == [3, 2, 1]  # newest first; the inspector came third
    located = rows[2]
    assert (located["lat"], located["lon"]) == (21.7, 104.9)
    assert located["place_name"]
    assert rows[1]["lat"] is None
    assert {r["verdict"] for r in rows} == {"genuine"}
    assert c.get(url, headers=inspector).json() == rows
    assert c.get(url, headers=world.root).json() == rows
    assert c.get(url, headers=world.b).status_code == 404
    assert c.get(url).status_code == 401
    assert c.get(f"{url}?limit=1&offset=1", headers=world.a).json() == rows[1:2]
    assert c.get(f"{url}?limit=0", headers=world.a).status_code == 422
    assert c.get("/api/v1/stamps/AAAA-BBBB/scans", headers=world.a).status_code == 404
    # the batch: its label scan and its stamps' scans
    batch_url = f"/api/v1/batches/{batch['id']}/scans"
    whole = c.get(batch_url, headers=world.a).json()
    assert len(whole) == 4
    assert [r["stamp_serial"] for r in whole].count(None) == 1
    assert c.get(batch_url, headers=inspector).json() == whole
    assert c.get(batch_url, headers=world.b).status_code == 404
    assert c.get("/api/v1/batches/zz/scans", headers=world.a).status_code == 404


# --- recall ---------------------------------------------------------------------------------


def test_recall_by_the_owner_and_by_the_authority_only(world: World) -> None:
    first, stamps = issue(world)
    second, _ = issue(world, count=1, lot="ST-2026-02")
    c = world.client
    inspector = world.auth(world.inspector_token)
    url = f"/api/v1/batches/{first['id']}/recall"
    reason = {"reason": "Phát hiện nấm mốc trong lô"}
    assert c.post(url, json=reason, headers=world.b).status_code == 404
    assert c.post(url, json=reason, headers=inspector).status_code == 403
    assert c.post(url, json={"reason": "mốc"}, headers=world.a).status_code == 422
    assert c.post(url, json={"reason": "x" * 501}, headers=world.a).status_code == 422
    recalled = c.post(url, json=reason, headers=world.a)
    assert recalled.status_code == 200, recalled.text
    body = recalled.json()
    assert body["id"] == first["id"]
    assert body["lot_code"] == "ST-2026-01"
    assert body["recall_reason"] == "Phát hiện nấm mốc trong lô"
    assert body["recalled_by"] == world.coop_a
    assert body["recalled_at"]
    twice = c.post(url, json=reason, headers=world.a)
    assert twice.status_code == 409
    assert "already recalled" in twice.json()["message"]
    # every shopper is told, on the stamps and on the label
    assert scan(c, token_of(stamps[0]), "after-recall-0001")["verdict"] == "recalled"
    # the authority recalls any batch
    by_root = c.post(
        f"/api/v1/batches/{second['id']}/recall",
        json={"reason": "Giấy chứng nhận OCOP bị thu hồi"},
        headers=world.root,
    )
    assert by_root.status_code == 200, by_root.text
    assert by_root.json()["recalled_by"] == world.authority_id
    with sessions(world)() as session:
        stored = session.scalars(select(Batch).order_by(Batch.id)).all()
        assert [b.recall_reason for b in stored] == [
            "Phát hiện nấm mốc trong lô",
            "Giấy chứng nhận OCOP bị thu hồi",
        ]
    assert c.post("/api/v1/batches/00/recall", json=reason, headers=world.root).status_code == 404


# --- the CLI --------------------------------------------------------------------------------

runner = CliRunner()


def cli_app() -> typer.Typer:
    """The inspector commands mounted as ``tem`` mounts them."""
    from tem.cli.inspector import alerts_app, recall, reports_app, scans_app

    app = typer.Typer()
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(reports_app, name="reports")
    app.add_typer(scans_app, name="scans")
    batch = typer.Typer()
    batch.command("recall")(recall)
    app.add_typer(batch, name="batch")
    return app


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    values = {
        "TEM_DATA_DIR": str(settings.data_dir),
        "TEM_KEY_PASSPHRASE": PASSPHRASE,
        "TEM_PUBLIC_URL": "http://tem.test",
        "COLUMNS": "300",
    }
    if settings.database_url:
        values["TEM_DATABASE_URL"] = settings.database_url
    return values


def tem(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(cli_app(), list(args), env=env)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == code, output
    assert "Traceback" not in output
    return output


def test_the_cli_works_the_same_queue(world: World, env: dict[str, str]) -> None:
    batch, stamps = issue(world)
    alert = suspect_alert(world, token_of(stamps[1]))
    world.client.cookies.clear()
    created = world.client.post(
        "/api/v1/reports",
        data={"token": stamps[1]["url"], "problem": "Tem giống hệt tem của hàng xóm"},
    )
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    ins, a, b = world.inspector, world.coop_a, world.coop_b

    listed = json.loads(tem(env, "alerts", "list", "--org", ins, "--json"))
    assert [x["id"] for x in listed] == [alert["id"]]
    assert alert["id"] in tem(env, "alerts", "list", "--org", a)
    assert json.loads(tem(env, "alerts", "list", "--org", b, "--json")) == []
    tem(env, "alerts", "list", "--org", ins, "--status", "maybe", code=2)
    tem(env, "alerts", "close", alert["id"], "--org", a, "--note", "không", code=5)
    assert "closed" in tem(env, "alerts", "close", alert["id"], "--org", ins, "--note", "Đã xử lý")
    tem(env, "alerts", "close", alert["id"], "--org", ins, "--note", "lại", code=4)

    assert report_id in tem(env, "reports", "list", "--org", ins)
    assert json.loads(tem(env, "reports", "list", "--org", b, "--json")) == []
    shown = json.loads(tem(env, "reports", "show", report_id, "--org", a))
    assert shown["stamp_serial"] == stamps[1]["serial"]
    tem(env, "reports", "show", report_id, "--org", b, code=3)
    tem(
        env,
        "reports",
        "update",
        report_id,
        "--org",
        a,
        "--status",
        "dismissed",
        "--note",
        "x",
        code=5,
    )
    moved = tem(env, "reports", "update", report_id, "--org", ins, "--status", "investigating")
    assert "investigating" in moved
    assert "confirmed_counterfeit" in moved
    tem(env, "reports", "update", report_id, "--org", ins, "--status", "open", code=4)
    tem(env, "reports", "update", report_id, "--org", ins, "--status", "dismissed", code=2)

    history = json.loads(tem(env, "scans", "stamp", stamps[1]["serial"], "--org", a, "--json"))
    assert len(history) == 7
    assert stamps[1]["serial"] in tem(env, "scans", "stamp", stamps[1]["serial"], "--org", ins)
    tem(env, "scans", "stamp", stamps[1]["serial"], "--org", b, code=3)
    by_lot = json.loads(tem(env, "scans", "batch", "ST-2026-01", "--org", a, "--json"))
    assert by_lot == json.loads(tem(env, "scans", "batch", batch["id"], "--org", ins, "--json"))
    tem(env, "scans", "batch", batch["id"], "--org", b, code=3)

    tem(env, "batch", "recall", batch["id"], "--org", b, "--reason", "không phải của tôi", code=3)
    tem(env, "batch", "recall", batch["id"], "--org", ins, "--reason", "thanh tra", code=5)
    tem(env, "batch", "recall", "ST-2026-01", "--org", a, "--reason", "abc", code=2)
    done = tem(env, "batch", "recall", "ST-2026-01", "--org", a, "--reason", "Lô bị ẩm mốc")
    assert "recalled" in done
    tem(
        env,
        "batch",
        "recall",
        batch["id"],
        "--org",
        world.authority_id,
        "--reason",
        "lần hai",
        code=4,
    )
