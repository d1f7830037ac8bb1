"""edge.publish.queue: the on-disk event queue keeps its order across a reopen, drops the
oldest when full (and counts them), is thread-safe, and moves an unreadable file aside."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from edge.publish.queue import EventQueue, QueueError

# -- queue ----------------------------------------------------------------------------------


def test_queue_survives_reopen_in_order(tmp_path: Path) -> None:
    path = tmp_path / "q" / "events.sqlite"
    with EventQueue(path) as queue:
        ids = [queue.put("t/a", f"p{i}".encode(), qos=1, retain=i == 2) for i in range(4)]
        assert queue.ack(ids[1]) and not queue.ack(ids[1])
        assert queue.ack(ids[3])  # the newest row: its id must still never come back
    with EventQueue(path) as queue:
        rows = queue.peek(10)
        assert [r.row_id for r in rows] == [ids[0], ids[2]]
        assert [(r.topic, r.payload, r.retain) for r in rows] == [
            ("t/a", b"p0", False),
            ("t/a", b"p2", True),
        ]
        assert queue.depth() == 2
        assert queue.put("t/b", "new") > ids[3]  # AUTOINCREMENT: no id reuse
        assert queue.peek(5, after_id=ids[0])[0].row_id == ids[2]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_queue_full_drops_oldest_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with EventQueue(path, max_events=5) as queue:
        for i in range(8):
            queue.put("t", str(i))
        assert queue.depth() == 5
        assert queue.dropped == 3
        assert [r.payload for r in queue.peek(10)] == [b"3", b"4", b"5", b"6", b"7"]
    with EventQueue(path, max_events=2) as queue:  # reopened smaller: trimmed at once
        assert queue.dropped == 6
        assert [r.payload for r in queue.peek(10)] == [b"6", b"7"]


def test_queue_is_thread_safe(tmp_path: Path) -> None:
    queue = EventQueue(tmp_path / "events.sqlite")
    acked: list[int] = []
    done = threading.Event()

    def producer(k: int) -> None:
        for i in range(200):
            queue.put("t", f"{k}-{i}")

    def acker() -> None:
        while not done.is_set() or queue.depth():
            for row in queue.peek(50):
                if queue.ack(row.row_id):
                    acked.append(row.row_id)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    ack_thread = threading.Thread(target=acker)
    ack_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    ack_thread.join(timeout=30)
    assert len(acked) == len(set(acked)) == 800
    assert queue.depth() == 0
    queue.close()


def test_queue_unreadable_file_is_moved_aside(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "events.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with EventQueue(path) as queue:
        assert queue.depth() == 0
        queue.put("t", "x")
    assert len(list(tmp_path.glob("events.sqlite.corrupt-*"))) == 1
    assert "unreadable" in caplog.text
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(QueueError):
        EventQueue(blocker / "events.sqlite")
