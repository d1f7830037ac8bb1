"""Counting reps: a pack, `any` or `auto` (edge/counting/session.py) as an analyzer."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from edge.analyzers.base import Event, Resources
from edge.counting.events import ExerciseChosen
from edge.counting.session import CountingSession


class CountingAnalyzer:
    name: ClassVar[str] = "counting"
    stage: ClassVar[str] = "count"

    def __init__(self, resources: Resources, exercise: str, fps: float) -> None:
        self.session = CountingSession(resources.make_trackers(), exercise)

    @staticmethod
    def unavailable(resources: Resources) -> str | None:
        return None  # `any` needs no pack

    def update(self, landmarks: np.ndarray | None, time_s: float) -> list[Event]:
        before = self.session.active
        reps, phases = self.session.update(landmarks, time_s)
        ended = self.session.sets.update(reps, time_s)
        return [*self._chosen(before, time_s), *reps, *phases, *([ended] if ended else [])]

    def _chosen(self, before: str | None, time_s: float) -> list[Event]:
        active = self.session.active
        return [ExerciseChosen(active, time_s)] if active is not None and active != before else []

    def new_stream(self, fps: float) -> list[Event]:
        self.session.new_stream()  # the counts stay
        return []

    def finish(self) -> list[Event]:
        before = self.session.active
        reps = self.session.finish()
        last = self.session.last_time_s
        sets = [self.session.sets.update(reps, last), self.session.sets.finish(last)]
        return [*self._chosen(before, last), *reps, *[s for s in sets if s is not None]]


ANALYZER = CountingAnalyzer
