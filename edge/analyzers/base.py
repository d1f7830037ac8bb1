"""The analyzer protocol and what analyzers are built from.

Per frame: one person's landmarks ((33, 4) in image pixels, or None when that person was
not found) and the stream time in; typed events out (RepEvent, PhaseEvent, DanceEvent,
and those a new analyzer declares). The device state (edge/app/state.py), the MQTT
payloads and the kiosk page are all made from these events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from edge.counting.events import ExerciseChosen, HoldEvent, PhaseEvent, RepEvent, SetEvent
from edge.counting.tracker import RepTracker
from edge.dance.classifier import DanceEvent
from edge.follow.events import MoveEvent, RoutineSummary

Event = (
    RepEvent
    | PhaseEvent
    | SetEvent
    | HoldEvent
    | DanceEvent
    | ExerciseChosen
    | MoveEvent
    | RoutineSummary
)


@dataclass(frozen=True)
class Resources:
    """What the installed models offer: every analyzer is built from these.

    make_trackers: one RepTracker per installed pack (a HoldTracker for a hold pack), new for
    each person (they hold state);
    dance_dir: the dance model's folder, None when none is installed;
    routine: the routine folder the follow mode follows, None when none is selected."""

    make_trackers: Callable[[], dict[str, RepTracker]]
    pack_names: tuple[str, ...]
    dance_dir: Path | None
    routine: Path | None = None


class Analyzer(Protocol):
    name: ClassVar[str]
    stage: ClassVar[str]  # its latency stage in the stats payload

    def update(self, landmarks: np.ndarray | None, time_s: float) -> list[Event]:
        """One frame of one person: the events it completes."""
        ...

    def new_stream(self, fps: float) -> list[Event]:
        """Frames no longer follow on (a new source): drop what belongs to the old ones."""
        ...

    def finish(self) -> list[Event]:
        """The stream has ended: what is still held, decided on what was seen."""
        ...


class AnalyzerFactory(Protocol):
    name: ClassVar[str]

    @staticmethod
    def unavailable(resources: Resources) -> str | None:
        """Why it cannot run (one line naming the fix), or None."""
        ...

    def __call__(self, resources: Resources, exercise: str, fps: float) -> Analyzer: ...
