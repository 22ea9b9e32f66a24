"""``tem serve`` with one change: uvicorn's listening socket says it is TCP.

uvicorn's ``Config.bind_socket()`` (the ``--workers N`` path, N > 1) makes the listener
with ``socket.socket(family=...)``, so its ``proto`` is 0; accepted sockets inherit it,
and asyncio only sets ``TCP_NODELAY`` on a socket whose ``proto`` is ``IPPROTO_TCP``.
With Nagle's algorithm on, every keep-alive request after the first waits for the
client's delayed ACK, ~40 ms on Linux (Kludex/uvicorn#3149, open in uvicorn 0.54).
``--workers 1`` is not affected: uvicorn then gives asyncio a host and a port.

The benchmarks run this (``--nodelay-fix``) only to show what the server would do with
the fix; the figures of record are plain ``tem serve``'s. Nothing else is changed.

Run: ``python -m bench.serve_nodelay serve --workers 2 ...`` (the arguments of ``tem``).
"""

from __future__ import annotations

import socket

import uvicorn.config

from tem.cli.main import app

_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self: uvicorn.config.Config) -> socket.socket:
    """uvicorn's socket, re-wrapped so that ``proto`` reads ``IPPROTO_TCP`` (same descriptor)."""
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    app(prog_name="tem")
