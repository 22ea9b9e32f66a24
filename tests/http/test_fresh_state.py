"""Signed statements may be cached; stored state may not: a recall made through one worker
is seen by the very next request on every worker (issue 7, "Speed")."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.http.serving import build_demo, serve


def _token_of(data_dir: Path, who: str) -> str:
    for line in (data_dir / "demo-tokens.txt").read_text().splitlines():
        name, _, secret = line.partition(": ")
        if name == who:
            return secret
    raise AssertionError(f"no token for {who}")


def test_a_recall_is_seen_at_once_by_every_worker(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    label = build_demo(data_dir)[0]
    coop = {"Authorization": f"Bearer {_token_of(data_dir, 'cooperative 1')}"}
    with serve(data_dir, workers=2, env={"TEM_LOG_FORMAT": "json"}) as server:

        def verdict(_: int) -> str:
            # A new connection each time, so either worker may answer.
            body = httpx.get(f"{server.url}/api/v1/verify/{label}", timeout=30).json()
            return str(body["verdict"])

        # Warm both workers' caches with the genuine answer.
        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(verdict, range(40))) == {"genuine"}
        batch_id = httpx.get(f"{server.url}/api/v1/verify/{label}", timeout=30).json()["batch"][
            "id"
        ]
        recalled = httpx.post(
            f"{server.url}/api/v1/batches/{batch_id}/recall",
            json={"reason": "thử nghiệm thu hồi"},
            headers=coop,
            timeout=30,
        )
        assert recalled.status_code == 200, recalled.text
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            after = list(pool.map(verdict, range(40)))
        assert after == ["recalled"] * 40, after
        lines = server.request_lines("/api/v1/verify/{token}", at_least=81)
        pids = {r["pid"] for r in lines}
        assert len(pids) == 2, "both workers should have answered"
        assert time.monotonic() - started < 60
