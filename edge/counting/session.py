"""What a device counts, frame by frame: one pack, `any`, or `auto` deciding between them.

One class for a live camera (edge/app/pipeline.py) and a recorded clip
(edge/counting/clip.py), so `dancepose count --exercise auto` reports exactly what
`dancepose run` publishes on the same frames.

`auto`: every installed pack, and pack-free counting (`any`), track the person until
edge/counting/auto.py picks one (the most decisive matching pack once it has two reps,
else `any` once it has counted); then its reps so far are released, and only its events
from then on, until the count is reset or the exercise is set. A stream that ends
undecided settles on what it saw (`finish`).
"""

from __future__ import annotations

import numpy as np

from edge.counting.auto import Standing, choose_counter
from edge.counting.events import PhaseEvent, RepEvent
from edge.counting.periodic import PeriodicCounter
from edge.counting.sets import SetTracker
from edge.counting.tracker import RepTracker
from edge.modes import ANY, AUTO


class CountingSession:
    """Reps and phases of the exercise being counted (`exercise`: a pack's name, any, auto)."""

    def __init__(self, trackers: dict[str, RepTracker], exercise: str = AUTO) -> None:
        self.trackers = trackers
        self.periodic = PeriodicCounter()  # "any": no pack, the body's repeated movement
        self.exercise = AUTO
        self.active: str | None = None  # the exercise being counted (auto: once chosen)
        self.last_time_s = 0.0
        self._phases: dict[str, str] = {}
        self._pending: dict[str, list[RepEvent]] = {}  # auto, undecided: reps per counter
        self.sets = SetTracker()  # the published reps, grouped into sets
        self.set_exercise(exercise)

    def set_exercise(self, exercise: str) -> None:
        if exercise not in (AUTO, ANY) and exercise not in self.trackers:
            choices = ", ".join([*sorted(self.trackers), AUTO, ANY])
            raise ValueError(f"unknown exercise {exercise!r}; use one of: {choices}")
        self.exercise = exercise
        self.reset()

    def reset(self) -> None:
        """Counts back to zero; auto decides anew."""
        for tracker in self.trackers.values():
            tracker.reset()
        self.periodic.reset()
        self.sets.reset()
        self.active = None if self.exercise == AUTO else self.exercise
        self._phases.clear()
        self._pending = {name: [] for name in [*self.trackers, ANY]}

    def new_stream(self) -> None:
        """A new source (its clock starts over): the counts stay, no rep spans the change."""
        self.periodic.new_stream()
        for tracker in self.trackers.values():
            tracker.interrupt()

    def interrupt(self) -> list[RepEvent]:
        """Counting pauses here (a mode that does not count is set): what `any`'s window
        holds goes out now, and no rep spans the pause; the counts stay."""
        tail = self.periodic.finish(self.last_time_s) if self.active == ANY else []
        self.new_stream()
        return tail

    def update(
        self, landmarks: np.ndarray | None, time_s: float
    ) -> tuple[list[RepEvent], list[PhaseEvent]]:
        """One frame (None: nobody found): the reps to publish, and a phase change."""
        self.last_time_s = time_s
        if self.active is None:  # auto, undecided: every pack and "any" listen
            for name, tracker in self.trackers.items():
                event = tracker.update(landmarks, time_s)
                if event is not None:
                    self._pending[name].append(event)
            self._pending[ANY].extend(self.periodic.update(landmarks, time_s))
            self.active = choose_counter(
                self.standings(), self.periodic.count, any_period_s=self.periodic.seen_period_s
            )
            return (list(self._pending[self.active]) if self.active is not None else []), []
        reps: list[RepEvent] = []
        if self.active == ANY:
            reps = self.periodic.update(landmarks, time_s)
            phase = self.periodic.phase
        else:
            tracker = self.trackers[self.active]
            event = tracker.update(landmarks, time_s)
            reps = [event] if event is not None else []
            phase = tracker.phase
        if phase == self._phases.get(self.active, "other"):
            return reps, []
        self._phases[self.active] = phase
        return reps, [PhaseEvent(self.active, phase, time_s)]

    def finish(self) -> list[RepEvent]:
        """The stream has ended: `any` confirms what its last window holds, and an auto
        session still undecided settles on what it saw; the reps to publish."""
        tail = self.periodic.finish(self.last_time_s)
        if self.active == ANY:
            return tail
        if self.active is not None:
            return []
        self._pending[ANY].extend(tail)
        self.active = choose_counter(self.standings(), self.periodic.count, finished=True)
        return list(self._pending[self.active]) if self.active is not None else []

    @property
    def phase(self) -> str | None:
        """The counted exercise's phase, as its last PhaseEvent said; None before one (and
        while auto decides)."""
        return None if self.active is None else self._phases.get(self.active)

    def tally(self) -> tuple[int, int]:
        """(reps, partial reps) of the exercise being counted; (0, 0) while auto decides."""
        if self.active is None:
            return 0, 0
        if self.active == ANY:
            return self.periodic.count, self.periodic.partial
        return self.trackers[self.active].count, self.trackers[self.active].partial

    def standings(self) -> dict[str, Standing]:
        return {
            name: Standing(t.count, t.decisiveness, t.period_s) for name, t in self.trackers.items()
        }
