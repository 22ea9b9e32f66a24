"""Every caller of the one check says the same thing about the same code.

Characterization tests: written against the callers as they were before they became one
call of :func:`tem.scans.check.check`, and kept so they never drift apart again. For each
case the verdict and the reason codes of ``GET /api/v1/verify``, ``POST /api/v1/scan``,
``GET /api/v1/inspect``, the public page, ``tem verify`` and ``tem inspect`` agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from tem.cli.main import app
from tem.models import Event
from tests.conftest import PASSPHRASE, World
from tests.scans.test_scanning import issue, sessions, token_of
from tests.trace.test_flow import make_batch

runner = CliRunner()


def _cli(world: World, *args: str) -> tuple[int, dict[str, Any]]:
    env = {
        "TEM_DATA_DIR": str(world.settings.data_dir),
        "TEM_KEY_PASSPHRASE": PASSPHRASE,
        "TEM_PUBLIC_URL": "http://tem.test",
        "COLUMNS": "300",
    }
    if world.settings.database_url:
        env["TEM_DATABASE_URL"] = world.settings.database_url
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


def _codes(body: dict[str, Any]) -> tuple[str, list[str]]:
    return body["verdict"], sorted(r["code"] for r in body["reasons"])


def _all_callers(world: World, token: str) -> dict[str, tuple[str, list[str]]]:
    client = world.client
    inspector = world.auth(world.inspector_token)
    seen = {
        "verify": _codes(client.get(f"/api/v1/verify/{token}").json()),
        "inspect": _codes(client.get(f"/api/v1/inspect/{token}", headers=inspector).json()),
    }
    code, body = _cli(world, "verify", f"HTTP://TEM.TEST/T/{token}")
    seen["tem verify"] = _codes(body)
    assert (code == 0) == (body["verdict"] == "genuine")
    code, body = _cli(world, "inspect", "--org", world.inspector, token)
    seen["tem inspect"] = _codes(body)
    assert (code == 0) == (body["verdict"] == "genuine")
    # The scan last: it is the only caller that records a public scan.
    client.cookies.clear()
    seen["scan"] = _codes(client.post(f"/api/v1/scan/{token}").json())
    return seen


def _recall(world: World, batch_id: str) -> None:
    response = world.client.post(
        f"/api/v1/batches/{batch_id}/recall", json={"reason": "nhiễm nấm mốc"}, headers=world.a
    )
    assert response.status_code == 200, response.text


def _void(world: World, serial: str) -> None:
    response = world.client.post(
        "/api/v1/stamps/void", json={"serials": [serial], "reason": "lost roll"}, headers=world.a
    )
    assert response.status_code == 200, response.text


def _tamper(world: World, batch_id: str) -> None:
    with sessions(world)() as session:
        session.execute(
            update(Event).where(Event.seq == 1).values(actor="someone else"),
        )
        session.commit()


Case = Callable[[World], tuple[str, tuple[str, list[str]]]]


def _label(world: World) -> tuple[str, tuple[str, list[str]]]:
    batch = make_batch(world)
    return str(batch["token"]), ("genuine", [])


def _stamp(world: World) -> tuple[str, tuple[str, list[str]]]:
    _, stamps = issue(world)
    return token_of(stamps[0]), ("genuine", [])


def _recalled_label(world: World) -> tuple[str, tuple[str, list[str]]]:
    batch = make_batch(world)
    _recall(world, str(batch["id"]))
    return str(batch["token"]), ("recalled", ["recalled"])


def _recalled_stamp(world: World) -> tuple[str, tuple[str, list[str]]]:
    batch, stamps = issue(world)
    _recall(world, str(batch["id"]))
    return token_of(stamps[0]), ("recalled", ["recalled"])


def _void_stamp(world: World) -> tuple[str, tuple[str, list[str]]]:
    _, stamps = issue(world)
    _void(world, stamps[1]["serial"])
    return token_of(stamps[1]), ("void", ["void"])


def _tampered_label(world: World) -> tuple[str, tuple[str, list[str]]]:
    batch = make_batch(world)
    _tamper(world, str(batch["id"]))
    return str(batch["token"]), ("invalid", ["record_mismatch"])


def _garbage(world: World) -> tuple[str, tuple[str, list[str]]]:
    make_batch(world, events=0)
    return "NOTATOKEN0123", ("invalid", ["malformed_token"])


CASES: dict[str, Case] = {
    "label": _label,
    "stamp": _stamp,
    "recalled_label": _recalled_label,
    "recalled_stamp": _recalled_stamp,
    "void_stamp": _void_stamp,
    "tampered_label": _tampered_label,
    "garbage": _garbage,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_caller_gives_the_same_verdict(world: World, case: str) -> None:
    token, expected = CASES[case](world)
    seen = _all_callers(world, token)
    assert seen == dict.fromkeys(seen, expected)


def test_the_page_shows_the_same_verdict(world: World) -> None:
    batch = make_batch(world)
    _recall(world, str(batch["id"]))
    page = world.client.get(f"/T/{batch['token']}?lang=en")
    assert page.status_code == 200
    assert "verdict-recalled" in page.text or "recalled" in page.text.lower()
