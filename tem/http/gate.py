"""A fair gate: at most N callers inside at once, the others served first come, first served.

Recording a scan is short CPU work around one short write transaction. With many threads
of one worker inside at once, the thread holding SQLite's write lock competes for the GIL
with all the others, and the slowest scans wait for a dozen time slices. Letting only a
few in at a time, in arrival order, keeps the same throughput and cuts the tail.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class FairGate:
    """At most ``slots`` holders at once; waiters are admitted in the order they came."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self._mutex = threading.Lock()
        self._free = slots
        self._waiting: deque[threading.Event] = deque()

    @contextmanager
    def held(self) -> Iterator[None]:
        turn: threading.Event | None = None
        with self._mutex:
            if self._free > 0 and not self._waiting:
                self._free -= 1
            else:
                turn = threading.Event()
                self._waiting.append(turn)
        if turn is not None:
            turn.wait()  # a leaving holder hands its slot straight to us
        try:
            yield
        finally:
            with self._mutex:
                if self._waiting:
                    self._waiting.popleft().set()
                else:
                    self._free += 1
