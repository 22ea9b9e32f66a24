"""M7: clients that read nothing cannot starve the public page.

On 9948ee2 each download of ``labels.zip?image=png`` kept a database connection while
its client read nothing (for up to 300 s); 44 of them used up the pool and ``/T/{t}``
answered 500 after 32.7 s. Each test starts a real ``tem serve`` (on PostgreSQL when
``TEM_DATABASE_URL`` is set, else SQLite), opens 44 downloads on raw sockets that send
the request and never read, and then times the public page.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, World
from tests.trace.test_flow import make_batch

STALLED = 44
PUBLIC_PAGE_SECONDS = 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (proc(5): /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_stalled(pid: int, timeout: float = 120.0) -> None:
    """Wait until the server is idle: every download has filled its buffers and waits."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        if now - before < 0.05:
            return
        before = now
    raise AssertionError("the server never went idle")


@contextmanager
def serving(world: World, **settings: str) -> Iterator[tuple[int, int]]:
    """``tem serve`` on a free port, on the world's database; yields its port and pid."""
    port = free_port()
    env = {
        **os.environ,
        "TEM_DATA_DIR": str(world.settings.data_dir),
        "TEM_KEY_PASSPHRASE": PASSPHRASE,
        "TEM_PUBLIC_URL": world.settings.public_url,
        **settings,
    }
    if world.settings.database_url:
        env["TEM_DATABASE_URL"] = world.settings.database_url
    server = subprocess.Popen(
        [sys.executable, "-m", "tem", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(port, "/api/v1/health")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stalled_reader(port: int, path: str, token: str) -> socket.socket:
    """Send the request, then never read: the smallest receive window there is."""
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect(("127.0.0.1", port))
    reader.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    return reader


def print_run(world: World, count: int) -> dict[str, Any]:
    batch = make_batch(world, events=1)
    run = world.client.post(
        f"/api/v1/batches/{batch['id']}/print-runs",
        json={"count": count, "request_key": "slow-readers"},
        headers=world.a,
    )
    assert run.status_code == 201, run.text
    stamps = world.client.get(f"/api/v1/print-runs/{run.json()['id']}/stamps.csv", headers=world.a)
    first = next(csv.DictReader(io.StringIO(stamps.text)))
    page = "/T/" + first["url"].rsplit("/T/", 1)[1]
    return {"run": run.json()["id"], "page": page}


def slowest_public_page(port: int, page: str, times: int = 3) -> float:
    slowest = 0.0
    for _ in range(times):
        started = time.monotonic()
        status, _body = get(port, page)
        elapsed = time.monotonic() - started
        assert status == 200, status
        slowest = max(slowest, elapsed)
    return slowest


def test_44_stalled_png_label_downloads_leave_the_public_page_fast(world: World) -> None:
    # The review's repro, with the default settings: one cooperative's 44 downloads.
    run = print_run(world, 150)
    with serving(world) as (port, pid):
        assert slowest_public_page(port, run["page"]) < 5  # warm: trust store, templates
        path = f"/api/v1/print-runs/{run['run']}/labels.zip?image=png"
        readers = [stalled_reader(port, path, world.coop_a_token) for _ in range(STALLED)]
        try:
            # Beyond the organization's two downloads in progress: 429, and when to retry.
            refused = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                headers={"Authorization": f"Bearer {world.coop_a_token}"},
            )
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(refused, timeout=60)  # noqa: S310 - our server
            assert caught.value.code == 429
            assert int(caught.value.headers["Retry-After"]) > 0
            wait_until_stalled(pid)
            slowest = slowest_public_page(port, run["page"])
            assert slowest < PUBLIC_PAGE_SECONDS, f"/T/ took {slowest:.2f} s"
        finally:
            for reader in readers:
                reader.close()
