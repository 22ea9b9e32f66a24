"""``tem alerts``, ``tem reports``, ``tem scans`` and ``tem batch recall``: the inspector's work.

Registered by :mod:`tem.cli.main`; the shared helpers come from :mod:`tem.cli.common`.
Every command acts as the organization given with ``--org``, with the same rules
as the API: a cooperative sees only what concerns its own batches.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tem.cli.common import Context, batch_ref, handled, out, principal_for, print_json

alerts_app = typer.Typer(help="Suspect-stamp and key-leak alerts.", no_args_is_help=True)
reports_app = typer.Typer(help="Shoppers' counterfeit reports.", no_args_is_help=True)
scans_app = typer.Typer(help="Scan history of a stamp or a batch.", no_args_is_help=True)

OrgOpt = Annotated[str, typer.Option("--org", help="Act as this organization (its id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=200, help="At most this many.")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")]


def _text(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


# --- alerts ---------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list(
    org: OrgOpt,
    status: Annotated[str, typer.Option("--status", help="open, closed, or all.")] = "open",
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List alerts, most recently updated first."""
    from rich.table import Table

    from tem.scans import inspection

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        wanted = None if status.strip().lower() == "all" else status
        rows = inspection.alerts_out(
            session, inspection.list_alerts(session, principal, wanted, limit, offset)
        )
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "severity", "status", "stamp", "lot", "updated", "message")
    for r in rows:
        table.add_row(
            r["id"],
            r["kind"],
            r["severity"],
            r["status"],
            _text(r["stamp_serial"]),
            _text(r["lot_code"]),
            f"{r['updated_at']:%Y-%m-%d %H:%M}",
            r["message"],
        )
    out.print(table)


@alerts_app.command("close")
def alerts_close(
    org: OrgOpt,
    alert_id: Annotated[str, typer.Argument(metavar="ID", help="The alert's id.")],
    note: Annotated[str, typer.Option("--note", help="Why it is closed (1-2000 characters).")],
) -> None:
    """Close an alert, saying why (inspector or authority)."""
    from tem.scans import inspection

    ctx = Context()
    with handled(), ctx.session() as session:
        alert = inspection.close_alert(session, principal_for(session, org), alert_id, note)
        closed = alert.public_id
    out.print(f"alert {closed} closed")


# --- reports --------------------------------------------------------------------------


@reports_app.command("list")
def reports_list(
    org: OrgOpt,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="open, investigating, confirmed_counterfeit or dismissed (all)."
        ),
    ] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List counterfeit reports, newest first."""
    from rich.table import Table

    from tem.scans import reports

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        rows = reports.reports_out(
            session, principal, reports.list_reports(session, principal, status, limit, offset)
        )
    if as_json:
        print_json(rows)
        return
    table = Table("id", "status", "received", "verdict", "lot", "photo", "problem")
    for r in rows:
        problem = r["problem"] if len(r["problem"]) <= 60 else r["problem"][:59] + "…"
        table.add_row(
            r["id"],
            r["status"],
            f"{r['created_at']:%Y-%m-%d %H:%M}",
            r["verdict"],
            _text(r["lot_code"]),
            "yes" if r["has_photo"] else "",
            problem,
        )
    out.print(table)


@reports_app.command("show")
def reports_show(
    org: OrgOpt,
    report_id: Annotated[str, typer.Argument(metavar="ID", help="The report's id.")],
) -> None:
    """Show one report with its notes (JSON). Its photo: GET /api/v1/reports/ID/photo."""
    from tem.scans import reports

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        data = reports.report_out(
            session, principal, reports.get_report(session, principal, report_id)
        )
    print_json(data)


@reports_app.command("update")
def reports_update(
    org: OrgOpt,
    report_id: Annotated[str, typer.Argument(metavar="ID", help="The report's id.")],
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="investigating, confirmed_counterfeit or dismissed (optional)."
        ),
    ] = None,
    note: Annotated[
        str, typer.Option("--note", help="What was done; required to confirm or dismiss.")
    ] = "",
) -> None:
    """Move a report along its workflow and/or add a note (inspector or authority)."""
    from tem.scans import reports

    ctx = Context()
    with handled(), ctx.session() as session:
        report = reports.update_report(
            session, principal_for(session, org), report_id, status, note
        )
        public_id, now = report.public_id, report.status.value
        following = ", ".join(s.value for s in reports.NEXT_STATUSES[report.status])
    out.print(f"report {public_id}: {now}" + (f" (next: {following})" if following else ""))


# --- scan history ---------------------------------------------------------------------


def _print_scans(rows: list[dict[str, Any]], title: str) -> None:
    from rich.table import Table

    table = Table(
        "time", "kind", "verdict", "stamp", "browser", "system", "place", "phone #", title=title
    )
    for r in rows:
        place = r["place_name"] or ""
        if r["lat"] is not None and r["lon"] is not None:
            place = f"{place} ({r['lat']:.1f}, {r['lon']:.1f})".strip()
        table.add_row(
            f"{r['scanned_at']:%Y-%m-%d %H:%M:%S}",
            r["kind"],
            r["verdict"],
            _text(r["stamp_serial"]),
            r["ua_family"],
            r["os_family"],
            place or "-",
            str(r["browser"]),
        )
    out.print(table)


@scans_app.command("stamp")
def scans_stamp(
    org: OrgOpt,
    serial: Annotated[str, typer.Argument(help="The stamp's serial, e.g. ABCD-EFGH-JKLM-NPQR.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Every scan of one stamp, newest first."""
    from tem.scans import inspection
    from tem.stamps.tokens import short_serial

    ctx = Context()
    with handled(), ctx.session() as session:
        stamp, scans = inspection.stamp_scans(
            session, principal_for(session, org), serial, limit, offset
        )
        rows = inspection.scans_out(session, scans)
        title = (
            f"stamp {short_serial(stamp.serial)}: {stamp.status.value}, "
            f"{stamp.scan_count} public scans"
        )
    print_json(rows) if as_json else _print_scans(rows, title)


@scans_app.command("batch")
def scans_batch(
    org: OrgOpt,
    batch: Annotated[str, typer.Argument(metavar="BATCH_ID", help="Batch id or lot code.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Every scan of a batch's label and stamps, newest first."""
    from tem.scans import inspection

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        _batch, scans = inspection.batch_scans(
            session, principal, row.public_id.hex(), limit, offset
        )
        rows = inspection.scans_out(session, scans)
        title = f"batch {row.lot_code} ({row.public_id.hex()})"
    print_json(rows) if as_json else _print_scans(rows, title)


# --- recall (registered as `tem batch recall`) ----------------------------------------


def recall(
    org: OrgOpt,
    batch: Annotated[str, typer.Argument(help="Batch id or lot code.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (5-500 characters); every shopper sees it.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Recall a batch: every scan of its label or stamps then warns the shopper.

    The batch's own cooperative or an authority may recall it.
    """
    from tem.scans import inspection
    from tem.trace.service import batch_out

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        recalled = inspection.recall_batch(session, principal, row.public_id.hex(), reason)
        data = {
            **batch_out(session, recalled, ctx.settings.public_url),
            **inspection.recall_out(session, recalled),
        }
    if as_json:
        print_json(data)
        return
    out.print(
        f"batch {data['lot_code']} ({data['id']}) recalled at {data['recalled_at']:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
