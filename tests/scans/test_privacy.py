"""Retention of personal data (tem/scans/privacy.py): scan details purged after
TEM_SCAN_DETAIL_DAYS, report contacts and photos erased TEM_REPORT_CONTACT_DAYS after
closing, `tem privacy purge`, and the server's daily run. Real databases, real files."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tem.cli.main import app as cli
from tem.config import Settings
from tem.db import make_engine, session_factory
from tem.models import Report, ReportStatus, Role, Scan, ScanKind, Stamp
from tem.orgs.service import Principal, get_organization
from tem.scans import privacy, reports
from tem.scans.photos import validate_photo
from tem.scans.retention import Retention
from tem.words import VIETNAM_TIME
from tests.conftest import PASSPHRASE, World
from tests.scans.test_reports import png
from tests.scans.test_scanning import issue, token_of

NOW = datetime(2027, 6, 1, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam
OLD = NOW - timedelta(days=401)
RECENT = NOW - timedelta(days=10)
ALL = Retention()  # the defaults: 400 days, 90 days


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands stored times back naive (they are UTC); PostgreSQL aware."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sessions(world: World) -> sessionmaker[Session]:
    return world.client.app.state.tem.sessions  # type: ignore[attr-defined, no-any-return]


def engine_of(world: World) -> Engine:
    return world.client.app.state.tem.engine  # type: ignore[attr-defined, no-any-return]


def photos_dir(world: World) -> Path:
    return reports.reports_dir(world.settings.data_dir)


def stamps(world: World, count: int = 2) -> list[tuple[int, int, str]]:
    """``count`` issued stamps: (stamp id, batch id, token)."""
    _, rows = issue(world, count=count)
    tokens = [token_of(row) for row in rows]
    with sessions(world)() as session:
        found = session.execute(select(Stamp.id, Stamp.batch_id).order_by(Stamp.id)).all()
    return [(pk, batch, token) for (pk, batch), token in zip(found[-count:], tokens, strict=True)]


_counter = iter(range(10**6))


def add_scan(
    world: World,
    stamp: tuple[int, int, str],
    at: datetime,
    *,
    session: str | None = None,
    network: str | None = "f" * 32,
    lat: float | None = None,
    lon: float | None = None,
    place_name: str | None = None,
    verified: bool = False,
    kind: ScanKind = ScanKind.PUBLIC,
    verdict: str = "genuine",
) -> str:
    """A scan row as judge_stamp writes one; returns its public id."""
    n = next(_counter)
    public_id = f"scan{n:08d}"
    with sessions(world)() as db:
        db.execute(
            insert(Scan).values(
                public_id=public_id,
                stamp_id=stamp[0],
                batch_id=stamp[1],
                scanned_at=at,
                session=session or f"{n:032x}",
                network=network,
                ua_family="Chrome Mobile",
                os_family="Android",
                kind=kind,
                verdict=verdict,
                lat=lat,
                lon=lon,
                place_name=place_name,
                place_verified=verified,
            )
        )
        db.commit()
    return public_id


def scan_rows(world: World) -> dict[str, dict[str, Any]]:
    with sessions(world)() as db:
        rows = db.execute(select(Scan.__table__)).mappings().all()
    return {row["public_id"]: {**row, "scanned_at": utc(row["scanned_at"])} for row in rows}


def report_rows(world: World) -> dict[str, dict[str, Any]]:
    with sessions(world)() as db:
        rows = db.execute(select(Report.__table__)).mappings().all()
    return {row["public_id"]: dict(row) for row in rows}


def purge(world: World, retention: Retention = ALL, **kwargs: Any) -> privacy.PurgeCounts:
    kwargs.setdefault("now", NOW)
    return privacy.purge(sessions(world), retention, photos_dir(world), **kwargs)


# --- what a purged scan keeps ----------------------------------------------------------


def test_a_purged_scan_keeps_its_day_in_vietnam_time() -> None:
    # 01:30 on 1 March in Vietnam is still 28 February in UTC: the Vietnamese day is kept.
    assert privacy.scan_day(datetime(2025, 2, 28, 18, 30, tzinfo=UTC)) == datetime(
        2025, 2, 28, 17, 0, tzinfo=UTC
    )
    assert privacy.scan_day(datetime(2025, 3, 1, 16, 59, 59, tzinfo=UTC)) == datetime(
        2025, 2, 28, 17, 0, tzinfo=UTC
    )
    assert privacy.scan_day(datetime(2025, 3, 1, 17, 0)) == datetime(2025, 3, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lat", "lon", "name", "kept"),
    [
        (21.7, 104.9, "Lào Cai", (21.7, 104.9, "Lào Cai")),  # the page's own form
        (None, None, "Yên Bái", (21.7, 104.9, "Lào Cai")),  # a former unit: its current one
        (10.8, 106.6, None, (10.8, 106.7, "Thành phố Hồ Chí Minh")),  # an API client's 0.1°
        (10.8, 106.6, "nowhere at all", (10.8, 106.7, "Thành phố Hồ Chí Minh")),
        (None, None, "nowhere at all", (None, None, None)),
        (None, None, None, (None, None, None)),
        (float("nan"), 0.0, None, (None, None, None)),
    ],
)
def test_a_purged_place_is_its_province(
    lat: float | None, lon: float | None, name: str | None, kept: tuple[Any, ...]
) -> None:
    assert privacy.province_place(lat, lon, name) == kept


# --- scans ------------------------------------------------------------------------------


def test_purge_clears_an_old_scans_details_and_keeps_its_day_province_and_verdict(
    world: World,
) -> None:
    stamp = stamps(world, 1)[0]
    inspector_org = None
    with sessions(world)() as db:
        inspector_org = get_organization(db, world.inspector).id
    old = add_scan(
        world,
        stamp,
        OLD,
        lat=10.8,
        lon=106.6,
        place_name="Thành phố Hồ Chí Minh",
        verified=True,
        verdict="suspect",
    )
    recent = add_scan(world, stamp, RECENT, lat=21.0, lon=105.8, place_name="Hà Nội")
    inspection = add_scan(world, stamp, OLD, kind=ScanKind.INSPECTION, network=None)
    with sessions(world)() as db:
        db.execute(
            update(Scan).where(Scan.public_id == inspection).values(inspector_org_id=inspector_org)
        )
        db.commit()
    before = scan_rows(world)

    counts = purge(world)

    assert counts == privacy.PurgeCounts(scans=2)
    after = scan_rows(world)
    assert after[recent] == before[recent]  # within 400 days: untouched
    row = after[old]
    assert row["session"] == ""
    assert row["network"] is None
    assert row["ua_family"] == ""
    assert row["os_family"] == ""
    assert row["scanned_at"] == privacy.scan_day(OLD)
    assert (row["lat"], row["lon"], row["place_name"]) == (10.8, 106.7, "Thành phố Hồ Chí Minh")
    assert row["place_verified"] is False
    for kept in ("id", "public_id", "stamp_id", "batch_id", "kind", "verdict"):
        assert row[kept] == before[old][kept]
    assert after[inspection]["inspector_org_id"] == inspector_org
    assert after[inspection]["kind"] == ScanKind.INSPECTION
    assert after[inspection]["session"] == ""


def test_a_scan_exactly_at_the_limit_keeps_its_details(world: World) -> None:
    stamp = stamps(world, 1)[0]
    edge = add_scan(world, stamp, NOW - timedelta(days=400))
    just_over = add_scan(world, stamp, NOW - timedelta(days=400, seconds=1))
    assert purge(world).scans == 1
    rows = scan_rows(world)
    assert rows[edge]["session"] != ""
    assert rows[just_over]["session"] == ""


def test_the_setting_decides_the_age(world: World) -> None:
    stamp = stamps(world, 1)[0]
    scan = add_scan(world, stamp, RECENT)
    assert purge(world, Retention(scan_detail_days=11)).scans == 0
    assert purge(world, Retention(scan_detail_days=9)).scans == 1
    assert scan_rows(world)[scan]["session"] == ""


def test_dry_run_counts_and_changes_nothing(world: World) -> None:
    stamp = stamps(world, 1)[0]
    for _ in range(3):
        add_scan(world, stamp, OLD)
    add_scan(world, stamp, RECENT)
    closed = _closed_report(world, stamp, closed_at=NOW - timedelta(days=91), photo=True)
    orphan = _orphan(world, age=timedelta(days=2))
    scans_before, reports_before = scan_rows(world), report_rows(world)
    files_before = sorted(p.name for p in photos_dir(world).iterdir())

    counts = purge(world, dry_run=True)

    assert counts == privacy.PurgeCounts(
        scans=3, reports=1, photos=1, orphan_photos=1, dry_run=True
    )
    assert "would purge 3 scans" in counts.summary()
    assert scan_rows(world) == scans_before
    assert report_rows(world) == reports_before
    assert sorted(p.name for p in photos_dir(world).iterdir()) == files_before
    assert report_rows(world)[closed]["contact"]
    assert orphan.exists()


def test_purge_is_idempotent(world: World) -> None:
    stamp = stamps(world, 1)[0]
    for _ in range(3):
        add_scan(world, stamp, OLD, place_name="Huế")
    _closed_report(world, stamp, closed_at=NOW - timedelta(days=100), photo=True)
    first = purge(world)
    assert first == privacy.PurgeCounts(scans=3, reports=1, photos=1)
    scans_after, reports_after = scan_rows(world), report_rows(world)
    assert purge(world) == privacy.PurgeCounts()
    assert purge(world, dry_run=True) == privacy.PurgeCounts(dry_run=True)
    assert scan_rows(world) == scans_after
    assert report_rows(world) == reports_after


def test_purge_works_in_bounded_transactions(world: World) -> None:
    stamp = stamps(world, 1)[0]
    for _ in range(7):
        add_scan(world, stamp, OLD)
    commits: list[int] = []
    engine = engine_of(world)

    def count(_connection: Any) -> None:
        commits.append(1)

    event.listen(engine, "commit", count)
    try:
        assert purge(world, batch_size=3).scans == 7
    finally:
        event.remove(engine, "commit", count)
    # 3 + 3 + 1 scans: three transactions that write (and a few that only read).
    assert len(commits) >= 3
    assert all(row["session"] == "" for row in scan_rows(world).values())
    with pytest.raises(ValueError, match="batch_size"):
        purge(world, batch_size=0)


def test_a_stop_request_ends_the_purge_between_batches(world: World) -> None:
    stamp = stamps(world, 1)[0]
    add_scan(world, stamp, OLD)
    stop = threading.Event()
    stop.set()
    assert purge(world, stop=stop) == privacy.PurgeCounts()
    assert all(row["session"] != "" for row in scan_rows(world).values())


def test_purged_scans_count_as_one_client_a_day_for_the_clone_rules(world: World) -> None:
    """Documented in docs/privacy.md: a stamp's purged scans of one day are one scan by one
    client, and their places no longer count for travel. Clone detection looks at recent
    scans; an old history can only count for less, never make a stamp suspect."""
    stamp = stamps(world, 1)[0]
    token = stamp[2]
    now = datetime.now(UTC)
    # Ten browsers on ten networks in one (Vietnamese) day 500 days ago, two of them in
    # places 1,500 km apart within an hour: too many sessions and impossible travel.
    day = privacy.scan_day(now - timedelta(days=500)) + timedelta(hours=2)
    for n in range(10):
        add_scan(world, stamp, day + timedelta(minutes=5 * n), network=f"{n:032x}")
    add_scan(world, stamp, day, lat=21.0, lon=105.8, place_name="Hà Nội", verified=True)
    add_scan(
        world,
        stamp,
        day + timedelta(minutes=30),
        lat=10.8,
        lon=106.7,
        place_name="Thành phố Hồ Chí Minh",
        verified=True,
    )
    verdict = world.client.get(f"/api/v1/verify/{token}").json()
    assert verdict["verdict"] == "suspect"
    assert {r["code"] for r in verdict["reasons"]} >= {"too_many_sessions", "impossible_travel"}

    assert purge(world, now=now).scans == 12

    after = world.client.get(f"/api/v1/verify/{token}").json()
    assert after["verdict"] == "genuine", after["reasons"]
    rows = scan_rows(world).values()
    assert {row["scanned_at"] for row in rows} == {privacy.scan_day(day)}
    assert not any(row["place_verified"] for row in rows)
    # A new copy is caught as before: recent scans keep every detail.
    for n in range(7):
        add_scan(world, stamp, now - timedelta(minutes=n), network=f"{n + 100:032x}")
    assert world.client.get(f"/api/v1/verify/{token}").json()["verdict"] == "suspect"


def test_a_purged_scan_shows_no_browser_number_in_the_history(world: World) -> None:
    _, rows = issue(world, count=1)
    with sessions(world)() as db:
        pk, batch = db.execute(select(Stamp.id, Stamp.batch_id).order_by(Stamp.id.desc())).one()
    stamp = (pk, batch, token_of(rows[0]))
    now = datetime.now(UTC)
    add_scan(world, stamp, now - timedelta(days=500), session="a" * 32)
    add_scan(world, stamp, now - timedelta(days=450), session="b" * 32)
    add_scan(world, stamp, now - timedelta(days=2), session="b" * 32)
    add_scan(world, stamp, now - timedelta(days=1), session="c" * 32)
    url = f"/api/v1/stamps/{rows[0]['serial']}/scans"
    inspector = world.auth(world.inspector_token)
    assert [s["browser"] for s in world.client.get(url, headers=inspector).json()] == [3, 2, 2, 1]

    assert purge(world, now=now).scans == 2

    history = world.client.get(url, headers=inspector).json()
    assert [s["browser"] for s in history] == [2, 1, 0, 0]
    assert [s["ua_family"] for s in history] == ["Chrome Mobile", "Chrome Mobile", "", ""]


# --- reports ----------------------------------------------------------------------------


def _inspector(db: Session, world: World) -> Principal:
    return Principal(get_organization(db, world.inspector), Role.INSPECTOR)


def _report(
    world: World, stamp: tuple[int, int, str], *, photo: bool = False, created: datetime
) -> str:
    with sessions(world)() as db:
        report = reports.create_report(
            db,
            token=stamp[2],
            verdict="suspect",
            stamp_id=stamp[0],
            batch_id=stamp[1],
            problem="Tem dán đè lên tem khác",
            where_bought="Chợ Bắc Hà",
            contact="0912 345 678",
            session_id="a" * 32,
            photo=validate_photo(png()) if photo else None,
            reports_dir=photos_dir(world),
            now=created,
        )
        db.commit()
        return report.public_id


def _close(world: World, public_id: str, at: datetime, status: str = "dismissed") -> None:
    with sessions(world)() as db:
        reports.update_report(
            db, _inspector(db, world), public_id, status, "Không phải hàng giả", now=at
        )
        db.commit()


def _closed_report(
    world: World, stamp: tuple[int, int, str], *, closed_at: datetime, photo: bool = False
) -> str:
    public_id = _report(world, stamp, photo=photo, created=closed_at - timedelta(days=3))
    _close(world, public_id, closed_at)
    return public_id


def _orphan(world: World, *, age: timedelta) -> Path:
    directory = photos_dir(world)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{os.urandom(16).hex()}.png"
    path.write_bytes(png())
    stamp = (datetime.now(UTC) - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_closing_a_report_records_when(world: World) -> None:
    stamp = stamps(world, 1)[0]
    public_id = _report(world, stamp, created=NOW - timedelta(days=5))
    with sessions(world)() as db:
        reports.update_report(
            db, _inspector(db, world), public_id, "investigating", "đang xem", now=NOW
        )
        db.commit()
    assert report_rows(world)[public_id]["closed_at"] is None
    _close(world, public_id, NOW + timedelta(hours=1), status="confirmed_counterfeit")
    assert utc(report_rows(world)[public_id]["closed_at"]) == NOW + timedelta(hours=1)


def test_a_closed_reports_contact_and_photo_are_erased_only_after_the_days(world: World) -> None:
    stamp = stamps(world, 1)[0]
    closed_at = NOW - timedelta(days=30)
    public_id = _closed_report(world, stamp, closed_at=closed_at, photo=True)
    before = report_rows(world)[public_id]
    photo = photos_dir(world) / before["photo_name"]
    assert photo.exists()

    # 89 days and 23 hours after closing: all kept.
    assert purge(world, now=closed_at + timedelta(days=90, seconds=-1)).reports == 0
    assert report_rows(world)[public_id] == before
    assert photo.exists()
    # Just past 90 days: the contact, the photo and the browser pseudonym are gone.
    counts = purge(world, now=closed_at + timedelta(days=90, seconds=1))
    assert (counts.reports, counts.photos) == (1, 1)
    after = report_rows(world)[public_id]
    assert after["contact"] == ""
    assert after["session"] == ""
    assert after["photo_name"] is None
    assert after["photo_type"] is None
    assert not photo.exists()
    for kept in ("problem", "where_bought", "token", "verdict", "status", "notes", "closed_at"):
        assert after[kept] == before[kept], kept
    # What inspectors read: no contact, no photo, the rest as it was.
    with sessions(world)() as db:
        shown = reports.report_out(db, _inspector(db, world), db.get(Report, after["id"]))  # type: ignore[arg-type]
    assert shown["contact"] == ""
    assert shown["has_photo"] is False
    assert shown["problem"] == before["problem"]


def test_an_open_reports_contact_is_kept_however_old(world: World) -> None:
    stamp = stamps(world, 1)[0]
    open_id = _report(world, stamp, photo=True, created=NOW - timedelta(days=900))
    assert purge(world, Retention(report_contact_days=0)).reports == 0
    row = report_rows(world)[open_id]
    assert row["contact"] == "0912 345 678"
    assert row["photo_name"] is not None
    assert row["status"] == ReportStatus.OPEN


def test_zero_days_erases_a_contact_as_soon_as_the_report_is_closed(world: World) -> None:
    stamp = stamps(world, 1)[0]
    public_id = _closed_report(world, stamp, closed_at=NOW - timedelta(minutes=1))
    assert purge(world, Retention(report_contact_days=0)).reports == 1
    assert report_rows(world)[public_id]["contact"] == ""


def test_orphan_photos_are_deleted_once_a_day_old(world: World) -> None:
    stamp = stamps(world, 1)[0]
    named = _report(world, stamp, photo=True, created=NOW - timedelta(days=3))
    named_file = photos_dir(world) / report_rows(world)[named]["photo_name"]
    stamp_ = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    os.utime(named_file, (stamp_, stamp_))  # old, but its report names it
    old_orphan = _orphan(world, age=timedelta(days=2))
    new_orphan = _orphan(world, age=timedelta(hours=1))  # a report may be being written
    stranger = photos_dir(world) / "notes.txt"  # not a name Tem gives: never touched
    stranger.write_text("x")
    os.utime(stranger, (stamp_, stamp_))

    counts = privacy.purge(sessions(world), ALL, photos_dir(world))

    assert counts.orphan_photos == 1
    assert not old_orphan.exists()
    assert named_file.exists()
    assert new_orphan.exists()
    assert stranger.exists()


def test_purge_without_a_photo_directory(world: World) -> None:
    assert not photos_dir(world).exists()
    assert purge(world) == privacy.PurgeCounts()


# --- settings ---------------------------------------------------------------------------


def test_settings_default_and_refuse_bad_days(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, key_passphrase=PASSPHRASE)
    assert settings.retention() == Retention(400, 90)
    assert settings.privacy_purge_daily is True
    assert Settings(data_dir=tmp_path, report_contact_days=0).retention().report_contact_days == 0
    for bad in (
        {"scan_detail_days": 0},
        {"scan_detail_days": -1},
        {"report_contact_days": -1},
        {"scan_detail_days": 36501},
        {"report_contact_days": "ninety"},
    ):
        with pytest.raises(ValidationError):
            Settings(data_dir=tmp_path, **bad)
    with pytest.raises(ValueError, match="scan_detail_days"):
        Retention(scan_detail_days=0)
    with pytest.raises(ValueError, match="report_contact_days"):
        Retention(report_contact_days=-3)
    with pytest.raises(ValueError, match="whole number"):
        Retention(scan_detail_days=True)


# --- the command line ---------------------------------------------------------------------

runner = CliRunner()


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
    result = runner.invoke(cli, list(args), env=env)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == code, output
    assert "Traceback" not in output
    return output


def test_cli_purge_dry_run_then_purge(world: World, env: dict[str, str]) -> None:
    stamp = stamps(world, 1)[0]
    now = datetime.now(UTC)
    old = add_scan(world, stamp, now - timedelta(days=401))
    add_scan(world, stamp, now - timedelta(days=1))
    before = scan_rows(world)

    dry = tem(env, "privacy", "purge", "--dry-run")
    assert "would purge 1 scans' details" in dry
    assert "kept 400 days" in dry
    assert "90 days after closing" in dry
    assert scan_rows(world) == before

    assert "purged 1 scans' details" in tem(env, "privacy", "purge")
    assert scan_rows(world)[old]["session"] == ""
    again = json.loads(tem(env, "privacy", "purge", "--json"))
    assert again == {
        "scans": 0,
        "reports": 0,
        "photos": 0,
        "orphan_photos": 0,
        "dry_run": False,
        "scan_detail_days": 400,
        "report_contact_days": 90,
    }
    # A shorter retention from the environment reaches the other scan too.
    assert "purged 1 scans'" in tem({**env, "TEM_SCAN_DETAIL_DAYS": "1"}, "privacy", "purge")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TEM_SCAN_DETAIL_DAYS", "-1"),
        ("TEM_SCAN_DETAIL_DAYS", "0"),
        ("TEM_SCAN_DETAIL_DAYS", "a year"),
        ("TEM_REPORT_CONTACT_DAYS", "-5"),
        ("TEM_REPORT_CONTACT_DAYS", "99999999"),
    ],
)
def test_cli_refuses_bad_retention_settings(
    world: World, env: dict[str, str], name: str, value: str
) -> None:
    stamp = stamps(world, 1)[0]
    old = add_scan(world, stamp, datetime.now(UTC) - timedelta(days=500))
    output = tem({**env, name: value}, "privacy", "purge", code=6)
    assert name in output
    assert scan_rows(world)[old]["session"] != ""


def test_cli_purge_needs_an_initialized_data_directory(tmp_path: Path) -> None:
    env = {"TEM_DATA_DIR": str(tmp_path / "empty"), "TEM_KEY_PASSPHRASE": PASSPHRASE}
    assert "tem init" in tem(env, "privacy", "purge", code=6)
    assert "Usage" in tem(env, "privacy", code=2)


# --- the server's daily run -------------------------------------------------------------


def _wait(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


@pytest.fixture
def privacy_log() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.INFO)
    privacy.log.addHandler(handler)
    level = privacy.log.level
    privacy.log.setLevel(logging.INFO)
    yield records
    privacy.log.removeHandler(handler)
    privacy.log.setLevel(level)


def test_the_daily_purge_runs_in_the_background_and_logs_counts_only(
    world: World, privacy_log: list[logging.LogRecord]
) -> None:
    stamp = stamps(world, 1)[0]
    old = add_scan(world, stamp, datetime.now(UTC) - timedelta(days=401), place_name="Huế")
    daily = privacy.DailyPurge(sessions(world), ALL, photos_dir(world), first_delay_s=0.0)
    daily.start()
    try:
        assert _wait(lambda: scan_rows(world)[old]["session"] == "")
        assert _wait(lambda: daily.runs >= 1 and privacy_log)
    finally:
        daily.stop()
    assert not daily.alive
    lines = [record.getMessage() for record in privacy_log]
    assert lines[0] == (
        "privacy purge: purged 1 scans' details, 0 reports' contacts, 0 report photos, "
        "0 orphan photos"
    )


def test_a_failing_purge_never_stops_the_thread(
    tmp_path: Path, privacy_log: list[logging.LogRecord]
) -> None:
    # A database without Tem's tables: every purge fails.
    empty = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        key_passphrase=PASSPHRASE,
    )
    engine = make_engine(empty)
    daily = privacy.DailyPurge(
        session_factory(engine), ALL, tmp_path / "reports", first_delay_s=0.0, interval_s=0.01
    )
    daily.start()
    try:
        assert _wait(lambda: daily.failures >= 3)
        assert daily.alive
    finally:
        daily.stop()
        engine.dispose()
    assert not daily.alive
    warning = privacy_log[0]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith("privacy purge failed (OperationalError)")
    assert "SELECT" not in warning.getMessage()
    assert "scans" not in warning.getMessage()


def test_the_app_starts_and_stops_a_daily_purge(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from tem.web.app import create_app

    app = create_app(settings)
    with TestClient(app):
        daily = app.state.privacy_purge
        assert isinstance(daily, privacy.DailyPurge)
        assert daily.alive
    assert not daily.alive
    with TestClient(app):  # started again: a new thread
        assert app.state.privacy_purge is not daily
        assert app.state.privacy_purge.alive
    off = create_app(settings.model_copy(update={"privacy_purge_daily": False}))
    with TestClient(off):
        assert off.state.privacy_purge is None
    app.state.tem.engine.dispose()
    off.state.tem.engine.dispose()


# --- the migration ------------------------------------------------------------------------


def test_the_migration_dates_reports_closed_before_it(world: World) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from tem.db import alembic_config

    stamp = stamps(world, 1)[0]
    engine = engine_of(world)
    config = alembic_config(engine)
    command.downgrade(config, "0005")
    closing = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    updated = datetime(2026, 5, 1, tzinfo=UTC)
    base = {
        "token": stamp[2],
        "verdict": "suspect",
        "problem": "Tem giả",
        "where_bought": "",
        "contact": "0912 345 678",
        "session": "a" * 32,
        "created_at": closing - timedelta(days=9),
        "updated_at": updated,
    }
    notes = [
        {"at": "2026-01-30T10:00:00+07:00", "by": "x", "status": "investigating", "note": "a"},
        {
            "at": closing.astimezone(VIETNAM_TIME).isoformat(),
            "by": "x",
            "status": "dismissed",
            "note": "b",
        },
        {"at": "2026-04-30T10:00:00+00:00", "by": "x", "status": "dismissed", "note": "later"},
    ]
    reports_table = Report.__table__
    with engine.begin() as connection:
        for public_id, status, report_notes in (
            ("noted", "dismissed", notes),
            ("unnoted", "confirmed_counterfeit", []),
            ("open", "open", []),
        ):
            connection.execute(
                insert(reports_table).values(
                    public_id=public_id, status=status, notes=report_notes, **base
                )
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        closed = dict(
            connection.execute(select(reports_table.c.public_id, reports_table.c.closed_at)).all()
        )
        indexes = {ix["name"] for ix in inspect(connection).get_indexes("scans")}
    assert utc(closed["noted"]) == closing
    assert utc(closed["unnoted"]) == updated
    assert closed["open"] is None
    assert "ix_scans_detail_kept" in indexes
