"""L12: printable outputs (every stamp's URL, every label) are for the owning cooperative only.

On 9948ee2 an inspector's token downloaded any cooperative's ``stamps.csv`` and
``labels.*``: enough to print valid stamps for anyone. Now an inspector or an authority
gets 403, another cooperative 404, and the owner its files.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.labels.test_print_api import batch_url, printed, run_url

__all__ = ["printed"]

FORMATS = ("pdf", "zpl", "zip", "csv")


def printable_urls(printed: dict[str, Any]) -> list[str]:
    return [
        f"/api/v1/print-runs/{printed['run']['id']}/stamps.csv",
        *(run_url(printed, fmt) for fmt in FORMATS),
        *(batch_url(printed, fmt) for fmt in FORMATS),
        run_url(printed, "zip") + "?image=png",
    ]


@pytest.mark.parametrize("role", ["inspector", "authority"])
def test_an_inspector_or_authority_cannot_download_printable_stamps(
    world: World, printed: dict[str, Any], role: str
) -> None:
    token = world.inspector_token if role == "inspector" else world.authority_token
    for url in printable_urls(printed):
        response = world.client.get(url, headers=world.auth(token))
        assert response.status_code == 403, (url, response.status_code)
        assert response.json()["error"] == "forbidden"
        assert "/T/" not in response.text


def test_only_the_owner_gets_them_and_another_cooperative_finds_nothing(
    world: World, printed: dict[str, Any]
) -> None:
    for url in printable_urls(printed):
        assert world.client.get(url, headers=world.b).status_code == 404, url
        assert world.client.get(url, headers=world.a).status_code == 200, url


def test_an_inspector_still_looks_up_a_run_and_its_stamps(
    world: World, printed: dict[str, Any]
) -> None:
    # Inspecting is not printing: the run's summary stays visible to an inspector.
    inspector = world.auth(world.inspector_token)
    run = world.client.get(f"/api/v1/print-runs/{printed['run']['id']}", headers=inspector)
    assert run.status_code == 200
    assert run.json()["issued"] == len(printed["urls"])
