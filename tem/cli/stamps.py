"""``tem stamps ...`` and ``tem inspect``: issue serialized stamps, export, void, check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tem.cli.common import (
    EXIT_NOT_GENUINE,
    Context,
    JsonOpt,
    OrgOpt,
    batch_ref,
    err,
    fail,
    handled,
    out,
    principal_for,
    print_check,
    print_json,
)

stamps_app = typer.Typer(
    help="Serialized stamps: issue print runs, export, void.", no_args_is_help=True
)


def _issue(ctx: Context, run_id: int, requested: int, issued: int) -> None:
    from tem.db import session_factory
    from tem.stamps import service

    columns = (
        TextColumn("signing stamps"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("issue", total=requested, completed=issued)
        service.issue_chunks(
            session_factory(ctx.engine),
            ctx.store(),
            run_id,
            progress=lambda done, _total: bar.update(task, completed=done),
        )


@stamps_app.command("issue")
def issue(
    org: OrgOpt,
    batch: Annotated[str, typer.Option(help="Batch id or lot code.")],
    count: Annotated[int, typer.Option(help="How many stamps.")],
    request_key: Annotated[
        str | None,
        typer.Option(
            help="Idempotency key; re-run with the same key to resume, never duplicate. Default: new."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue COUNT stamps for a batch, in committed chunks, with a progress bar.

    Exit code 4 if another process (the server, another command) is issuing this run.
    """
    from tem.stamps import service

    key = request_key or service.new_request_key()
    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        row = batch_ref(session, principal, batch)
        run, created = service.start_run(session, principal, row.public_id.hex(), count, key)
        run_id, public_id, requested, issued = run.id, run.public_id, run.requested, run.issued
    if not as_json:
        verb = "started" if created else "found"
        out.print(
            f"print run {public_id} {verb} (request key {key}); if interrupted, re-run with --request-key {key}"
        )
    with handled():
        _issue(ctx, run_id, requested, issued)
    with handled(), ctx.session() as session:
        result = service.run_out(
            session, service.get_run(session, principal_for(session, org), public_id)
        )
    if as_json:
        print_json(result)
    else:
        out.print(f"{result['issued']} of {result['requested']} stamps issued: {result['status']}")


@stamps_app.command("resume")
def resume(org: OrgOpt, run: Annotated[str, typer.Argument(help="Print run id.")]) -> None:
    """Finish a print run that was interrupted (exactly the requested number in the end).

    Issues in the foreground, as the run's only issuer; exit code 4 if another process
    (the server, another command) is issuing it now.
    """
    from tem.stamps import service

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        service.require_cooperative(principal)
        found = service.get_run(session, principal, run)
        run_id, requested, issued = found.id, found.requested, found.issued
    with handled():
        _issue(ctx, run_id, requested, issued)
    out.print(f"print run {run}: {requested} stamps issued")


@stamps_app.command("export")
def export(
    org: OrgOpt,
    run: Annotated[str, typer.Argument(help="Print run id.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="CSV file (default: standard output).")
    ] = None,
) -> None:
    """Write the run's stamps as CSV for a print shop: serial, URL, batch, sequence."""
    from tem.labels import export as printing

    ctx = Context()
    try:
        handle = out_file.open("wb") if out_file else sys.stdout.buffer
    except OSError as exc:
        fail(f"cannot write {out_file}: {exc.strerror}")
    try:
        with handled(), ctx.session() as session:
            public_url = ctx.settings.public_url
            job = printing.stamps_job(session, principal_for(session, org), run, public_url)
            csv_options = printing.print_options("csv")
            printing.write_job(session, job, csv_options, handle, public_url=public_url)
    finally:
        if out_file:
            handle.close()
        else:
            handle.flush()


@stamps_app.command("review")
def review(
    org: OrgOpt,
    serial: Annotated[str, typer.Argument(help="Stamp serial, e.g. ABCD-EFGH-JKLM-NPQR.")],
    note: Annotated[str, typer.Option(help="What the review found (1-2000 characters).")],
    as_json: JsonOpt = False,
) -> None:
    """Mark a stamp's scan history as reviewed (inspector, authority): scans up to now no
    longer count towards "suspect"; later ones do."""
    from tem.cli.common import validated
    from tem.scans import inspection
    from tem.scans.schemas import StampReview
    from tem.stamps.tokens import short_serial

    body = validated(StampReview, {"note": note})
    ctx = Context()
    with handled(), ctx.session() as session:
        stamp = inspection.review_stamp(session, principal_for(session, org), serial, body.note)
        result = {
            "serial": short_serial(stamp.serial),
            "reviewed_at": stamp.reviewed_at,
            "note": stamp.review_note,
        }
    if as_json:
        print_json(result)
    else:
        out.print(f"stamp {result['serial']} reviewed; later scans start a new baseline")


@stamps_app.command("void")
def void(
    org: OrgOpt,
    reason: Annotated[str, typer.Option(help="Why; shown to every shopper who scans them.")],
    serial: Annotated[
        list[str] | None, typer.Option("--serial", help="A stamp serial (repeat).")
    ] = None,
    run: Annotated[str | None, typer.Option(help="Print run id, with --from and --to.")] = None,
    from_seq: Annotated[int | None, typer.Option("--from", help="First sequence number.")] = None,
    to_seq: Annotated[int | None, typer.Option("--to", help="Last sequence number.")] = None,
) -> None:
    """Void stamps by serial, or a range of a print run."""
    from tem.cli.common import validated
    from tem.stamps import service
    from tem.stamps.schemas import VoidRequest

    body = validated(
        VoidRequest,
        {
            "reason": reason,
            "serials": serial,
            "run_id": run,
            "from_seq": from_seq,
            "to_seq": to_seq,
        },
    )
    ctx = Context()
    with handled(), ctx.session() as session:
        count = service.void_stamps(
            session,
            principal_for(session, org),
            reason=body.reason,
            serials=body.serials,
            run_id=body.run_id,
            from_seq=body.from_seq,
            to_seq=body.to_seq,
        )
    out.print(f"{count} stamps voided")


@stamps_app.command("show")
def show(
    org: OrgOpt,
    serial: Annotated[str, typer.Argument(help="Stamp serial, e.g. ABCD-EFGH-JKLM-NPQR.")],
) -> None:
    """One stamp in detail: status, scans, its URL (JSON)."""
    from tem.stamps import service
    from tem.stamps.endpoints import stamp_out

    ctx = Context()
    with handled(), ctx.session() as session:
        stamp = service.get_stamp(session, principal_for(session, org), serial)
        data = stamp_out(session, stamp, ctx.settings.public_url)
    print_json(data)


def inspect(
    org: OrgOpt,
    code: Annotated[str, typer.Argument(help="The scanned URL or token.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a code as an inspector: recorded as an inspection, never counted by clone rules."""
    from tem.keys.service import trust_store
    from tem.models import Role, ScanKind
    from tem.scans.check import check
    from tem.scans.service import ScanInput

    ctx = Context()
    with handled(), ctx.session() as session:
        principal = principal_for(session, org)
        principal.require(Role.INSPECTOR, Role.AUTHORITY)
        scan = ScanInput(
            "inspector-" + principal.organization.public_id,
            "tem-cli",
            kind=ScanKind.INSPECTION,
            inspector_org_id=principal.organization.id,
        )
        result = check(
            session,
            code,
            trust_store(session),
            scan=scan,
            secret=ctx.settings.secret(),
            thresholds=ctx.settings.thresholds(),
        ).out()
    print_check(result, as_json=as_json)
    if result.stamp is not None and not as_json:
        stamp = result.stamp
        out.print(
            f"stamp {stamp.serial} #{stamp.seq}: {stamp.status}, {stamp.scan_count} public scans"
        )
    if result.verdict != "genuine":
        raise typer.Exit(EXIT_NOT_GENUINE)
