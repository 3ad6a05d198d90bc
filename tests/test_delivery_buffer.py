"""The bounded buffer: batches bounded by count and bytes, a spool that spills to disk."""

from __future__ import annotations

from pathlib import Path

from scanner.delivery.buffer import Spool, batches


def test_batches_respect_both_bounds_and_keep_order() -> None:
    events = [f"e{i:02d}" for i in range(23)]  # 3 bytes each
    got = list(batches(events, max_events=5, max_bytes=1000))
    assert [len(b) for b in got] == [5, 5, 5, 5, 3]
    got = list(batches(events, max_events=100, max_bytes=10))
    assert all(len(b) == 3 for b in got[:-1]) and [e for b in got for e in b] == events


def test_an_event_larger_than_the_byte_bound_travels_alone() -> None:
    got = list(batches(["a", "b" * 50, "c"], max_events=10, max_bytes=10))
    assert got == [["a"], ["b" * 50], ["c"]]
    assert list(batches([], max_events=1, max_bytes=1)) == []


def test_spool_spills_to_the_given_directory_and_rereads(tmp_path: Path) -> None:
    with Spool(tmp_path, memory_limit=1000) as spool:
        for i in range(100):
            spool.write(f'{{"n": {i}, "pad": "{"x" * 50}"}}\n')
        assert spool.count == 100
        first = list(spool)
        assert list(spool) == first and len(first) == 100
        spool.write('{"n": 100}\n')
        assert len(list(spool)) == 101
    assert list(tmp_path.iterdir()) == []  # the spilled file is gone
