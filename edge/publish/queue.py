"""A bounded, durable FIFO of outgoing MQTT messages in one SQLite file.

Why SQLite: a kiosk's broker (or its Wi-Fi) goes away for minutes or days, and the
process is restarted by systemd's watchdog or by a power cut. Events must wait on disk,
survive both, and leave the file consistent after either. WAL with synchronous=NORMAL
never corrupts the file on power loss; it may lose the last few commits before the cut
(no fsync per event), which is the right trade on an SD card that wears with every fsync.

A row is deleted only by ack(), which the publisher calls on the broker's PUBACK, so an
event is either still here or was accepted by the broker (at-least-once).

When the queue is full, put() drops the OLDEST rows and counts them in `dropped` (kept in
the file, reported in stats): after a long outage the newest state (the current count,
the current genre) is what a dashboard needs, and a stuck broker must not fill the card.

Row ids come from AUTOINCREMENT, so an id is never reused even after the newest row was
deleted: the publisher keys in-flight messages and timings on it.

Thread-safe: one connection behind one lock (the app thread puts, paho's network thread
acks, the publisher's pump peeks); every call is a short statement.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from edge.config import QueueConfig

log = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS: int = QueueConfig.model_fields["max_events"].default  # queue.max_events

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('dropped', 0);
"""


class QueueError(RuntimeError):
    """The queue file cannot be opened (directory missing and not creatable, no permission)."""


@dataclass(frozen=True)
class QueuedEvent:
    row_id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    created: float  # wall clock (time.time()) at put


class EventQueue:
    def __init__(self, path: Path | str, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, got {max_events}")
        self.path = Path(path)
        self.max_events = max_events
        self._lock = threading.Lock()
        self._db = self._open()
        with self._lock:
            self._depth = self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            self._dropped = self._db.execute(
                "SELECT value FROM counters WHERE name = 'dropped'"
            ).fetchone()[0]
            if self._depth > max_events:
                # The file was filled under a larger max_events: trim now, not at next put.
                self._db.execute("BEGIN IMMEDIATE")
                self._trim()
                self._db.execute("COMMIT")

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect()
        except sqlite3.OperationalError as exc:
            raise QueueError(f"cannot open event queue {self.path}: {exc}") from exc
        except OSError as exc:
            raise QueueError(f"cannot create the folder of event queue {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            # Not a database (a torn write on a card that lied about fsync, a stray file):
            # keep it for a post-mortem and start empty rather than crash-loop the kiosk.
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.warning("event queue %s is unreadable (%s); moved to %s", self.path, exc, aside)
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: autocommit; put() opens its own transaction.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("event queue %s: WAL unavailable, journal_mode=%s", self.path, mode)
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def put(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> int:
        """Append one message; returns its row id. Drops the oldest rows beyond max_events."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO events (topic, payload, qos, retain, created) VALUES (?,?,?,?,?)",
                    (topic, data, int(qos), int(bool(retain)), time.time()),
                )
                self._depth += 1
                self._trim()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._depth = self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                self._dropped = self._db.execute(
                    "SELECT value FROM counters WHERE name = 'dropped'"
                ).fetchone()[0]
                raise
            row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    def _trim(self) -> None:
        """Drop the oldest rows beyond max_events (lock held, inside a transaction)."""
        excess = self._depth - self.max_events
        if excess <= 0:
            return
        deleted = self._db.execute(
            "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)",
            (excess,),
        ).rowcount
        self._depth -= deleted
        self._dropped += deleted
        self._db.execute("UPDATE counters SET value = ? WHERE name = 'dropped'", (self._dropped,))
        log.debug("event queue full: dropped the %d oldest event(s)", deleted)

    def peek(self, n: int, after_id: int = 0) -> list[QueuedEvent]:
        """Up to n events with row id > after_id, oldest first; nothing is removed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, qos, retain, created FROM events "
                "WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, max(0, n)),
            ).fetchall()
        return [
            QueuedEvent(row_id, topic, bytes(payload), qos, bool(retain), created)
            for row_id, topic, payload, qos, retain, created in rows
        ]

    def ack(self, row_id: int) -> bool:
        """Delete a delivered event. False if it was already gone (dropped while in flight)."""
        with self._lock:
            deleted = self._db.execute("DELETE FROM events WHERE id = ?", (row_id,)).rowcount
            self._depth -= deleted
        return deleted > 0

    def depth(self) -> int:
        with self._lock:
            return self._depth

    @property
    def dropped(self) -> int:
        """Events dropped because the queue was full, over the life of the file."""
        with self._lock:
            return self._dropped

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> EventQueue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
