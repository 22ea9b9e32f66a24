"""``tem``: operate a Tem data directory from the shell.

Commands act directly on the data directory (``TEM_DATA_DIR``) and database
(``TEM_DATABASE_URL``) as the organization named by ``--org``: whoever runs them
is the operator. Exit codes: 0 ok, 1 a code that is not genuine, 2 bad input,
3 not found, 4 conflict, 5 not allowed, 6 configuration or key store problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from tem import errors
from tem.cli.common import (
    EXIT_NOT_GENUINE,
    Context,
    JsonOpt,
    OrgOpt,
    batch_ref,
    err,
    fail,
    handled,
    hex_key,
    out,
    principal_for,
    print_check,
    print_json,
    settings,
    validated,
)
from tem.cli.inspector import alerts_app, recall, reports_app, scans_app
from tem.cli.labels import labels_app
from tem.cli.privacy import privacy_app
from tem.cli.stamps import inspect, stamps_app
from tem.models import Role
from tem.validation import safe_filename

app = typer.Typer(
    help="Tem: signed traceability records and QR labels for OCOP cooperatives.",
    no_args_is_help=True,
)
org_app = typer.Typer(help="Organizations (authority only).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
key_app = typer.Typer(
    help="Signing keys: create and endorse, list, revoke, rewrap.", no_args_is_help=True
)
product_app = typer.Typer(help="A cooperative's products.", no_args_is_help=True)
batch_app = typer.Typer(help="Batches (lots).", no_args_is_help=True)
event_app = typer.Typer(help="Origin events of a batch.", no_args_is_help=True)
label_app = typer.Typer(help="QR labels.", no_args_is_help=True)
for sub, name in (
    (org_app, "org"),
    (token_app, "token"),
    (key_app, "key"),
    (product_app, "product"),
    (batch_app, "batch"),
    (event_app, "event"),
    (label_app, "label"),
):
    app.add_typer(sub, name=name)

# --- init, serve, demo -------------------------------------------------------------


@app.command()
def init(
    authority_name: Annotated[
        str, typer.Option(help="Name of the authority that holds the root key.")
    ] = "OCOP authority",
    province: Annotated[str, typer.Option(help="The authority's province.")] = "",
) -> None:
    """Create the data directory, database schema, authority and its root key (safe to repeat)."""
    from tem.bootstrap import init as do_init

    s = settings()
    with handled():
        result = do_init(s, authority_name=authority_name, province=province)
    out.print(f"Data directory: {s.data_dir.resolve()}")
    out.print(
        f"Authority: {result.authority_name} (id {result.authority_id}), root key {result.root_key_id}"
    )
    if result.token:
        out.print("Authority API token (shown once, keep it safe):")
        out.print(result.token, highlight=False, soft_wrap=True)
    else:
        out.print("Already initialized; schema is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Also serve Prometheus metrics, without a token, on this port (see --metrics-host).",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Address of the metrics listener; keep it private.")
    ] = "127.0.0.1",
) -> None:
    """Serve the API and the public verification pages."""
    import uvicorn

    from tem.http import metrics

    ctx = Context()
    with handled():
        ctx.engine  # noqa: B018 - fail now, with a clear message, if `tem init` was not run
        ctx.store()  # and if TEM_KEY_PASSPHRASE does not open the keys
        ctx.settings.secret()
    # The workers inherit this and write their metrics there; what an earlier run left is wiped.
    metrics.prepare_multiprocess_dir(ctx.settings.data_dir.resolve() / "run" / "metrics")
    if metrics_port is not None:
        metrics.start_metrics_server(metrics_host, metrics_port, workers=workers)
        out.print(f"Metrics at http://{metrics_host}:{metrics_port}/metrics")
    out.print(f"Tem at http://{host}:{port}  (API docs: /docs)")
    from tem.web.app import server_options, tcp_listener_for_workers

    tcp_listener_for_workers()
    uvicorn.run(
        "tem.web.asgi:app",
        **server_options(host=host, port=port, workers=workers),
    )


@app.command()
def demo(
    reset: Annotated[
        bool, typer.Option(help="Delete an earlier demo data directory first.")
    ] = False,
) -> None:
    """Fill a fresh data directory with clearly marked sample data and write its labels."""
    import os
    import shutil

    from tem.demo import build_demo

    os.environ["TEM_DEMO"] = "1"
    s = settings()
    marker = s.data_dir / "demo-passphrase.txt"
    if s.data_dir.exists() and any(s.data_dir.iterdir()):
        if reset and marker.exists() and s.database_url is None:
            shutil.rmtree(s.data_dir)
        elif reset:
            fail(
                f"{s.data_dir} is not a demo data directory (or uses an external database); not deleting it",
                4,
            )
        else:
            fail(f"{s.data_dir} is not empty; use a fresh TEM_DATA_DIR or `tem demo --reset`", 4)
    with (
        handled(),
        Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
        ) as bar,
    ):
        task = bar.add_task("building the demo", total=None)
        result = build_demo(s, progress=lambda msg: bar.update(task, description=msg))
    out.print("[bold]Tem demo[/] — sample data, clearly marked [DEMO]; not real cooperatives.\n")
    for product, lot, url in result.urls:
        out.print(f"{product} — lot {lot}:", highlight=False)
        # One unbroken line, so it can be copied or clicked in any terminal.
        out.print(f"  {url}", highlight=False, soft_wrap=True)
    if result.stamp_urls:
        out.print(
            "\nSerialized stamps (a print run of 24; scan one many times to see the clone warning):"
        )
        for serial, lot, url in result.stamp_urls:
            out.print(f"stamp {serial} — lot {lot}:", highlight=False)
            out.print(f"  {url}", highlight=False, soft_wrap=True)
    out.print(f"\nLabels (PNG and SVG) and the stamps' CSV: {s.labels_dir.resolve()}")
    out.print(f"Demo API tokens: {(s.data_dir / 'demo-tokens.txt').resolve()}")
    out.print(f"Demo key passphrase (encrypts the sample keys): {marker.resolve()}")


# --- verify -----------------------------------------------------------------------


def _decode_image(path: Path) -> str:
    from PIL import Image, UnidentifiedImageError

    from tem.labels.scan import read_qr

    if not path.is_file():
        fail(f"no such file: {path}")
    try:
        with Image.open(path) as image:
            found = read_qr(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        fail(f"{path} is not an image this tool can read (PNG, JPEG, ...)")
    if not found:
        fail(f"no QR code found in {path}; try a sharper, straighter photo", 3)
    return found[0]


@app.command()
def verify(
    code: Annotated[str | None, typer.Argument(help="The scanned URL or the bare token.")] = None,
    image: Annotated[
        Path | None, typer.Option("--image", help="A photo or scan of a label to decode first.")
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            help="Verify with this trust bundle (GET /api/v1/trust-bundle) only, no database.",
        ),
    ] = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="With --bundle: trust only this authority public key (hex); repeatable.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a label offline. Exit 0 only if genuine.

    By default against the trust anchors and records in the data directory (the batch
    history is checked too); with --bundle, from the code and a trust bundle alone.
    """
    from tem.keys.service import trust_store
    from tem.scans.check import check
    from tem.verify.trust import TrustStore

    if (code is None) == (image is None):
        fail("give a URL or token, or --image FILE (one of the two)")
    text = _decode_image(image) if image is not None else str(code)
    if bundle is not None:
        try:
            data = bundle.read_bytes()
        except OSError as exc:
            fail(f"cannot read the trust bundle {bundle}: {exc.strerror}")
        with handled():
            pinned = {hex_key(a) for a in anchor} if anchor else None
            trust = TrustStore.from_bundle(data, pinned_anchors=pinned)
        result = check(None, text, trust).out()
    else:
        if anchor:
            fail("--anchor only applies with --bundle")
        ctx = Context()
        with handled(), ctx.session() as session:
            result = check(
                session, text, trust_store(session), thresholds=ctx.settings.thresholds()
            ).out()
    print_check(result, as_json=as_json)
    if result.verdict != "genuine":
        raise typer.Exit(EXIT_NOT_GENUINE)


# --- organizations and tokens ----------------------------------------------------------


@org_app.command("create")
def org_create(
    kind: Annotated[str, typer.Option(help="cooperative or inspector")],
    name: Annotated[str, typer.Option()],
    province: Annotated[str, typer.Option()],
    commune: Annotated[str, typer.Option()],
    district: Annotated[str, typer.Option(help="Optional since the 2025 reform.")] = "",
    street: Annotated[str, typer.Option()] = "",
    contact_name: Annotated[str, typer.Option()] = "",
    phone: Annotated[str, typer.Option()] = "",
    email: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a cooperative or an inspector organization."""
    from tem.orgs import service
    from tem.orgs.schemas import OrganizationCreate

    body = validated(
        OrganizationCreate,
        {
            "kind": kind,
            "name": name,
            "province": province,
            "district": district,
            "commune": commune,
            "street": street,
            "contact_name": contact_name,
            "phone": phone,
            "email": email,
        },
    )
    ctx = Context()
    with handled(), ctx.session() as session:
        fields = body.model_dump(exclude={"kind", "name", "email"})
        org = service.create_organization(
            session, kind=Role(body.kind), name=body.name, email=str(body.email or ""), **fields
        )
        data = service.organization_out(org)
    print_json(data) if as_json else out.print(f"{data['kind']} {data['name']}: id {data['id']}")


@org_app.command("list")
def org_list(as_json: JsonOpt = False) -> None:
    """List organizations."""
    from tem.orgs import service

    ctx = Context()
    with handled(), ctx.session() as session:
        rows = [service.organization_out(o) for o in service.list_organizations(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "name", "address")
    for r in rows:
        table.add_row(str(r["id"]), str(r["kind"]), str(r["name"]), str(r["address"]))
    out.print(table)


@token_app.command("create")
def token_create(
    org: OrgOpt,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(help="Stop working after this many days (1-3650).")
    ] = None,
) -> None:
    """Mint an API token for an organization (printed once)."""
    from tem.orgs import service
    from tem.orgs.schemas import TokenCreate

    body = validated(TokenCreate, {"name": name, "expires_days": expires_days})
    ctx = Context()
    with handled(), ctx.session() as session:
        organization = service.get_organization(session, org)
        _, secret = service.create_token(
            session, organization, body.name, expires_days=body.expires_days
        )
    out.print(secret, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List API tokens (never their secrets): id, name, role, created, last used, expiry, status."""
    from tem.orgs import service

    ctx = Context()
    with handled(), ctx.session() as session:
        authority = service.Principal(_operator_org(session), Role.AUTHORITY)
        rows = [
            service.token_out(t, o)
            for t, o in service.list_tokens(session, authority)
            if org is None or o.public_id == org
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "id", "prefix", "organization", "role", "name", "created", "last used", "expires", "status"
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["prefix"]),
            str(r["organization"]),
            str(r["role"]),
            str(r["name"]),
            f"{r['created_at']:%Y-%m-%d}",
            f"{r['last_used_at']:%Y-%m-%d}" if r["last_used_at"] else "-",
            f"{r['expires_at']:%Y-%m-%d}" if r["expires_at"] else "never",
            str(r["status"]),
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id (from `tem token list`).")],
) -> None:
    """Revoke an API token at once: the next request that sends it gets 401."""
    from tem.orgs import service

    ctx = Context()
    with handled(), ctx.session() as session:
        authority = service.Principal(_operator_org(session), Role.AUTHORITY)
        row, _ = service.revoke_token(session, authority, token_id)
        name = row.name
    out.print(f"token {token_id} ({name}) revoked", highlight=False)


def _operator_org(session: Any) -> Any:
    """Whoever runs the CLI is the operator, with the authority's powers."""
    from tem.bootstrap import existing_authority

    authority = existing_authority(session)
    if authority is None:
        raise errors.ConfigurationError("no authority; run `tem init`")
    return authority


# --- keys --------------------------------------------------------------------------


@key_app.command("create")
def key_create(
    org: Annotated[str, typer.Option("--org", help="The cooperative that gets the key.")],
    sign_days: Annotated[int, typer.Option(help="How long it may sign.")] = 365,
    verify_days: Annotated[int, typer.Option(help="How long its signatures stay valid.")] = 3650,
) -> None:
    """Create a signing key for a cooperative and endorse it with the authority's root key."""
    from tem.bootstrap import existing_authority
    from tem.keys import service
    from tem.orgs.service import get_organization

    ctx = Context()
    with handled(), ctx.session() as session:
        authority = existing_authority(session)
        if authority is None:
            raise errors.ConfigurationError("no authority; run `tem init`")
        cooperative = get_organization(session, org)
        windows = service.Windows.from_days(datetime.now(UTC), sign_days, verify_days)
        key, endorsement = service.create_endorsed_key(
            session, ctx.store(), authority, cooperative, windows
        )
    out.print(
        f"key {key.kid.hex()} for {cooperative.name}: signs until {endorsement.sign_until:%Y-%m-%d}, verifies until {endorsement.verify_until:%Y-%m-%d}"
    )


@key_app.command("list")
def key_list(as_json: JsonOpt = False) -> None:
    """List keys with their windows and revocations."""
    from sqlalchemy import select

    from tem.keys.endpoints import key_out
    from tem.models import SigningKey

    ctx = Context()
    with handled(), ctx.session() as session:
        rows = [
            key_out(session, k) for k in session.scalars(select(SigningKey).order_by(SigningKey.id))
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("key id", "purpose", "organization", "signs until", "verifies until", "revoked")
    for r in rows:
        table.add_row(
            r["key_id"],
            r["purpose"],
            r["organization_id"],
            str(r["sign_until"] or "-"),
            str(r["verify_until"] or "-"),
            str(r["revoked_at"] or ""),
        )
    out.print(table)


@key_app.command("revoke")
def key_revoke(
    kid: Annotated[str, typer.Argument(help="Key id (hex).")],
    reason: Annotated[str, typer.Option(help="Why; shown to everyone who verifies.")],
    at: Annotated[
        datetime | None, typer.Option(help="When the key became untrustworthy (default now, UTC).")
    ] = None,
) -> None:
    """Revoke a cooperative's key: labels signed at or after that time fail verification."""
    from tem.bootstrap import existing_authority
    from tem.keys import service
    from tem.keys.schemas import KeyRevoke

    when = (at or datetime.now(UTC)).replace(tzinfo=(at.tzinfo if at and at.tzinfo else UTC))
    body = validated(KeyRevoke, {"reason": reason, "revoked_at": when})
    reason, when = body.reason, body.revoked_at or when
    ctx = Context()
    with handled(), ctx.session() as session:
        authority = existing_authority(session)
        if authority is None:
            raise errors.ConfigurationError("no authority; run `tem init`")
        key = service.find_key(session, kid)
        service.revoke(session, ctx.store(), authority, key, reason, when)
    out.print(f"key {kid} revoked from {when.isoformat()}")


@key_app.command("rewrap")
def key_rewrap() -> None:
    """Re-encrypt every private key file with the current format (scrypt + AES-256-GCM).

    Run once after upgrading from a version that wrote PBKDF2-encrypted PEM files; safe to
    repeat. Each file is replaced atomically (mode 0600) and keeps its name.
    """
    from tem.keys.store import KeyStore

    s = settings()
    with handled():
        store = KeyStore(s.keys_dir, s.passphrase())
        done, current = store.rewrap()
    out.print(f"{done} key file(s) re-encrypted, {current} already in the current format")


# --- products, batches, events -----------------------------------------------------------


def _load_json_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"cannot read JSON from {path}: {exc}")
    if not isinstance(data, dict):
        fail(f"{path} must hold a JSON object")
    return data


def _drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@product_app.command("create")
def product_create(
    org: OrgOpt,
    name: Annotated[str | None, typer.Option(help="Product name, with diacritics.")] = None,
    from_json: Annotated[
        Path | None,
        typer.Option("--from-json", help="A JSON file with the API body; options override it."),
    ] = None,
    category: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    ingredients: Annotated[str | None, typer.Option()] = None,
    standard: Annotated[list[str] | None, typer.Option(help="A standard applied (repeat).")] = None,
    shelf_life_days: Annotated[int | None, typer.Option()] = None,
    gtin: Annotated[str | None, typer.Option()] = None,
    image_url: Annotated[str | None, typer.Option()] = None,
    ocop_stars: Annotated[int | None, typer.Option(help="3, 4 or 5.")] = None,
    ocop_certificate: Annotated[str | None, typer.Option()] = None,
    ocop_council: Annotated[str | None, typer.Option()] = None,
    ocop_awarded: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    ocop_expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a product."""
    from tem.trace import service
    from tem.trace.schemas import ProductCreate

    data = _load_json_file(from_json)
    data.update(
        _drop_none(
            name=name,
            category=category,
            description=description,
            ingredients=ingredients,
            standards=standard or None,
            shelf_life_days=shelf_life_days,
            gtin=gtin,
            image_url=image_url,
        )
    )
    ocop = _drop_none(
        stars=ocop_stars,
        certificate=ocop_certificate,
        council=ocop_council,
        awarded=ocop_awarded,
        expires=ocop_expires,
    )
    if ocop:
        data["ocop"] = {**(data.get("ocop") or {}), **ocop}
    body = validated(ProductCreate, data)
    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        product = service.create_product(session, principal, body)
        result = service.product_out(product, principal.organization.public_id)
    print_json(result) if as_json else out.print(f"product {result['name']}: id {result['id']}")


@product_app.command("list")
def product_list(org: OrgOpt, as_json: JsonOpt = False) -> None:
    """List a cooperative's products."""
    from tem.trace import service

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        rows = [
            service.product_out(p, principal.organization.public_id)
            for p in service.list_products(session, principal)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "OCOP")
    for r in rows:
        ocop = r["ocop"]
        table.add_row(
            str(r["id"]), str(r["name"]), f"{ocop['stars']}★" if isinstance(ocop, dict) else "-"
        )
    out.print(table)


@batch_app.command("create")
def batch_create(
    org: OrgOpt,
    product: Annotated[str, typer.Option(help="Product id.")],
    lot: Annotated[str, typer.Option(help="Lot code, unique per product.")],
    quantity: Annotated[str, typer.Option()],
    unit: Annotated[str, typer.Option()],
    produced: Annotated[str, typer.Option(help="Production date YYYY-MM-DD.")],
    expires: Annotated[str, typer.Option(help="Expiry date YYYY-MM-DD.")],
    origin_name: Annotated[str, typer.Option(help="Where it comes from.")],
    origin_address: Annotated[str, typer.Option()] = "",
    lat: Annotated[str | None, typer.Option()] = None,
    lon: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a batch; its record and label token are signed now."""
    from tem.trace import service
    from tem.trace.schemas import BatchCreate

    body = validated(
        BatchCreate,
        {
            "product_id": product,
            "lot_code": lot,
            "quantity": quantity,
            "unit": unit,
            "production_date": produced,
            "expiry_date": expires,
            "origin": _drop_none(name=origin_name, address=origin_address, lat=lat, lon=lon),
        },
    )
    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        batch = service.create_batch(session, ctx.store(), principal, body)
        result = service.batch_out(session, batch, ctx.settings.public_url)
    print_json(result) if as_json else out.print(
        f"batch {result['lot_code']}: id {result['id']}\nlabel URL: {result['label_url']}",
        highlight=False,
        soft_wrap=True,
    )


@batch_app.command("list")
def batch_list(org: OrgOpt, as_json: JsonOpt = False) -> None:
    """List a cooperative's batches."""
    from tem.trace import service

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        rows = [
            service.batch_out(session, b, ctx.settings.public_url)
            for b in service.list_batches(session, principal)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "lot", "produced", "expires", "quantity")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["lot_code"]),
            str(r["production_date"]),
            str(r["expiry_date"]),
            f"{r['quantity']} {r['unit']}",
        )
    out.print(table)


@batch_app.command("show")
def batch_show(
    org: OrgOpt, batch: Annotated[str, typer.Argument(help="Batch id or lot code.")]
) -> None:
    """Show a batch with its events (JSON)."""
    from sqlalchemy import select

    from tem.models import SigningKey
    from tem.trace import service

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        kids = dict(session.execute(select(SigningKey.id, SigningKey.kid)).tuples().all())
        data = service.batch_out(session, row, ctx.settings.public_url)
        data["events"] = [
            service.event_out(e, row.lot_code, kids.get(e.signing_key_id, b""))
            for e in service.list_events(session, row)
        ]
    print_json(data)


@event_app.command("add")
def event_add(
    org: OrgOpt,
    batch: Annotated[str, typer.Option(help="Batch id or lot code.")],
    type_: Annotated[
        str,
        typer.Option(
            "--type",
            help="harvesting, processing, packing, shipping, receiving, inspecting or custom",
        ),
    ],
    time: Annotated[str, typer.Option(help="When, with offset: 2026-03-03T08:30:00+07:00")],
    place_name: Annotated[str, typer.Option()],
    actor: Annotated[str, typer.Option(help="Who did it.")],
    place_address: Annotated[str, typer.Option()] = "",
    lat: Annotated[str | None, typer.Option()] = None,
    lon: Annotated[str | None, typer.Option()] = None,
    notes: Annotated[str, typer.Option()] = "",
    type_label: Annotated[
        str | None, typer.Option(help="What happened, for --type custom.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an origin event (signed and chained to the previous one)."""
    from sqlalchemy import select

    from tem.models import SigningKey
    from tem.trace import service
    from tem.trace.schemas import EventCreate

    body = validated(
        EventCreate,
        _drop_none(
            type=type_,
            type_label=type_label,
            time=time,
            place=_drop_none(name=place_name, address=place_address, lat=lat, lon=lon),
            actor=actor,
            notes=notes,
        ),
    )
    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        event = service.append_event(session, ctx.store(), principal, row.public_id.hex(), body)
        kid = (
            session.scalar(select(SigningKey.kid).where(SigningKey.id == event.signing_key_id))
            or b""
        )
        result = service.event_out(event, row.lot_code, kid)
    print_json(result) if as_json else out.print(
        f"event {result['trace_code']} ({result['type']}) recorded"
    )


@event_app.command("list")
def event_list(
    org: OrgOpt, batch: Annotated[str, typer.Option(help="Batch id or lot code.")]
) -> None:
    """List a batch's events (JSON)."""
    from sqlalchemy import select

    from tem.models import SigningKey
    from tem.trace import service

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        kids = dict(session.execute(select(SigningKey.id, SigningKey.kid)).tuples().all())
        rows = [
            service.event_out(e, row.lot_code, kids.get(e.signing_key_id, b""))
            for e in service.list_events(session, row)
        ]
    print_json(rows)


# --- labels -----------------------------------------------------------------------


@label_app.command("write")
def label_write(
    org: OrgOpt,
    batch: Annotated[str, typer.Option(help="Batch id or lot code.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Directory (default: <data dir>/labels).")
    ] = None,
    fmt: Annotated[
        list[str] | None, typer.Option("--format", help="svg and/or png (default both).")
    ] = None,
) -> None:
    """Write a batch's QR label as SVG and/or PNG."""
    from tem.labels.render import label_png, label_svg
    from tem.labels.service import label_content

    formats = fmt or ["svg", "png"]
    unknown = set(formats) - {"svg", "png"}
    if unknown:
        fail(f"unknown format {', '.join(sorted(unknown))}; use svg or png")
    ctx = Context()
    target = out_dir or ctx.settings.labels_dir
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        content = label_content(row, ctx.settings.public_url)
    renderers: dict[str, Callable[[Any], bytes]] = {"svg": label_svg, "png": label_png}
    try:
        target.mkdir(parents=True, exist_ok=True)
        for f in formats:
            path = target / safe_filename(f"{row.lot_code}.{f}")
            path.write_bytes(renderers[f](content))
            out.print(str(path))
    except OSError as exc:
        fail(f"cannot write labels to {target}: {exc.strerror}")
    out.print(content.url, highlight=False, soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point
    app()


app.add_typer(stamps_app, name="stamps")
app.command("inspect")(inspect)
app.add_typer(alerts_app, name="alerts")
app.add_typer(reports_app, name="reports")
app.add_typer(scans_app, name="scans")
batch_app.command("recall")(recall)
app.add_typer(labels_app, name="labels")
app.add_typer(privacy_app, name="privacy")
