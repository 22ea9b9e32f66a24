"""A small HTTP/1.1 load generator: N keep-alive connections to 127.0.0.1 for a fixed time.

Each connection sends ``GET <path>``, reads the whole response (Content-Length or
chunked), records the latency with ``time.perf_counter_ns`` and sends the next one.
It runs in its own process (``python -m bench.loadgen``) so that it never shares an
interpreter with what it measures, and prints one JSON object on stdout. Standard
library only. Only loopback is ever targeted: the host is not a parameter.

Run: ``.venv/bin/python -m bench.loadgen --port 8000 --path /api/v1/health --seconds 2``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 10.0  # a request that takes longer is an error, and ends that connection
RECONNECT_PAUSE_S = 0.05  # after a failure, so a dead server does not make a busy loop
MAX_HEADER_BYTES = 64 * 1024
MAX_CHUNKS = 10_000


class ProtocolError(Exception):
    """The server's answer is not the HTTP/1.1 this generator understands."""


@dataclass
class Tally:
    """What all connections observed; asyncio runs them on one thread, so no locking."""

    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    body_checks: int = 0


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    keep_alive: bool


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    for _ in range(MAX_CHUNKS):
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            for _ in range(MAX_CHUNKS):
                if await reader.readuntil(b"\r\n") == b"\r\n":
                    return b"".join(parts)
            break
        parts.append((await reader.readexactly(size + 2))[:-2])
    raise ProtocolError("too many chunks")


async def read_response(reader: asyncio.StreamReader) -> Response:
    """Read one HTTP/1.1 response (status line, headers, body).

    Raises:
        ProtocolError: for a response this generator cannot frame.
        asyncio.IncompleteReadError: if the server closes mid-response.
    """
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    keep_alive = headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body, keep_alive = await reader.read(), False  # framed by the end of the connection
    return Response(int(parts[1]), body, keep_alive)


async def _connection(
    port: int,
    request: bytes,
    expect: bytes,
    sample_every: int,
    deadline_ns: int,
    tally: Tally,
) -> None:
    """One client connection: request after request until the deadline (then finish the last)."""
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    sent = 0
    try:
        while time.perf_counter_ns() < deadline_ns:
            try:
                if stream is None:
                    stream = await asyncio.wait_for(
                        asyncio.open_connection(HOST, port, limit=MAX_HEADER_BYTES),
                        REQUEST_TIMEOUT_S,
                    )
                reader, writer = stream
                start = time.perf_counter_ns()
                writer.write(request)
                response = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT_S)
                latency = time.perf_counter_ns() - start
            except (
                OSError,
                TimeoutError,
                ValueError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ProtocolError,
            ) as exc:
                tally.errors[type(exc).__name__] += 1
                if stream is not None:
                    stream[1].close()
                stream = None
                await asyncio.sleep(RECONNECT_PAUSE_S)
                continue
            tally.latencies_ns.append(latency)
            tally.statuses[response.status] += 1
            if response.status != 200:
                tally.errors[f"status {response.status}"] += 1
            elif sent % sample_every == 0:
                tally.body_checks += 1
                if expect not in response.body:
                    tally.errors["unexpected body"] += 1
            sent += 1
            if not response.keep_alive:
                writer.close()
                stream = None
    finally:
        if stream is not None:
            stream[1].close()


async def run(
    port: int, path: str, seconds: float, connections: int, expect: str, sample_every: int
) -> dict[str, Any]:
    """Load ``path`` for ``seconds`` with ``connections`` keep-alive connections."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: tem-bench\r\n"
        "Accept: */*\r\n\r\n"
    ).encode("ascii")
    tally = Tally()
    cpu_start = time.process_time()
    start = time.perf_counter_ns()
    deadline = start + int(seconds * 1e9)
    tasks = [
        _connection(port, request, expect.encode(), sample_every, deadline, tally)
        for _ in range(connections)
    ]
    # Each connection stops at the deadline, after at most one request timeout more.
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + 2 * REQUEST_TIMEOUT_S + 5)
    wall_ns = time.perf_counter_ns() - start
    return {
        "path": path,
        "connections": connections,
        "seconds": seconds,
        "wall_s": wall_ns / 1e9,
        "cpu_s": time.process_time() - cpu_start,
        "requests": len(tally.latencies_ns),
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
        "errors": dict(tally.errors),
        "body_checks": tally.body_checks,
        "latencies_ns": tally.latencies_ns,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadgen",
        description=f"Keep-alive HTTP/1.1 GET load against {HOST}; prints JSON on stdout.",
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="request path, e.g. /api/v1/health")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--expect", default="", help="text a 200 response body must contain")
    parser.add_argument("--sample-every", type=int, default=20, help="check every Nth body")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 60:
        parser.error("--seconds must be in (0, 60]")
    if not 1 <= args.connections <= 256:
        parser.error("--connections must be in [1, 256]")
    if not 1 <= args.port <= 65535 or not args.path.startswith("/") or args.sample_every < 1:
        parser.error("need a port in [1, 65535], a path starting with /, --sample-every >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(
        run(args.port, args.path, args.seconds, args.connections, args.expect, args.sample_every)
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
