"""The trace API: validation, conflicts, and one cooperative never touching another's data."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from tests.conftest import PRODUCT, World, batch_body, event_body
from tests.trace.test_flow import make_batch


def _fields(response_json: dict[str, object]) -> set[str]:
    errors = response_json.get("errors")
    assert isinstance(errors, list)
    return {str(e["field"]) for e in errors}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 42}, "name"),
        ({"shelf_life_days": "lâu"}, "shelf_life_days"),
        ({"ocop": {**PRODUCT["ocop"], "stars": 6}}, "ocop.stars"),  # type: ignore[dict-item]
        ({"ocop": {**PRODUCT["ocop"], "stars": 2}}, "ocop.stars"),  # type: ignore[dict-item]
        ({"ocop": {**PRODUCT["ocop"], "awarded": "2025-02-30"}}, "ocop.awarded"),  # type: ignore[dict-item]
        ({"gtin": "8930000000018"}, "gtin"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"image_url": "//evil.example/x.png"}, "image_url"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_product_bodies_get_422_per_field(
    world: World, change: dict[str, object], field: str
) -> None:
    response = world.client.post("/api/v1/products", json={**PRODUCT, **change}, headers=world.a)
    assert response.status_code == 422, response.text
    assert field in _fields(response.json())


def test_missing_fields_are_each_named(world: World) -> None:
    response = world.client.post("/api/v1/batches", json={}, headers=world.a)
    assert response.status_code == 422
    assert {
        "product_id",
        "lot_code",
        "quantity",
        "unit",
        "production_date",
        "expiry_date",
        "origin",
    } <= _fields(response.json())


def test_malformed_json_is_422_not_500(world: World) -> None:
    response = world.client.post(
        "/api/v1/products",
        content=b"{not json",
        headers={**world.a, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"production_date": "2026-13-01"}, "production_date"),
        ({"expiry_date": "2026-01-01"}, "body"),  # before production
        ({"quantity": "-5"}, "quantity"),
        ({"lot_code": "bad lot!"}, "lot_code"),
        ({"origin": {"name": "x", "lat": 95, "lon": 10}}, "origin.lat"),
        ({"origin": {"name": "x", "lat": 10}}, "origin"),
    ],
)
def test_bad_batch_bodies(world: World, change: dict[str, object], field: str) -> None:
    product = world.client.post("/api/v1/products", json=PRODUCT, headers=world.a).json()
    response = world.client.post(
        "/api/v1/batches", json={**batch_body(product["id"]), **change}, headers=world.a
    )
    assert response.status_code == 422, response.text
    assert field in _fields(response.json())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time": "2026-03-01T06:30:00"}, "time"),  # no time zone
        ({"time": "yesterday"}, "time"),
        ({"type": "teleporting"}, "type"),
        ({"type": "custom"}, "body"),  # custom needs a label
        ({"actor": ""}, "actor"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_event_bodies(world: World, change: dict[str, object], field: str) -> None:
    batch = make_batch(world, events=0)
    response = world.client.post(
        f"/api/v1/batches/{batch['id']}/events", json={**event_body(), **change}, headers=world.a
    )
    assert response.status_code == 422, response.text
    assert field in _fields(response.json())


def test_custom_event_type(world: World) -> None:
    batch = make_batch(world, events=0)
    body = {**event_body(), "type": "custom", "type_label": "Làm héo"}
    response = world.client.post(
        f"/api/v1/batches/{batch['id']}/events", json=body, headers=world.a
    )
    assert response.status_code == 201
    assert response.json()["type_label"] == "Làm héo"


def test_duplicate_lot_code_is_409(world: World) -> None:
    product = world.client.post("/api/v1/products", json=PRODUCT, headers=world.a).json()
    first = world.client.post("/api/v1/batches", json=batch_body(product["id"]), headers=world.a)
    assert first.status_code == 201
    again = world.client.post("/api/v1/batches", json=batch_body(product["id"]), headers=world.a)
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]


def test_another_cooperatives_batch_is_404(world: World) -> None:
    batch = make_batch(world, events=1)
    c = world.client
    assert c.get(f"/api/v1/batches/{batch['id']}", headers=world.b).status_code == 404
    assert c.get(f"/api/v1/batches/{batch['id']}/events", headers=world.b).status_code == 404
    assert (
        c.post(
            f"/api/v1/batches/{batch['id']}/events", json=event_body(), headers=world.b
        ).status_code
        == 404
    )
    assert c.get(f"/api/v1/batches/{batch['id']}/label.svg", headers=world.b).status_code == 404
    # the same answer as for a batch that does not exist at all
    missing = c.get("/api/v1/batches/00000000000000ff", headers=world.b)
    assert missing.status_code == 404
    assert missing.json() == c.get(f"/api/v1/batches/{batch['id']}", headers=world.b).json()
    assert c.get("/api/v1/batches", headers=world.b).json() == []


def test_another_cooperatives_product_is_404(world: World) -> None:
    product = world.client.post("/api/v1/products", json=PRODUCT, headers=world.a).json()
    c = world.client
    assert c.get(f"/api/v1/products/{product['id']}", headers=world.b).status_code == 404
    assert (
        c.put(f"/api/v1/products/{product['id']}", json=PRODUCT, headers=world.b).status_code == 404
    )
    batch = c.post("/api/v1/batches", json=batch_body(product["id"]), headers=world.b)
    assert batch.status_code == 404


def test_no_token_or_wrong_role(world: World) -> None:
    c = world.client
    assert c.get("/api/v1/products").status_code == 401
    assert (
        c.get("/api/v1/products", headers={"Authorization": "Bearer tem_nope"}).status_code == 401
    )
    assert c.get("/api/v1/products", headers={"Authorization": "Basic abc"}).status_code == 401
    # an authority cannot write products; a cooperative cannot create organizations or keys
    assert c.post("/api/v1/products", json=PRODUCT, headers=world.root).status_code == 403
    inspector = world.auth(world.inspector_token)
    assert c.post("/api/v1/products", json=PRODUCT, headers=inspector).status_code == 403
    org = {"kind": "cooperative", "name": "x", "province": "p", "district": "d", "commune": "c"}
    assert c.post("/api/v1/organizations", json=org, headers=world.a).status_code == 403
    assert (
        c.post(f"/api/v1/organizations/{world.coop_a}/keys", json={}, headers=world.a).status_code
        == 403
    )


def test_inspector_reads_any_batch(world: World) -> None:
    batch = make_batch(world, events=1)
    inspector = world.auth(world.inspector_token)
    assert world.client.get(f"/api/v1/batches/{batch['id']}", headers=inspector).status_code == 200


def test_product_update_keeps_signed_snapshot(world: World) -> None:
    batch = make_batch(world, events=1)
    c = world.client
    product_id = batch["product_id"]
    renamed = c.put(
        f"/api/v1/products/{product_id}", json={**PRODUCT, "name": "Tên mới"}, headers=world.a
    )
    assert renamed.status_code == 200
    report = c.get(f"/api/v1/verify/{batch['token']}").json()
    assert report["verdict"] == "genuine"
    assert report["product"]["name"] == "Chè Shan Tuyết cổ thụ"


def test_labels_download(world: World) -> None:
    batch = make_batch(world, events=1)
    svg = world.client.get(f"/api/v1/batches/{batch['id']}/label.svg", headers=world.a)
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "Chè Shan Tuyết cổ thụ" in svg.text
    png = world.client.get(f"/api/v1/batches/{batch['id']}/label.png", headers=world.a)
    assert png.status_code == 200
    # an independent decoder reads exactly the URL, and that URL verifies
    with Image.open(io.BytesIO(png.content)) as image:
        decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [batch["label_url"]]
    path = "/" + str(decoded[0]).split("/", 3)[3]
    token = path.rsplit("/", 1)[1]
    assert world.client.get(f"/api/v1/verify/{token}").json()["verdict"] == "genuine"
