"""Streamed downloads (labels, stamp lists): bounded per organization, and never held open.

A download is written by a producer thread into a small bounded queue that the response
drains, so a slow client slows the producer instead of filling memory. The producer
must hold no database connection while it waits (read in short sessions, page by
page): a client that reads nothing must not take a connection from the public page.
A client that reads nothing for ``STALL_SECONDS`` is dropped, and each organization
has at most ``per_organization`` downloads in progress in a process
(``TEM_EXPORTS_PER_ORGANIZATION``); one more is refused with 429 and ``Retry-After``.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Callable, Generator, Mapping
from typing import BinaryIO, Final, cast

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from tem.errors import TooManyRequests

log = logging.getLogger("tem.http")

CHUNK_BYTES: Final = 64 * 1024
QUEUE_CHUNKS: Final = 16  # at most ~1 MB waits for a slow client
STALL_SECONDS: Final = 300.0  # a client that reads nothing for this long is dropped
RETRY_AFTER_SECONDS: Final = 30

Produce = Callable[[BinaryIO], object]
Release = Callable[[], None]


class ExportSlots:
    """At most ``per_organization`` downloads in progress at once for each organization.

    Held in this process's memory: with several workers each counts on its own.
    Thread-safe.
    """

    def __init__(self, per_organization: int = 2) -> None:
        if per_organization < 1:
            raise ValueError("per_organization must be at least 1")
        self.per_organization = per_organization
        self._lock = threading.Lock()
        self._busy: dict[int, int] = {}

    def in_progress(self, organization: int) -> int:
        """How many downloads ``organization`` has in progress."""
        with self._lock:
            return self._busy.get(organization, 0)

    def take(self, organization: int) -> Release:
        """Take a slot for ``organization``; return the function that gives it back.

        The function may be called any number of times; the slot is given back once.

        Raises:
            TooManyRequests: the organization already has ``per_organization``
                downloads in progress.
        """
        with self._lock:
            busy = self._busy.get(organization, 0)
            if busy >= self.per_organization:
                raise TooManyRequests(
                    f"{busy} downloads for this organization are already in progress; "
                    "try again when one has finished",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            self._busy[organization] = busy + 1
        given_back = threading.Event()

        def release() -> None:
            with self._lock:
                if given_back.is_set():
                    return
                given_back.set()
                left = self._busy.get(organization, 1) - 1
                if left > 0:
                    self._busy[organization] = left
                else:
                    self._busy.pop(organization, None)

        return release


def download(
    produce: Produce,
    *,
    media_type: str,
    headers: Mapping[str, str],
    release: Release,
) -> StreamingResponse:
    """A response streaming what ``produce(out)`` writes to ``out``, run in a thread.

    ``release`` is called once the response is over, whether it completed, failed, the
    client went away or stalled, or the response was never sent.
    """
    return _Download(_pipe(produce), release=release, media_type=media_type, headers=headers)


class _Download(StreamingResponse):
    """A streamed body that gives up on a client that reads nothing, then releases its slot."""

    def __init__(
        self,
        content: Generator[bytes, None, None],
        *,
        release: Release,
        media_type: str,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)
        # Also when the response is dropped unsent (a later dependency failed).
        self._over = weakref.finalize(self, release)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_or_give_up(message: Message) -> None:
            with anyio.fail_after(STALL_SECONDS):
                await send(message)

        try:
            await super().__call__(scope, receive, send_or_give_up)
        except TimeoutError:
            log.warning("download dropped: the client read nothing for %d s", STALL_SECONDS)
        finally:
            self._over()


# --- a blocking writer as a streamed body ---------------------------------------------


class _Cancelled(Exception):
    """The client went away: the producer stops at its next write."""


class _QueueWriter:
    """A write-only binary stream that hands ~64 KB chunks to a bounded queue."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None], stop: threading.Event):
        self._chunks = chunks
        self._stop = stop
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("not seekable")  # zipfile then writes data descriptors

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self.put(bytes(self._buffer))
            self._buffer.clear()

    def put(self, item: bytes | BaseException | None) -> None:
        waited = 0.0
        while True:
            if self._stop.is_set():
                raise _Cancelled
            try:
                self._chunks.put(item, timeout=1.0)
                return
            except queue.Full:
                waited += 1.0
                if waited >= STALL_SECONDS:
                    raise _Cancelled from None


def _pipe(produce: Produce) -> Generator[bytes, None, None]:
    """Run ``produce`` in a thread and yield what it writes, in order, as it comes.

    The queue is bounded, so a slow client slows the producer instead of filling memory;
    closing the iterator (the client disconnected) stops the producer at its next write.
    """
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
    stop = threading.Event()
    writer = _QueueWriter(chunks, stop)

    def run() -> None:
        try:
            # Only write() and flush() are used (zipfile and TextIOWrapper probe the rest).
            produce(cast(BinaryIO, writer))
            writer.flush()
            writer.put(None)
        except _Cancelled:
            return
        except BaseException as error:  # handed to the response, which logs and aborts
            try:
                writer.put(error)
            except _Cancelled:
                return

    thread = threading.Thread(target=run, name="tem-download", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                # The type only: a message can quote data (see tem.web.errors).
                log.error("a download failed half-way: %s", type(item).__name__)
                raise item
            yield item
    finally:
        stop.set()
