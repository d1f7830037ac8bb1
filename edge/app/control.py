"""Commands: from MQTT's cmd topic and the kiosk page, one path, applied between frames.

Both senders queue (bytes, answer); `apply_pending` parses each (edge/publish/commands.py),
carries it out by the method named like its action, replies on cmd/result and answers
the page's HTTP request. What a command changed reaches the device state here, and the
views from there (edge/app/broadcast.py).

A flood cannot stall frames: at most PER_FRAME commands are applied between two frames, and
with MAX_PENDING waiting a new one is refused at once ("busy": the page's request gets it as
its answer; on MQTT one such cmd/result a second, the rest only counted in `refused`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from edge.analyzers import Event
from edge.app.pipeline import Pipeline
from edge.app.state import DeviceState
from edge.follow.music import has_music
from edge.publish import topics
from edge.publish.commands import CommandError, parse_command
from edge.publish.publisher import MqttPublisher

Answer = Callable[[bool, str | None], None]
# Commands applied between two frames, at most: each costs ~1 ms here (its cmd/result put
# in the on-disk queue), a few on a Pi; 8 at 30 fps is 240 a second, far above any panel.
PER_FRAME = 8
# Commands waiting; more are refused as busy. About a second of frames' worth, so the last
# one admitted is still answered within about a second.
MAX_PENDING = PER_FRAME * 32
BUSY = f"busy: {MAX_PENDING} commands are waiting; send it again in a moment"
BUSY_REPLY_EVERY_S = 1.0


class Control:
    def __init__(self, pipeline: Pipeline, state: DeviceState) -> None:
        self.pipeline = pipeline
        self.state = state
        self.publisher: MqttPublisher | None = None  # replies go out once it exists
        # what a command let out (a hold it ended) goes out through this at once; until
        # it is set, with the next frame's events
        self.broadcast: Callable[[list[Event]], None] | None = None
        self._queue: queue.SimpleQueue[tuple[bytes, Answer | None]] = queue.SimpleQueue()
        self.arrived = threading.Event()  # set by submit(): a waiting loop applies at once
        self.refused = 0
        self._busy_replied = 0.0

    def submit(self, data: bytes, answer: Answer | None = None) -> None:
        """From any thread: a command's bytes, and the page's HTTP answer (None: MQTT)."""
        if self._queue.qsize() >= MAX_PENDING:
            self.refused += 1
            if answer is not None:
                answer(False, BUSY)
            elif (
                self.publisher is not None
                and time.monotonic() - self._busy_replied >= BUSY_REPLY_EVERY_S
            ):
                self._busy_replied = time.monotonic()
                self.publisher.reply(False, error=BUSY)
            return
        self._queue.put((data, answer))
        self.arrived.set()

    def apply_pending(self, limit: int = PER_FRAME) -> None:
        """Apply up to `limit` waiting commands (the loop's thread)."""
        self.arrived.clear()
        for _ in range(limit):
            try:
                data, answer = self._queue.get_nowait()
            except queue.Empty:
                return
            ok, error = self.apply(data)
            if answer is not None:
                answer(ok, error)
        if not self._queue.empty():
            self.arrived.set()  # more are waiting

    def apply(self, data: bytes) -> tuple[bool, str | None]:
        """Parse, apply, reply on cmd/result: (ok, error) for the page's HTTP answer."""
        reply = self.publisher.reply if self.publisher is not None else _no_reply
        try:
            command = parse_command(data, set(self.pipeline.exercises))
        except CommandError as exc:
            reply(False, error=str(exc), request_id=exc.request_id)
            return False, str(exc)
        try:
            getattr(self, command.action)(**command.arguments())
        except ValueError as exc:
            reply(False, error=str(exc), command=command)
            return False, str(exc)
        reply(True, command=command)
        return True, None

    # --- one method per action (edge/publish/commands.py ACTIONS) ----------------------
    def set_mode(self, mode: str) -> None:
        self.pipeline.set_mode(mode)
        self._release()
        self.state.set_mode(mode)

    def set_exercise(self, exercise: str) -> None:
        self.pipeline.set_exercise(exercise)
        self._restarted()

    def reset_count(self) -> None:
        self.pipeline.reset_count()
        self._restarted()

    def start_session(self, session_id: str | None = None) -> None:
        self.pipeline.reset_count()
        self._restarted(session_id or topics.new_id())

    def end_session(self) -> None:
        self.pipeline.reset_count()
        self._restarted(topics.new_id())

    def set_routine(self, routine: str) -> None:
        self.pipeline.set_routine(routine)
        folder = self.pipeline.resources.routine
        music = folder is not None and has_music(folder)
        self.state.set_routine(routine, self.pipeline.modes, music)

    def _restarted(self, session_id: str | None = None) -> None:
        self._release()  # a hold the restart ended is published before the count says 0
        pipeline = self.pipeline
        self.state.restart_count(pipeline.exercise, pipeline.active, session_id)

    def _release(self) -> None:
        if self.broadcast is not None:
            self.broadcast(self.pipeline.take_released())


def _no_reply(ok: bool, **_: object) -> None:
    pass
