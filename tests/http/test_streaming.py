"""Streamed downloads: the producer thread, the per-organization slots."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tem.errors import TooManyRequests
from tem.http import streaming
from tem.http.streaming import ExportSlots


def test_the_pipe_yields_in_order_and_stops_the_writer_when_the_client_leaves() -> None:
    finished = threading.Event()
    written: list[int] = []

    def produce(out: Any) -> None:
        try:
            for index in range(10_000):
                out.write(bytes([index % 256]) * 1000)
                written.append(index)
        finally:
            finished.set()

    body = streaming._pipe(produce)
    first = next(body)
    assert len(first) >= streaming.CHUNK_BYTES
    assert first[:1000] == b"\x00" * 1000
    assert first[1000:2000] == b"\x01" * 1000
    body.close()  # the client went away
    assert finished.wait(5)
    # The bounded queue held the writer back: it stopped long before writing 10 MB.
    assert len(written) < 10_000


def test_the_pipe_passes_a_failure_on() -> None:
    def produce(out: Any) -> None:
        out.write(b"x" * 10)
        raise ValueError("disk on fire")

    with pytest.raises(ValueError, match="disk on fire"):
        list(streaming._pipe(produce))


def test_an_organization_gets_its_slots_and_one_more_is_refused_with_a_wait() -> None:
    slots = ExportSlots(per_organization=2)
    first, second = slots.take(7), slots.take(7)
    with pytest.raises(TooManyRequests, match="2 downloads") as caught:
        slots.take(7)
    assert caught.value.retry_after == streaming.RETRY_AFTER_SECONDS
    slots.take(8)()  # another organization is not affected
    first()
    first()  # giving back twice gives back once
    assert slots.in_progress(7) == 1
    third = slots.take(7)
    second()
    third()
    assert slots.in_progress(7) == 0


def test_slots_are_counted_exactly_under_contention() -> None:
    slots = ExportSlots(per_organization=3)
    taken: list[object] = []
    refused: list[object] = []
    start = threading.Barrier(20)

    def take() -> None:
        start.wait()
        try:
            taken.append(slots.take(1))
        except TooManyRequests as error:
            refused.append(error)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(taken), len(refused)) == (3, 17)
