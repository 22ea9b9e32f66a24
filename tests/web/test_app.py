"""The app factory's serving options."""

from __future__ import annotations

import socket

import uvicorn

from tem.web.app import tcp_listener_for_workers


def test_the_multi_worker_listener_is_tcp_so_asyncio_sets_nodelay() -> None:
    """Regression: with --workers 2 every keep-alive response waited ~40 ms (Nagle)."""
    tcp_listener_for_workers()
    tcp_listener_for_workers()  # idempotent
    config = uvicorn.Config("tem.web.asgi:app", host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.family == socket.AF_INET
    finally:
        sock.close()
