"""Shoppers' counterfeit reports: public intake with a photo, the inspectors' workflow, floods."""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tem.config import Settings
from tem.models import Report
from tem.scans import reports
from tem.scans.photos import MAX_PHOTO_BYTES, validate_photo
from tests.conftest import World
from tests.trace.test_flow import make_batch

COOKIE = "browser-cookie-0001"


def sessions(world: World):  # type: ignore[no-untyped-def]
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined]


def issue(world: World, count: int = 2) -> tuple[dict[str, object], list[dict[str, str]]]:
    batch = make_batch(world, events=1)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": count, "request_key": "r"},
        headers=world.a,
    ).json()
    export = world.client.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.a).text
    return batch, list(csv.DictReader(io.StringIO(export)))


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="GIF")
    return out.getvalue()


def report(
    client: TestClient,
    token: str,
    *,
    problem: str = "Nhãn in mờ, vị chè khác hẳn",
    photo: bytes | None = None,
    cookie: str | None = COOKIE,
    **fields: str,
) -> Any:
    client.cookies.clear()
    if cookie:
        client.cookies.set("tem_sid", cookie)
    files = {"photo": ("anh.png", photo, "image/png")} if photo is not None else None
    data = {"token": token, "problem": problem, **fields}
    return client.post("/api/v1/reports", data=data, files=files)


def photo_files(settings: Settings) -> list[Path]:
    directory = reports.reports_dir(settings.data_dir)
    return sorted(directory.iterdir()) if directory.exists() else []


def report_rows(world: World) -> int:
    with sessions(world)() as session:
        return int(session.scalar(select(func.count()).select_from(Report)) or 0)


# --- intake --------------------------------------------------------------------------


def test_report_with_photo_is_stored_and_shown_to_the_right_people(world: World) -> None:
    batch, stamps = issue(world)
    created = report(
        world.client,
        stamps[0]["url"],
        photo=png(),
        where_bought="Chợ Bắc Hà, sạp số 12",
        contact="0912 345 678",
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "open"
    # the photo is a file of its own, readable by the server only
    [stored] = photo_files(world.settings)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    inspector = world.auth(world.inspector_token)
    seen = world.client.get(f"/api/v1/reports/{body['id']}", headers=inspector).json()
    assert seen["verdict"] == "genuine"
    assert seen["stamp_serial"] == stamps[0]["serial"]
    assert seen["batch_id"] == batch["id"]
    assert seen["organization_id"] == world.coop_a
    assert seen["contact"] == "0912 345 678"
    assert seen["where_bought"] == "Chợ Bắc Hà, sạp số 12"
    assert seen["has_photo"] is True
    assert seen["next_statuses"] == ["investigating", "dismissed"]
    photo = world.client.get(f"/api/v1/reports/{body['id']}/photo", headers=inspector)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["content-disposition"] == "inline"
    assert Image.open(io.BytesIO(photo.content)).size == (40, 30)
    # the batch's cooperative reads it, without the shopper's contact
    own = world.client.get(f"/api/v1/reports/{body['id']}", headers=world.a)
    assert own.status_code == 200
    assert own.json()["contact"] is None
    assert [r["id"] for r in world.client.get("/api/v1/reports", headers=world.a).json()] == [
        body["id"]
    ]
    # another cooperative learns nothing
    assert world.client.get(f"/api/v1/reports/{body['id']}", headers=world.b).status_code == 404
    assert (
        world.client.get(f"/api/v1/reports/{body['id']}/photo", headers=world.b).status_code == 404
    )
    assert world.client.get("/api/v1/reports", headers=world.b).json() == []
    # and the public, nothing at all
    assert world.client.get(f"/api/v1/reports/{body['id']}").status_code == 401


def test_a_report_about_a_garbage_code_is_kept_without_a_batch(world: World) -> None:
    issue(world)
    created = report(world.client, "HTTPS://FAKE.EXAMPLE/T/NOT-A-REAL-CODE")
    assert created.status_code == 201, created.text
    inspector = world.auth(world.inspector_token)
    seen = world.client.get(f"/api/v1/reports/{created.json()['id']}", headers=inspector).json()
    assert seen["verdict"] == "invalid"
    assert seen["token"] == "NOT-A-REAL-CODE"
    assert seen["batch_id"] is None
    assert seen["stamp_serial"] is None
    assert seen["has_photo"] is False
    assert world.client.get("/api/v1/reports", headers=world.a).json() == []
    no_photo = world.client.get(f"/api/v1/reports/{seen['id']}/photo", headers=inspector)
    assert no_photo.status_code == 404


def test_the_same_browser_reporting_the_same_code_twice_is_one_report(world: World) -> None:
    batch, _ = issue(world)
    label = str(batch["label_url"])
    first = report(world.client, label)
    again = report(world.client, label.lower(), problem="Lại là tôi, vẫn thấy hàng giả")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    other_browser = report(world.client, label, cookie="another-browser-0002")
    assert other_browser.json()["id"] != first.json()["id"]
    assert report_rows(world) == 2
    # once the first is being investigated, a new report from the same browser is new
    inspector = world.auth(world.inspector_token)
    moved = world.client.patch(
        f"/api/v1/reports/{first.json()['id']}",
        json={"status": "investigating"},
        headers=inspector,
    )
    assert moved.status_code == 200, moved.text
    assert report(world.client, label).json()["id"] != first.json()["id"]
    assert report_rows(world) == 3


# --- refused input stores nothing -------------------------------------------------------


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(MAX_PHOTO_BYTES), "larger than", id="oversized"),
        pytest.param(gif(), "GIF", id="gif"),
        pytest.param(b"<html>not a photo</html>", "not a photo", id="html"),
        pytest.param(png()[:60], "damaged", id="truncated"),
    ],
)
def test_refused_photo_stores_no_file_and_no_row(world: World, photo: bytes, message: str) -> None:
    _, stamps = issue(world)
    refused = report(world.client, stamps[0]["url"], photo=photo)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["errors"][0]["field"] == "photo"
    assert message in body["message"]
    assert photo_files(world.settings) == []
    assert report_rows(world) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"problem": "giả"}, "problem", id="problem_too_short"),
        pytest.param({"problem": "x" * 2001}, "problem", id="problem_too_long"),
        pytest.param({"where_bought": "x" * 301}, "where_bought", id="where_too_long"),
        pytest.param({"contact": "x" * 201}, "contact", id="contact_too_long"),
        pytest.param({"token": "A" * 241}, "token", id="token_too_long"),
        pytest.param({"token": "   "}, "token", id="token_blank"),
        pytest.param({"problem": None}, "problem", id="problem_missing"),
    ],
)
def test_bad_fields_are_a_422_naming_the_field(
    world: World, fields: dict[str, str | None], field: str
) -> None:
    _, stamps = issue(world)
    data = {"token": stamps[0]["url"], "problem": "Hàng giả rõ ràng", **fields}
    sent = {k: v for k, v in data.items() if v is not None}
    refused = world.client.post(
        "/api/v1/reports", data=sent, files={"photo": ("a.png", png(), "image/png")}
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert photo_files(world.settings) == []
    assert report_rows(world) == 0


def test_an_empty_file_input_is_no_photo(world: World) -> None:
    _, stamps = issue(world)
    created = world.client.post(
        "/api/v1/reports",
        data={"token": stamps[0]["url"], "problem": "Không có ảnh"},
        files={"photo": ("", b"", "application/octet-stream")},
    )
    assert created.status_code == 201, created.text
    assert photo_files(world.settings) == []


# --- floods -----------------------------------------------------------------------------


@pytest.fixture
def strict_client(settings: Settings, world: World) -> Iterator[TestClient]:
    """A second app on the same database, allowing two reports per client per hour."""
    from tem.web.app import create_app

    app = create_app(settings.model_copy(update={"reports_per_hour": 2}))
    with TestClient(app) as client:
        yield client
    app.state.tem.engine.dispose()


def test_a_flood_of_reports_gets_429_and_stores_nothing_more(
    world: World, strict_client: TestClient
) -> None:
    _, stamps = issue(world)
    for i in range(2):
        ok = report(strict_client, stamps[0]["url"], cookie=f"flooding-browser-{i:04d}")
        assert ok.status_code == 201, ok.text
    for i in range(3):
        flooded = report(
            strict_client, stamps[0]["url"], photo=png(), cookie=f"flooding-again-{i:04d}"
        )
        assert flooded.status_code == 429
        assert int(flooded.headers["Retry-After"]) >= 1
        assert flooded.json()["error"] == "rate_limited"
    assert report_rows(world) == 2
    assert photo_files(world.settings) == []
    # a client behind our proxy is told apart by the last X-Forwarded-For hop only when trusted
    spoofed = strict_client.post(
        "/api/v1/reports",
        data={"token": stamps[0]["url"], "problem": "Tôi đổi địa chỉ"},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert spoofed.status_code == 429


# --- the workflow -----------------------------------------------------------------------


def test_open_investigating_confirmed_with_notes(world: World) -> None:
    _, stamps = issue(world)
    report_id = report(world.client, stamps[1]["url"]).json()["id"]
    inspector = world.auth(world.inspector_token)
    url = f"/api/v1/reports/{report_id}"
    c = world.client

    moved = c.patch(
        url, json={"status": "investigating", "note": "Đã gọi cho người mua"}, headers=inspector
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "investigating"
    assert moved.json()["next_statuses"] == ["confirmed_counterfeit", "dismissed"]
    # a note alone keeps the status
    noted = c.patch(url, json={"note": "Hẹn kiểm tra sạp thứ Hai"}, headers=world.root)
    assert noted.json()["status"] == "investigating"
    # closing needs a reason
    bare = c.patch(url, json={"status": "confirmed_counterfeit"}, headers=inspector)
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["field"] == "note"
    done = c.patch(
        url,
        json={"status": "confirmed_counterfeit", "note": "Thu giữ 40 gói giả tại sạp 12"},
        headers=inspector,
    )
    assert done.status_code == 200, done.text
    notes = done.json()["notes"]
    assert [(n["status"], n["by"]) for n in notes] == [
        ("investigating", world.inspector),
        ("investigating", world.authority_id),
        ("confirmed_counterfeit", world.inspector),
    ]
    assert notes[2]["note"] == "Thu giữ 40 gói giả tại sạp 12"
    assert done.json()["next_statuses"] == []
    # the queue filters by status
    confirmed = c.get("/api/v1/reports?status=confirmed_counterfeit", headers=inspector).json()
    assert [r["id"] for r in confirmed] == [report_id]
    assert c.get("/api/v1/reports?status=open", headers=inspector).json() == []
    # final means final
    again = c.patch(url, json={"status": "dismissed", "note": "nhầm"}, headers=inspector)
    assert again.status_code == 409
    assert "final" in again.json()["message"]


def test_illegal_moves_and_who_may_move(world: World) -> None:
    _, stamps = issue(world)
    report_id = report(world.client, stamps[0]["url"]).json()["id"]
    inspector = world.auth(world.inspector_token)
    url = f"/api/v1/reports/{report_id}"
    c = world.client
    skip = c.patch(
        url, json={"status": "confirmed_counterfeit", "note": "chắc chắn"}, headers=inspector
    )
    assert skip.status_code == 409
    assert "investigating or dismissed" in skip.json()["message"]
    same = c.patch(url, json={"status": "open", "note": "mở lại"}, headers=inspector)
    assert same.status_code == 409
    unknown = c.patch(url, json={"status": "closed", "note": "x"}, headers=inspector)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "status"
    empty = c.patch(url, json={}, headers=inspector)
    assert empty.status_code == 422
    too_long = c.patch(url, json={"note": "x" * 2001}, headers=inspector)
    assert too_long.status_code == 422
    # cooperatives never move reports, even about their own batches
    assert (
        c.patch(
            url, json={"status": "dismissed", "note": "không phải"}, headers=world.a
        ).status_code
        == 403
    )
    assert (
        c.patch(
            url, json={"status": "dismissed", "note": "không phải"}, headers=world.b
        ).status_code
        == 403
    )
    assert c.patch("/api/v1/reports/nope", json={"note": "x"}, headers=inspector).status_code == 404
    dismissed = c.patch(
        url, json={"status": "dismissed", "note": "Người mua nhầm sản phẩm"}, headers=inspector
    )
    assert dismissed.status_code == 200
    with sessions(world)() as session:
        stored = session.scalars(select(Report)).one()
        assert stored.status.value == "dismissed"
        assert len(stored.notes) == 1


def test_list_paging_and_bad_queries(world: World) -> None:
    _, stamps = issue(world)
    ids = [
        report(world.client, stamps[0]["url"], cookie=f"paging-browser-{i:04d}").json()["id"]
        for i in range(3)
    ]
    inspector = world.auth(world.inspector_token)
    page = world.client.get("/api/v1/reports?limit=2", headers=inspector).json()
    rest = world.client.get("/api/v1/reports?limit=2&offset=2", headers=inspector).json()
    assert {r["id"] for r in page + rest} == set(ids)
    assert len(page) == 2
    for query in ("status=lost", "limit=0", "limit=201", "offset=-1"):
        assert world.client.get(f"/api/v1/reports?{query}", headers=inspector).status_code == 422


# --- the service on its own ---------------------------------------------------------------


def test_a_failed_flush_leaves_no_photo_behind(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = reports.reports_dir(world.settings.data_dir)
    photo = validate_photo(png())
    monkeypatch.setattr(reports, "new_public_id", lambda: "0123456789abcdef0123")
    with sessions(world)() as session:
        kept = reports.create_report(
            session,
            token="FIRST",
            verdict="invalid",
            stamp_id=None,
            batch_id=None,
            problem="Lần đầu",
            where_bought="",
            contact="",
            session_id="s1",
            photo=photo,
            reports_dir=directory,
        )
        session.commit()
        kept_name = kept.photo_name
        assert kept_name is not None
        with pytest.raises(IntegrityError):  # the same public id again: the row cannot go in
            reports.create_report(
                session,
                token="SECOND",
                verdict="invalid",
                stamp_id=None,
                batch_id=None,
                problem="Lần hai",
                where_bought="",
                contact="",
                session_id="s2",
                photo=photo,
                reports_dir=directory,
            )
        session.rollback()
    assert [p.name for p in photo_files(world.settings)] == [kept_name]


def test_a_failed_commit_can_take_its_photos_back(world: World) -> None:
    directory = reports.reports_dir(world.settings.data_dir)
    with sessions(world)() as session:
        reports.create_report(
            session,
            token="CODE",
            verdict="invalid",
            stamp_id=None,
            batch_id=None,
            problem="Ảnh sẽ bị bỏ",
            where_bought="",
            contact="",
            session_id="s3",
            photo=validate_photo(png()),
            reports_dir=directory,
        )
        assert len(photo_files(world.settings)) == 1
        session.rollback()
        reports.discard_new_photos(session)
    assert photo_files(world.settings) == []
    assert report_rows(world) == 0


def test_the_same_report_after_24_hours_is_a_new_one(world: World) -> None:
    directory = reports.reports_dir(world.settings.data_dir)
    start = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)

    def send(at: datetime) -> str:
        with sessions(world)() as session:
            made = reports.create_report(
                session,
                token="hTTps://tem.test/t/SOMECODE",
                verdict="invalid",
                stamp_id=None,
                batch_id=None,
                problem="  Hàng nghi giả  ",
                where_bought="",
                contact="",
                session_id="same-browser",
                photo=None,
                reports_dir=directory,
                now=at,
            )
            session.commit()
            assert made.token == "SOMECODE"
            assert made.problem == "Hàng nghi giả"
            return made.public_id

    first = send(start)
    assert send(start + timedelta(hours=23, minutes=59)) == first
    assert send(start + timedelta(hours=24, minutes=1)) != first
    assert report_rows(world) == 2
