"""Following a recorded routine (edge/follow/align.py) as an analyzer: a MoveEvent as each
move ends, a RoutineSummary after the last. `dancepose follow` runs this same class."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from edge.analyzers.base import Event, Resources
from edge.follow import routine
from edge.follow.align import Follower


class FollowAnalyzer:
    name: ClassVar[str] = "follow"
    stage: ClassVar[str] = "count"  # the analysis stage of the stats payload

    def __init__(self, resources: Resources, exercise: str, fps: float) -> None:
        assert resources.routine is not None  # unavailable() said so first
        self.follower = Follower(routine.load(resources.routine))

    @staticmethod
    def unavailable(resources: Resources) -> str | None:
        if resources.routine is None:
            return (
                "no routine selected; record one with `dancepose routine record` and send "
                "set_routine (or set mode.routine)"
            )
        return None

    def update(self, landmarks: np.ndarray | None, time_s: float) -> list[Event]:
        return list(self.follower.push(landmarks, time_s))

    def new_stream(self, fps: float) -> list[Event]:
        """A round half-danced on frames that no longer follow on is dropped."""
        self.follower.reset()
        return []

    def finish(self) -> list[Event]:
        return list(self.follower.finish())


ANALYZER = FollowAnalyzer
