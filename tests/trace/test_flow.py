"""End to end through the API: product, batch, events, verification JSON."""

from __future__ import annotations

from tests.conftest import PRODUCT, World, batch_body, event_body


def make_batch(world: World, events: int = 3, lot: str = "ST-2026-01") -> dict[str, object]:
    c = world.client
    product = c.post("/api/v1/products", json=PRODUCT, headers=world.a)
    assert product.status_code == 201, product.text
    batch = c.post("/api/v1/batches", json=batch_body(product.json()["id"], lot), headers=world.a)
    assert batch.status_code == 201, batch.text
    body: dict[str, object] = batch.json()
    kinds = ["harvesting", "processing", "packing", "shipping", "receiving"]
    for i in range(events):
        ev = c.post(
            f"/api/v1/batches/{body['id']}/events",
            json=event_body(kinds[i % 5], 6 + i),
            headers=world.a,
        )
        assert ev.status_code == 201, ev.text
        assert ev.json()["seq"] == i
    return body


def test_genuine_label_verifies_with_history(world: World) -> None:
    batch = make_batch(world)
    token = str(batch["token"])
    assert str(batch["label_url"]) == f"HTTP://TEM.TEST/T/{token}"
    result = world.client.get(f"/api/v1/verify/{token}")
    assert result.status_code == 200
    body = result.json()
    assert body["verdict"] == "genuine", body["reasons"]
    assert body["signer"]["name"] == "HTX Chè Shan Tuyết Suối Giàng"
    assert body["signer"]["endorsed_by"]["name"] == "Hội đồng OCOP tỉnh Yên Bái"
    assert body["product"]["ocop"]["stars"] == 4
    assert body["batch"]["lot_code"] == "ST-2026-01"
    assert [e["status"] for e in body["history"]] == ["valid"] * 3
    assert body["history"][0]["trace_code"] == "ST-2026-01-01"
    # case-insensitive token
    assert world.client.get(f"/api/v1/verify/{token.lower()}").json()["verdict"] == "genuine"
