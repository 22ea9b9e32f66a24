"""L9 (issue 8): lot codes are a safe set, and every download's file name is sanitised.

Before: a lot code could hold ``/`` and ``..``, and went as it was into
``Content-Disposition: …; filename="label-<lot>.svg"``.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from tem.models import Batch
from tem.validation import content_disposition, safe_filename
from tests.conftest import PRODUCT, World, batch_body
from tests.trace.test_flow import make_batch

SAFE_HEADER = re.compile(r'(inline|attachment); filename="[A-Za-z0-9_\-][A-Za-z0-9._\-]*"')


@pytest.mark.parametrize(
    "lot", ["A/B", "../etc", "ST/../../x", ".hidden", "-", "a b", 'a"b', "a;b", "lô-1", "x" * 41]
)
def test_unsafe_lot_codes_are_refused(world: World, lot: str) -> None:
    product = world.client.post("/api/v1/products", json=PRODUCT, headers=world.a).json()
    response = world.client.post(
        "/api/v1/batches", json=batch_body(product["id"], lot), headers=world.a
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["lot_code"]


@pytest.mark.parametrize("lot", ["ST-2026-031", "A", "lot_7.b", "9" * 40, "HTX.2026.01"])
def test_ordinary_lot_codes_still_pass(world: World, lot: str) -> None:
    product = world.client.post("/api/v1/products", json=PRODUCT, headers=world.a).json()
    response = world.client.post(
        "/api/v1/batches", json=batch_body(product["id"], lot), headers=world.a
    )
    assert response.status_code == 201, response.text


def test_a_lot_code_stored_before_the_rule_cannot_shape_a_file_name(world: World) -> None:
    batch = make_batch(world, events=0)
    sessions = world.client.app.state.tem.sessions  # type: ignore[attr-defined]
    with sessions() as session:  # as an older version could have stored it
        session.execute(
            update(Batch)
            .where(Batch.public_id == bytes.fromhex(str(batch["id"])))
            .values(lot_code='../../x"; y=.z')
        )
        session.commit()
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": 1, "request_key": "l9"},
        headers=world.a,
    ).json()
    urls = [
        f"/api/v1/batches/{batch['id']}/label.svg",
        f"/api/v1/batches/{batch['id']}/label.png",
        f"/api/v1/batches/{batch['id']}/labels.csv",
        f"/api/v1/batches/{batch['id']}/labels.zpl",
        f"/api/v1/print-runs/{run['id']}/stamps.csv",
        f"/api/v1/print-runs/{run['id']}/labels.csv",
    ]
    for url in urls:
        response = world.client.get(url, headers=world.a)
        assert response.status_code == 200, (url, response.text[:200])
        header = response.headers["content-disposition"]
        assert SAFE_HEADER.fullmatch(header), (url, header)
        assert ".." not in header


def test_the_sanitiser() -> None:
    assert safe_filename("label-ST/../x.svg") == "label-ST_._x.svg"  # no "/", no ".."
    assert safe_filename("../../etc/passwd") == "_._etc_passwd"
    assert safe_filename("..") == "download"
    assert safe_filename('a"b\r\nc') == "a_b_c"
    assert safe_filename("Chè.svg") == "Ch_.svg"
    assert len(safe_filename("x" * 500)) == 100
    assert content_disposition("inline", "a b.png") == 'inline; filename="a_b.png"'
    with pytest.raises(ValueError, match="unknown disposition"):
        content_disposition("form-data", "x")
