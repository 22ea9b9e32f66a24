"""``tem privacy``: personal data past its retention (docs/privacy.md).

Registered by :mod:`tem.cli.main`; the shared helpers come from :mod:`tem.cli.common`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from tem.cli.common import Context, JsonOpt, handled, out, print_json

privacy_app = typer.Typer(
    help="Personal data: purge what is past its retention (docs/privacy.md).",
    no_args_is_help=True,
)


@privacy_app.command("purge")
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what is due; change nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Purge scan details older than TEM_SCAN_DETAIL_DAYS and erase the contacts and photos
    of reports closed more than TEM_REPORT_CONTACT_DAYS ago (the server also does it daily).

    Works in transactions of 1,000 rows; safe to run at any time and to repeat.
    """
    from tem.db import session_factory
    from tem.scans import privacy
    from tem.scans.reports import reports_dir

    ctx = Context()
    with handled():
        retention = ctx.settings.retention()
        counts = privacy.purge(
            session_factory(ctx.engine),
            retention,
            reports_dir(ctx.settings.data_dir),
            dry_run=dry_run,
        )
    if as_json:
        print_json({**asdict(counts), **asdict(retention)})
        return
    out.print(
        f"Scan details kept {retention.scan_detail_days} days; report contacts "
        f"{retention.report_contact_days} days after closing.",
        highlight=False,
    )
    out.print(counts.summary() + ".", highlight=False)
