"""The kiosk page's event stream: every event as it happens, to every page that listens.

The loop sends (topic, payload) pairs; each Server-Sent Events client drains its own
bounded queue, encoded in its own HTTP thread. A client too slow to keep up loses its
oldest events, never the loop's time. Besides the MQTT events (rep, state, dance, stats,
status) the stream carries `view`: the whole page state (edge/app/state.py) after every
change, which is what the page renders.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Mapping
from typing import Any

EVENT_BACKLOG = 256  # per SSE client
VIEW = "view"  # the event that carries the page's whole state

Message = tuple[str, Mapping[str, Any]]


class EventStream:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[queue.Queue[Message]] = []

    def send(self, topic: str, payload: Mapping[str, Any]) -> None:
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

    def subscribe(self) -> queue.Queue[Message]:
        client: queue.Queue[Message] = queue.Queue(EVENT_BACKLOG)
        with self._lock:
            self._clients.append(client)
        return client

    def unsubscribe(self, client: queue.Queue[Message]) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)
