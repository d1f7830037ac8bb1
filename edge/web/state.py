"""What the kiosk page shows, and every event as it happens.

The loop writes (a few attribute updates under a lock per event, nothing per frame but a
frame counter); HTTP threads read: `snapshot()` for GET /api/state, and each Server-Sent
Events client drains its own bounded queue of (topic, payload) pairs, encoded in its own
thread. A client too slow to keep up loses its oldest events, never the loop's time.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from edge.modes import MODES
from edge.publish import topics

EVENT_BACKLOG = 256  # per SSE client
FPS_WINDOW_S = 1.0


class KioskState:
    """`genre_name`: a genre code to its human name (the dance model's metadata);
    `queue_depth` and `broker_connected` are read when a snapshot is taken."""

    def __init__(
        self,
        session_id: str,
        mode: str,
        exercise: str,
        genre_name: Callable[[str], str],
        queue_depth: Callable[[], int],
        broker_connected: Callable[[], bool],
    ) -> None:
        self._lock = threading.Lock()
        self._genre_name = genre_name
        self._queue_depth = queue_depth
        self._broker_connected = broker_connected
        self._values: dict[str, Any] = {
            "session_id": session_id, "mode": mode, "exercise": exercise,
            "selected_exercise": exercise, "exercises": [exercise], "modes": list(MODES),
            "count": 0, "partial": 0, "phase": None, "genre": None, "genre_name": None,
            "confidence": None, "camera_fault": None,
        }  # fmt: skip
        self._clients: list[queue.Queue[tuple[str, Mapping[str, Any]]]] = []
        self._fps = 0.0
        self._frames = 0
        self._window_start = time.monotonic()
        self._last_frame = 0.0

    # --- the loop writes -------------------------------------------------------------
    def frame(self) -> None:
        """One frame processed (the fps figure)."""
        now = time.monotonic()
        self._frames += 1
        self._last_frame = now
        if now - self._window_start >= FPS_WINDOW_S:
            self._fps = self._frames / (now - self._window_start)
            self._frames, self._window_start = 0, now

    def event(self, topic: str, payload: Mapping[str, Any]) -> None:
        """An event the loop published (rep, state, dance, stats): state, then SSE."""
        with self._lock:
            values = self._values
            if topic == topics.REP:
                values["exercise"] = payload["exercise"]
                if payload["partial"]:
                    values["partial"] += 1
                else:
                    values["count"] = payload["count"]
            elif topic == topics.STATE:
                values["exercise"], values["phase"] = payload["exercise"], payload["phase"]
            elif topic == topics.DANCE:
                values["genre"] = payload["genre"]
                # the payload's own name where the dance payload carries one
                name = payload.get("genre_name")
                values["genre_name"] = name if name else self._genre_name(payload["genre"])
                values["confidence"] = payload["confidence"]
        self._fan_out(topic, payload)

    def choices(self, exercises: list[str]) -> None:
        """What the page's exercise selector offers: the installed packs, auto and any."""
        with self._lock:
            self._values["exercises"] = list(exercises)

    def counting(
        self, mode: str, selected: str, exercise: str, count: int, session_id: str
    ) -> None:
        """After a command: the mode, the exercise asked for (`selected`: a pack, auto or
        any) and the one counted, and the count (0 after a reset)."""
        with self._lock:
            changed = self._values["count"] != count or self._values["exercise"] != exercise
            self._values.update(
                mode=mode, selected_exercise=selected, exercise=exercise, count=count,
                session_id=session_id,
            )  # fmt: skip
            if changed:
                self._values.update(partial=0, phase=None)
            snapshot = dict(self._values)
        self._fan_out("kiosk", {k: snapshot[k] for k in ("mode", "exercise", "count")})

    def camera_fault(self, message: str | None) -> None:
        with self._lock:
            if self._values["camera_fault"] == message:
                return
            self._values["camera_fault"] = message
        payload = topics.status_payload("fault" if message else "online", message)
        self._fan_out(topics.STATUS, payload)

    # --- HTTP threads read -----------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            values = dict(self._values)
        depth = self._queue_depth()
        camera = values.pop("camera_fault")
        broker = None if self._broker_connected() else (
            f"MQTT broker unreachable; {depth} event(s) queued on the device"
        )  # fmt: skip
        stale = time.monotonic() - self._last_frame > 2 * FPS_WINDOW_S
        return {
            **values,
            "fault": camera or broker,
            "camera_fault": camera,
            "broker_fault": broker,
            "fps": 0.0 if stale else round(self._fps, 1),
            "queue_depth": depth,
        }

    def subscribe(self) -> queue.Queue[tuple[str, Mapping[str, Any]]]:
        client: queue.Queue[tuple[str, Mapping[str, Any]]] = queue.Queue(EVENT_BACKLOG)
        with self._lock:
            self._clients.append(client)
        return client

    def unsubscribe(self, client: queue.Queue[tuple[str, Mapping[str, Any]]]) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)

    def _fan_out(self, topic: str, payload: Mapping[str, Any]) -> None:
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            while True:
                try:
                    client.put_nowait((topic, payload))
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        client.get_nowait()  # the slow client loses its oldest event
