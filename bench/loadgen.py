"""A small HTTP/1.1 load generator: N keep-alive connections to 127.0.0.1 for a fixed time.

Each connection sends ``GET <path>``, reads the whole response (Content-Length or
chunked), records the latency with ``time.perf_counter_ns`` and sends the next one.
It runs in its own process (``python -m bench.loadgen``) so that it never shares an
interpreter with what it measures, and prints one JSON object on stdout. Standard
library only. Only loopback is ever targeted: the host is not a parameter.

Options for endpoints that change state: ``--method POST`` (an empty body),
``--paths-file`` (one path per line; each connection goes round them, starting at its
own offset) and ``--cookie NAME`` (each connection sends ``NAME=<a value of its
own>``, so it looks like one browser).

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
MAX_PATHS = 100_000
METHODS = ("GET", "POST")


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


def build_request(port: int, path: str, method: str = "GET", cookie: str | None = None) -> bytes:
    """The bytes of one request; a POST has an empty body, ``cookie`` is ``name=value``."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        "User-Agent: tem-bench",
        "Accept: */*",
    ]
    if cookie is not None:
        lines.append(f"Cookie: {cookie}")
    if method != "GET":
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def _connection(
    port: int,
    requests: Sequence[bytes],
    expect: Sequence[bytes],
    sample_every: int,
    deadline_ns: int,
    tally: Tally,
    first: int = 0,
) -> None:
    """One client connection: request after request until the deadline (then finish the last).

    The requests are sent in turn, starting with ``requests[first]``.
    """
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    sent = 0
    turn = first
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
                writer.write(requests[turn % len(requests)])
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
            turn += 1
            tally.latencies_ns.append(latency)
            tally.statuses[response.status] += 1
            if response.status != 200:
                tally.errors[f"status {response.status}"] += 1
            elif sent % sample_every == 0:
                tally.body_checks += 1
                if any(text not in response.body for text in expect):
                    tally.errors["unexpected body"] += 1
            sent += 1
            if not response.keep_alive:
                writer.close()
                stream = None
    finally:
        if stream is not None:
            stream[1].close()


async def run(
    port: int,
    path: str,
    seconds: float,
    connections: int,
    expect: str | Sequence[str],
    sample_every: int,
    *,
    method: str = "GET",
    paths: Sequence[str] = (),
    cookie: str | None = None,
) -> dict[str, Any]:
    """Load ``path`` for ``seconds`` with ``connections`` keep-alive connections.

    With ``paths``, the connections go round those instead, each from its own offset.
    With ``cookie`` (a name), connection ``i`` sends the cookie ``<name>=<value i>``.
    Every text in ``expect`` must be in each sampled 200 body.
    """
    targets = list(paths) or [path]
    texts = [expect] if isinstance(expect, str) else list(expect)
    tally = Tally()
    cpu_start = time.process_time()
    start = time.perf_counter_ns()
    deadline = start + int(seconds * 1e9)
    tasks = []
    for index in range(connections):
        value = None if cookie is None else f"{cookie}=loadgen-connection-{index:04d}"
        requests = [build_request(port, target, method, value) for target in targets]
        first = index * len(requests) // connections
        tasks.append(
            _connection(
                port, requests, [t.encode() for t in texts], sample_every, deadline, tally, first
            )
        )
    # Each connection stops at the deadline, after at most one request timeout more.
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + 2 * REQUEST_TIMEOUT_S + 5)
    wall_ns = time.perf_counter_ns() - start
    return {
        "path": path,
        "method": method,
        "paths": len(targets),
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
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        help="text a 200 response body must contain (repeat for several)",
    )
    parser.add_argument("--sample-every", type=int, default=20, help="check every Nth body")
    parser.add_argument("--method", choices=METHODS, default="GET", help="GET, or POST (no body)")
    parser.add_argument(
        "--paths-file",
        type=argparse.FileType("r", encoding="ascii"),
        help="paths to go round, one per line (instead of --path; at most 100,000)",
    )
    parser.add_argument(
        "--cookie", metavar="NAME", help="send the cookie NAME with a fixed value per connection"
    )
    args = parser.parse_args(argv)
    if args.cookie is not None and not args.cookie.replace("_", "").isalnum():
        parser.error("--cookie takes a cookie name: letters, digits and _")
    args.paths = []
    if args.paths_file is not None:
        with args.paths_file:
            args.paths = [line.strip() for line in args.paths_file if line.strip()]
        if not 1 <= len(args.paths) <= MAX_PATHS or not all(p.startswith("/") for p in args.paths):
            parser.error("--paths-file must hold 1 to 100,000 paths, each starting with /")
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
        run(
            args.port,
            args.path,
            args.seconds,
            args.connections,
            args.expect,
            args.sample_every,
            method=args.method,
            paths=args.paths,
            cookie=args.cookie,
        )
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
