"""``tem demo``: a clearly marked sample authority, cooperatives, products, batches and events."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Engine, select

from tem.bootstrap import init
from tem.config import Settings
from tem.db import make_engine, session_factory, unit_of_work
from tem.keys import service as keys
from tem.keys.store import KeyStore
from tem.labels.render import label_png, label_svg
from tem.labels.service import label_content
from tem.models import Batch, PrintRun, Role
from tem.orgs import service as orgs
from tem.orgs.service import Principal
from tem.stamps import service as stamps
from tem.trace import service as trace
from tem.trace.schemas import BatchCreate, EventCreate, EventType, Ocop, Place, ProductCreate

DEMO_MARK = "[DEMO] "
ICT = timezone(timedelta(hours=7))  # Indochina Time, UTC+07:00


@dataclass
class DemoResult:
    urls: list[tuple[str, str, str]] = field(default_factory=list)  # (product, lot, url)
    stamp_urls: list[tuple[str, str, str]] = field(default_factory=list)  # (serial, lot, url)
    files: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ICT)


COOPERATIVES = [
    {
        "name": DEMO_MARK + "HTX Chè Shan Tuyết Suối Giàng (mẫu)",
        "province": "Yên Bái",
        "district": "Văn Chấn",
        "commune": "Suối Giàng",
        "street": "Thôn Pang Cáng",
        "contact_name": "Sùng A Tủa",
        "phone": "0216 000 0001",
        "email": "htx-suoigiang@example.vn",
    },
    {
        "name": DEMO_MARK + "HTX Quế Hồi Văn Yên (mẫu)",
        "province": "Yên Bái",
        "district": "Văn Yên",
        "commune": "Đại Sơn",
        "street": "Thôn Khe Mạ",
        "contact_name": "Hoàng Thị Lan",
        "phone": "0216 000 0002",
        "email": "htx-queviet@example.vn",
    },
]

PRODUCTS = [
    ProductCreate(
        name="Chè Shan Tuyết cổ thụ Suối Giàng",
        image_url="/static/products/tea.svg",
        category="Đồ uống – Chè",
        description="Chè búp từ cây Shan Tuyết cổ thụ trên 300 năm tuổi, sao thủ công.",
        ingredients="100% búp chè Shan Tuyết",
        standards=["TCVN 9740:2013", "VietGAP"],
        shelf_life_days=540,
        gtin="8930000000019",
        ocop=Ocop(
            stars=4,
            certificate="1234/QĐ-UBND (mẫu)",
            council="Hội đồng OCOP tỉnh Yên Bái (mẫu)",
            awarded=date(2025, 6, 15),
            expires=date(2028, 6, 15),
        ),
    ),
    ProductCreate(
        name="Tinh dầu quế Văn Yên",
        image_url="/static/products/cinnamon.svg",
        category="Thảo dược – Tinh dầu",
        description="Tinh dầu chưng cất từ lá và vỏ quế Văn Yên.",
        ingredients="Tinh dầu quế nguyên chất",
        standards=["TCVN 11424:2016"],
        shelf_life_days=1095,
        ocop=Ocop(
            stars=3,
            certificate="0987/QĐ-UBND (mẫu)",
            council="Hội đồng OCOP huyện Văn Yên (mẫu)",
            awarded=date(2024, 11, 2),
            expires=date(2027, 11, 2),
        ),
    ),
]


def _tea_events(day: date) -> list[EventCreate]:
    hill = Place(
        name="Đồi chè cổ thụ Pang Cáng",
        address="Xã Suối Giàng, huyện Văn Chấn, tỉnh Yên Bái",
        lat=Decimal("21.6236"),
        lon=Decimal("104.5571"),
    )
    workshop = Place(
        name="Xưởng sao chè HTX Suối Giàng",
        address="Thôn Pang Cáng, xã Suối Giàng, Văn Chấn, Yên Bái",
    )
    return [
        EventCreate(
            type=EventType.HARVESTING,
            time=_at(day, 6, 30),
            place=hill,
            actor="Tổ hái chè thôn Pang Cáng",
            notes="Hái một tôm hai lá, sương sớm.",
        ),
        EventCreate(
            type=EventType.CUSTOM,
            type_label="Làm héo",
            time=_at(day, 10),
            place=workshop,
            actor="Sùng A Tủa",
            notes="Héo tự nhiên 4 giờ.",
        ),
        EventCreate(
            type=EventType.PROCESSING,
            time=_at(day, 15),
            place=workshop,
            actor="Sùng A Tủa",
            notes="Sao chè bằng chảo gang, củi.",
        ),
        EventCreate(
            type=EventType.INSPECTING,
            time=_at(day + timedelta(days=2), 9),
            place=workshop,
            actor="Cán bộ khuyến nông xã (mẫu)",
            notes="Kiểm tra cảm quan đạt.",
        ),
        EventCreate(
            type=EventType.PACKING,
            time=_at(day + timedelta(days=3), 8),
            place=workshop,
            actor="Tổ đóng gói HTX",
            notes="Túi 200 g, hút chân không.",
        ),
        EventCreate(
            type=EventType.SHIPPING,
            time=_at(day + timedelta(days=5), 7),
            place=Place(name="Bến xe Nghĩa Lộ", address="Thị xã Nghĩa Lộ, Yên Bái"),
            actor="Nhà xe Suối Giàng",
            notes="Gửi đi Hà Nội.",
        ),
        EventCreate(
            type=EventType.RECEIVING,
            time=_at(day + timedelta(days=5), 16),
            place=Place(name="Cửa hàng OCOP Yên Bái tại Hà Nội", address="Quận Cầu Giấy, Hà Nội"),
            actor="Cửa hàng OCOP Yên Bái (mẫu)",
        ),
    ]


def _cinnamon_events(day: date) -> list[EventCreate]:
    forest = Place(
        name="Rừng quế Khe Mạ",
        address="Xã Đại Sơn, huyện Văn Yên, tỉnh Yên Bái",
        lat=Decimal("21.8841"),
        lon=Decimal("104.5322"),
    )
    still = Place(
        name="Lò chưng cất HTX Văn Yên", address="Thôn Khe Mạ, xã Đại Sơn, Văn Yên, Yên Bái"
    )
    return [
        EventCreate(
            type=EventType.HARVESTING,
            time=_at(day, 7),
            place=forest,
            actor="Tổ thu hái lá quế",
            notes="Lá quế tỉa cành.",
        ),
        EventCreate(
            type=EventType.PROCESSING,
            time=_at(day + timedelta(days=1), 8),
            place=still,
            actor="Hoàng Thị Lan",
            notes="Chưng cất hơi nước 8 giờ.",
        ),
        EventCreate(
            type=EventType.PACKING,
            time=_at(day + timedelta(days=4), 9),
            place=still,
            actor="Tổ đóng chai HTX",
            notes="Chai thủy tinh 10 ml.",
        ),
    ]


def build_demo(settings: Settings, *, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Fill a fresh data directory with demo data and write its labels. Returns what to print."""
    step = progress or (lambda _message: None)
    result = DemoResult()
    setup = init(
        settings,
        authority_name=DEMO_MARK + "Hội đồng OCOP tỉnh Yên Bái (mẫu)",
        province="Yên Bái",
        is_demo=True,
    )
    if setup.token:
        result.tokens["authority"] = setup.token
    step("authority and root key")
    engine = make_engine(settings)
    store = KeyStore(settings.keys_dir, settings.passphrase())
    today = datetime.now(UTC).date()
    stamped: tuple[Principal, str, str] | None = None  # the batch that gets demo stamps
    try:
        with unit_of_work(session_factory(engine)) as session:
            authority = orgs.get_organization(session, setup.authority_id)
            inspector = orgs.create_organization(
                session,
                kind=Role.INSPECTOR,
                name=DEMO_MARK + "Đội QLTT số 1 Yên Bái (mẫu)",
                province="Yên Bái",
                is_demo=True,
            )
            _, result.tokens["inspector"] = orgs.create_token(session, inspector, "demo")
            plans = [(PRODUCTS[0], _tea_events, "ST"), (PRODUCTS[1], _cinnamon_events, "QVY")]
            for index, (coop_fields, (product_data, events_for, prefix)) in enumerate(
                zip(COOPERATIVES, plans, strict=True)
            ):
                coop = orgs.create_organization(
                    session, kind=Role.COOPERATIVE, is_demo=True, **coop_fields
                )
                _, result.tokens[f"cooperative {index + 1}"] = orgs.create_token(
                    session, coop, "demo"
                )
                windows = keys.Windows.from_days(datetime.now(UTC), 365, 3650)
                keys.create_endorsed_key(session, store, authority, coop, windows)
                step(f"cooperative {coop.name} and its endorsed key")
                principal = Principal(coop, Role.COOPERATIVE)
                product = trace.create_product(session, principal, product_data)
                for n, days_ago in enumerate((40, 12)):
                    produced = today - timedelta(days=days_ago)
                    batch = trace.create_batch(
                        session,
                        store,
                        principal,
                        BatchCreate(
                            product_id=product.public_id,
                            lot_code=f"{prefix}-{produced:%Y%m}-{n + 1:02d}",
                            quantity=Decimal(300 + 150 * n),
                            unit="túi 200 g" if prefix == "ST" else "chai 10 ml",
                            production_date=produced,
                            expiry_date=produced
                            + timedelta(days=product_data.shelf_life_days or 365),
                            origin=events_for(produced)[0].place,
                        ),
                    )
                    for event in events_for(produced - timedelta(days=5)):
                        trace.append_event(session, store, principal, batch.public_id.hex(), event)
                    content = label_content(batch, settings.public_url)
                    settings.labels_dir.mkdir(parents=True, exist_ok=True)
                    for suffix, data in (("svg", label_svg(content)), ("png", label_png(content))):
                        path = settings.labels_dir / f"{batch.lot_code}.{suffix}"
                        path.write_bytes(data)
                        result.files.append(str(path))
                    result.urls.append((product.name, batch.lot_code, content.url))
                    stamped = stamped or (principal, batch.public_id.hex(), batch.lot_code)
                    step(
                        f"batch {batch.lot_code}: record, {len(events_for(produced))} events, labels"
                    )
        if stamped is not None:
            _demo_stamps(settings, engine, store, result, *stamped)
            step("a print run of serialized stamps")
    finally:
        engine.dispose()
    tokens_file = settings.data_dir / "demo-tokens.txt"
    tokens_file.touch(mode=0o600)
    tokens_file.write_text("".join(f"{who}: {secret}\n" for who, secret in result.tokens.items()))
    return result


DEMO_STAMPS = 24


def _demo_stamps(
    settings: Settings,
    engine: Engine,
    store: KeyStore,
    result: DemoResult,
    principal: Principal,
    batch_id: str,
    lot_code: str,
) -> None:
    """A small print run for one batch: its CSV, and PNG labels of the first three stamps."""
    from dataclasses import replace

    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        run, _ = stamps.start_run(session, principal, batch_id, DEMO_STAMPS, "demo-run")
        run_id = run.id
    stamps.issue_chunks(factory, store, run_id)
    with unit_of_work(factory) as session:
        found = session.get(PrintRun, run_id)
        batch = session.scalars(
            select(Batch).where(Batch.public_id == bytes.fromhex(batch_id))
        ).one()
        content = label_content(batch, settings.public_url)
        rows = list(stamps.iter_run_stamps(session, found, settings.public_url)) if found else []
    csv_path = settings.labels_dir / f"{lot_code}-stamps.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["serial", "url", "batch", "sequence"])
        for row in rows:
            writer.writerow([row.short_serial, row.url, batch_id, row.seq])
    result.files.append(str(csv_path))
    for row in rows[:3]:
        path = settings.labels_dir / f"{lot_code}-stamp-{row.seq:02d}.png"
        path.write_bytes(label_png(replace(content, url=row.url, serial=row.short_serial)))
        result.files.append(str(path))
        result.stamp_urls.append((row.short_serial, lot_code, row.url))
