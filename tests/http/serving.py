"""A real `tem serve` in a subprocess, over a demo data directory on SQLite, for multi-worker tests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TEM = str(Path(sys.executable).parent / "tem")
DEMO_URL = "http://127.0.0.1:8000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(data_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    # SQLite in the demo directory, whatever database the rest of the suite uses.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEM_", "PROMETHEUS_", "prometheus_"))
    }
    env.update(TEM_DATA_DIR=str(data_dir), TEM_DEMO="1", TEM_PUBLIC_URL=DEMO_URL, COLUMNS="400")
    env.update(extra)
    return env


def build_demo(data_dir: Path) -> list[str]:
    """Run `tem demo` into ``data_dir``; return the tokens of the labels and stamps it printed."""
    done = subprocess.run(
        [TEM, "demo"], env=_env(data_dir, {}), capture_output=True, text=True, check=True
    )
    tokens = re.findall(r"HTTP://127\.0\.0\.1:8000/T/([A-Z2-7]+)", done.stdout)
    assert tokens, done.stdout
    return tokens


@dataclass
class Server:
    url: str
    stderr: Path

    def log_text(self) -> str:
        return self.stderr.read_text(errors="replace")

    def request_lines(
        self, route: str | None = None, *, at_least: int = 0, wait_s: float = 10.0
    ) -> list[dict[str, object]]:
        """The JSON request lines written so far (TEM_LOG_FORMAT=json), of ``route`` if given.

        A worker writes a request's line after its response has gone out, so a test that
        has just read its last response waits (up to ``wait_s``) for ``at_least`` lines.
        """
        deadline = time.monotonic() + wait_s
        while True:
            lines = [
                line
                for line in self._request_lines()
                if route is None or line.get("route") == route
            ]
            if len(lines) >= at_least or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def _request_lines(self) -> list[dict[str, object]]:
        lines = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == "request":
                    lines.append(record)
        return lines


@contextmanager
def serve(
    data_dir: Path,
    *,
    workers: int,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[Server]:
    """`tem serve --workers N` on a free port; yields once every worker has started."""
    port = free_port()
    log_path = data_dir.parent / f"serve-{port}.log"
    with log_path.open("w") as log:
        child = subprocess.Popen(
            [TEM, "serve", "--port", str(port), "--workers", str(workers), *args],
            env=_env(data_dir, env or {}),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 60
            while log_path.read_text().count("Application startup complete") < workers:
                assert child.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            server = Server(f"http://127.0.0.1:{port}", log_path)
            assert httpx.get(server.url + "/api/v1/health").status_code == 200
            yield server
        finally:
            child.terminate()
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
