"""`tem stamps` as an operator uses it, including a real crash in the middle of a print run."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from tem.config import Settings
from tem.db import make_engine
from tem.models import PrintRun, Stamp
from tests.cli.test_main import batch, env, tem

__all__ = ["batch", "env"]


def tem_json(env: dict[str, str], *args: str) -> dict[str, object]:
    """Run a command and parse its standard output alone (progress bars go to stderr)."""
    from typer.testing import CliRunner

    from tem.cli.main import app

    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_issue_export_show_void_inspect(env: dict[str, str], batch: dict[str, str]) -> None:
    out = tem(
        env,
        "stamps",
        "issue",
        "--org",
        batch["org"],
        "--batch",
        "ST-01",
        "--count",
        "30",
        "--request-key",
        "job-1",
    )
    assert "30 of 30 stamps issued: complete" in out
    again = tem_json(
        env,
        "stamps",
        "issue",
        "--org",
        batch["org"],
        "--batch",
        "ST-01",
        "--count",
        "30",
        "--request-key",
        "job-1",
        "--json",
    )
    assert again["issued"] == 30
    rows = list(
        csv.DictReader(
            io.StringIO(tem(env, "stamps", "export", "--org", batch["org"], str(again["id"])))
        )
    )
    assert len(rows) == 30
    assert len({r["serial"] for r in rows}) == 30
    shown = tem_json(env, "stamps", "show", "--org", batch["org"], rows[0]["serial"])
    assert shown["seq"] == 1
    assert "GENUINE" in tem(env, "verify", rows[0]["url"])
    assert "1 stamps voided" in tem(
        env,
        "stamps",
        "void",
        "--org",
        batch["org"],
        "--serial",
        rows[0]["serial"],
        "--reason",
        "in hỏng",
    )
    assert "VOID" not in tem(env, "verify", rows[1]["url"])
    assert "2 stamps voided" in tem(
        env,
        "stamps",
        "void",
        "--org",
        batch["org"],
        "--run",
        str(again["id"]),
        "--from",
        "2",
        "--to",
        "3",
        "--reason",
        "x",
    )
    assert "give serials" in tem(
        env, "stamps", "void", "--org", batch["org"], "--reason", "x", code=2
    )
    assert "between 1 and" in tem(
        env, "stamps", "issue", "--org", batch["org"], "--batch", "ST-01", "--count", "0", code=2
    )


def test_killed_mid_run_resumes_to_exactly_n(
    env: dict[str, str], batch: dict[str, str], settings: Settings
) -> None:
    total = 20_000
    command = [
        sys.executable,
        "-m",
        "tem",
        "stamps",
        "issue",
        "--org",
        batch["org"],
        "--batch",
        "ST-01",
        "--count",
        str(total),
        "--request-key",
        "big-run",
    ]
    child = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    engine = make_engine(settings)
    try:
        deadline = time.monotonic() + 120
        issued = 0
        while time.monotonic() < deadline and child.poll() is None:
            with engine.connect() as conn:
                issued = conn.scalar(select(func.count()).select_from(Stamp)) or 0
            if issued >= 2_000:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        with engine.connect() as conn:
            after_kill = conn.scalar(select(func.count()).select_from(Stamp)) or 0
        assert after_kill % 1000 == 0  # whole chunks only
        assert 0 < after_kill < total
        again = (
            "stamps",
            "issue",
            "--org",
            batch["org"],
            "--batch",
            "ST-01",
            "--count",
            str(total),
            "--request-key",
            "big-run",
        )
        # The killed issuer's lease has not run out: nobody may issue beside it yet.
        assert "being issued by another process" in tem(env, *again, code=4)
        with engine.begin() as conn:  # ... until it has (LEASE_TTL after its last chunk)
            conn.execute(
                update(PrintRun).values(issuer_lease_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        tem(env, *again)
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(Stamp))
            distinct = conn.scalar(select(func.count(func.distinct(Stamp.serial))))
            top = conn.scalar(select(func.max(Stamp.seq)))
        assert count == distinct == top == total
    finally:
        if child.poll() is None:
            child.kill()
        engine.dispose()


def test_inspect_is_for_inspectors(
    env: dict[str, str], batch: dict[str, str], tmp_path: Path
) -> None:
    org = tem_json(
        env,
        "org",
        "create",
        "--kind",
        "inspector",
        "--name",
        "Đội QLTT",
        "--province",
        "Lào Cai",
        "--commune",
        "x",
        "--json",
    )
    assert "GENUINE" in tem(env, "inspect", "--org", org["id"], batch["url"])
    assert "needs an inspector or authority token" in tem(
        env, "inspect", "--org", batch["org"], batch["url"], code=5
    )
