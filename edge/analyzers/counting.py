"""Counting reps: a pack, `any` or `auto` (edge/counting/session.py) as an analyzer; and a
hold pack's seconds (edge/counting/hold.py) while one is the exercise counted."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from edge.analyzers.base import Event, Resources
from edge.counting.events import ExerciseChosen
from edge.counting.hold import HoldTracker
from edge.counting.session import CountingSession


class CountingAnalyzer:
    name: ClassVar[str] = "counting"
    stage: ClassVar[str] = "count"

    def __init__(self, resources: Resources, exercise: str, fps: float) -> None:
        self.session = CountingSession(resources.make_trackers(), exercise)
        self._holds = {
            name: t for name, t in self.session.trackers.items() if isinstance(t, HoldTracker)
        }

    @staticmethod
    def unavailable(resources: Resources) -> str | None:
        return None  # `any` needs no pack

    def update(self, landmarks: np.ndarray | None, time_s: float) -> list[Event]:
        before = self.session.active
        for name, hold in self._holds.items():  # only the one counted looks at frames
            hold.armed = name == before
        reps, phases = self.session.update(landmarks, time_s)
        ended = self.session.sets.update(reps, time_s)
        return [
            *self._chosen(before, time_s), *reps, *phases, *([ended] if ended else []),
            *self._held(None),
        ]  # fmt: skip

    def _held(self, finish_s: float | None) -> list[Event]:
        """The HoldEvents of the hold pack counted (finish_s: the hold under way ends)."""
        hold = self._holds.get(self.session.active or "")
        if hold is None:
            return []
        if finish_s is not None:
            hold.finish(finish_s)
        return [*hold.take()]

    def _chosen(self, before: str | None, time_s: float) -> list[Event]:
        active = self.session.active
        return [ExerciseChosen(active, time_s)] if active is not None and active != before else []

    def pause(self) -> list[Event]:
        """Counting pauses here (a mode that does not count is set): what `any`'s window
        holds goes out, and the hold under way ends now; the counts stay."""
        return [*self.session.interrupt(), *self._held(None)]

    def restart(self, exercise: str | None = None) -> list[Event]:
        """The count starts again from 0 (reset; `exercise`: another one is counted): the
        hold under way ends first, at its last frame, and its end is what goes out."""
        ended = self._held(self.session.last_time_s)
        if exercise is None:
            self.session.reset()
        else:
            self.session.set_exercise(exercise)
        return ended

    def new_stream(self, fps: float) -> list[Event]:
        self.session.new_stream()  # the counts stay
        return []

    def finish(self) -> list[Event]:
        before = self.session.active
        reps = self.session.finish()
        last = self.session.last_time_s
        sets = [self.session.sets.update(reps, last), self.session.sets.finish(last)]
        return [
            *self._chosen(before, last), *reps, *[s for s in sets if s is not None],
            *self._held(last),
        ]  # fmt: skip


ANALYZER = CountingAnalyzer
