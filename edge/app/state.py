"""DeviceState: what the device shows now, the one state every view renders.

It changes only through typed events (a rep, a phase, a dance verdict: the same events
that go out over MQTT, in the same order) and through what a command or a fault did, never
by reading a payload back. The retained `current` topic, the kiosk page's /api/state and
its event stream, and the `stats` payload's mode and counts are all rendered from here, so
they cannot disagree.

The loop writes; HTTP threads read `page()`: one lock around a handful of fields.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from edge.analyzers import Event
from edge.counting.events import ExerciseChosen, PhaseEvent, RepEvent, SetEvent
from edge.dance.classifier import DanceEvent
from edge.follow.events import MoveEvent, RoutineSummary
from edge.modes import MODE_TABLE, dances
from edge.publish.topics import Current, iso_time

FPS_WINDOW_S = 1.0


class DeviceState:
    """`modes` and `exercises`: what set_mode and set_exercise accept on this device."""

    def __init__(
        self, session_id: str, mode: str, exercise: str, modes: tuple[str, ...],
        exercises: tuple[str, ...], active: str | None,
    ) -> None:  # fmt: skip
        self._lock = threading.Lock()
        self.modes, self.exercises = modes, exercises
        self._shown = Current(
            session_id=session_id, mode=mode, selected_exercise=exercise, exercise=active,
            count=0, partial_count=0, phase=None, genre=None, genre_name=None, fault=None,
            last_rep_time=None,
        )  # fmt: skip
        self._confidence: float | None = None  # the last genre's, for the page
        self.t_s: float | None = None  # the newest frame's stream time
        self._fps = 0.0
        self._frames = 0
        self._window_start = time.monotonic()
        self._last_frame = 0.0

    # --- typed events ----------------------------------------------------------------
    def apply(self, event: Event, now: datetime) -> None:
        """An event as it is published (`now`: the wall time its payload carries)."""
        with self._lock:
            shown = self._shown
            if isinstance(event, RepEvent):
                if event.partial:
                    shown = replace(
                        shown, exercise=event.exercise, partial_count=shown.partial_count + 1
                    )
                else:
                    shown = replace(
                        shown, exercise=event.exercise, count=event.count,
                        last_rep_time=iso_time(now), last_rep_range=_rounded(event.range),
                        last_rep_down_s=_rounded(event.down_s),
                        last_rep_up_s=_rounded(event.up_s),
                    )  # fmt: skip
            elif isinstance(event, SetEvent):
                shown = replace(
                    shown, set_number=event.number,
                    rest_s=None if event.rest_s is None else round(event.rest_s, 1),
                )  # fmt: skip
            elif isinstance(event, ExerciseChosen):
                shown = replace(shown, exercise=event.exercise)
            elif isinstance(event, PhaseEvent):
                shown = replace(shown, exercise=event.exercise, phase=event.phase)
            elif isinstance(event, DanceEvent):
                shown = replace(shown, genre=event.genre, genre_name=event.genre_name)
                self._confidence = event.confidence
            elif isinstance(event, MoveEvent):
                shown = replace(
                    shown, routine=event.routine, move=event.name,
                    last_move_score=round(event.score, 1),
                )  # fmt: skip
            elif isinstance(event, RoutineSummary):
                shown = replace(shown, routine=event.routine, move=None)
            self._shown = shown

    # --- what commands and faults did ------------------------------------------------
    def set_mode(self, mode: str) -> None:
        with self._lock:
            self._shown = replace(self._shown, mode=mode)

    def restart_count(
        self, exercise: str, active: str | None, session_id: str | None = None
    ) -> None:
        """The count starts again at 0 (reset, a new exercise, a new session)."""
        with self._lock:
            shown = self._shown
            self._shown = replace(
                shown, selected_exercise=exercise, exercise=active, count=0, partial_count=0,
                phase=None, last_rep_time=None, session_id=session_id or shown.session_id,
                last_rep_range=None, last_rep_down_s=None, last_rep_up_s=None, set_number=0,
                rest_s=None,
            )  # fmt: skip

    def set_routine(self, routine: str, modes: tuple[str, ...]) -> None:
        """Another routine, followed from its start (and the modes it makes possible)."""
        with self._lock:
            self.modes = modes
            self._shown = replace(self._shown, routine=routine, move=None, last_move_score=None)

    def set_fault(self, message: str | None) -> None:
        with self._lock:
            self._shown = replace(self._shown, fault=message)

    def frame(self, t_s: float) -> None:
        """One frame processed: its stream time, and the fps figure."""
        now = time.monotonic()
        self.t_s = t_s
        self._frames += 1
        self._last_frame = now
        if now - self._window_start >= FPS_WINDOW_S:
            self._fps = self._frames / (now - self._window_start)
            self._frames, self._window_start = 0, now

    # --- views -------------------------------------------------------------------------
    def shown(self) -> Current:
        """What `current` says now (a genre only while the mode names one)."""
        with self._lock:
            shown = self._shown
        if shown.genre is not None and not dances(shown.mode):  # per frame: copy only then
            shown = replace(shown, genre=None, genre_name=None)
        return shown

    @property
    def session_id(self) -> str:
        return self._shown.session_id

    @property
    def counted(self) -> str | None:
        """What the stats payload names: the exercise counted, else the one selected."""
        shown = self._shown
        return shown.exercise or shown.selected_exercise

    def page(self, queue_depth: int, broker_connected: bool) -> dict[str, Any]:
        """The kiosk page's view (GET /api/state and the event stream's `state` event):
        everything `current` says, plus what the page offers and live figures."""
        shown = self.shown()
        with self._lock:
            confidence = self._confidence
        broker = None if broker_connected else (
            f"MQTT broker unreachable; {queue_depth} event(s) queued on the device"
        )  # fmt: skip
        stale = time.monotonic() - self._last_frame > 2 * FPS_WINDOW_S
        return {
            **asdict(shown),
            "partial": shown.partial_count,
            "analyzers": list(MODE_TABLE[shown.mode].analyzers),
            "confidence": None if shown.genre is None else confidence,
            "exercises": list(self.exercises),
            "modes": list(self.modes),
            "fault": shown.fault or broker,
            "camera_fault": shown.fault,
            "broker_fault": broker,
            "fps": 0.0 if stale else round(self._fps, 1),
            "queue_depth": queue_depth,
        }


def _rounded(value: float | None) -> float | None:
    """A rep's quality figure as `current` shows it (the rep topic's precision)."""
    return None if value is None else round(float(value), 3)
