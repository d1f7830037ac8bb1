"""One person's analyzers: the ones the mode's row names, and the both-mode arbiter.

An analyzer is made the first time a mode that runs it is set, and kept: its state (a
count, a half-built dance window) survives a mode change, and it is fed only while its
mode is set. In an arbitrated row (`both`) the reps and dance verdicts go through
edge/app/arbiter.py, so a dance is not counted as reps and a set is not named a dance.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from edge.analyzers import Analyzer, Event, Resources, analyzer
from edge.analyzers.counting import CountingAnalyzer
from edge.analyzers.dance import DanceAnalyzer
from edge.app.arbiter import Arbiter
from edge.counting.events import RepEvent
from edge.dance.classifier import DanceEvent
from edge.modes import AUTO, MODE_TABLE


class PersonAnalyzers:
    def __init__(
        self, resources: Resources, mode: str, exercise: str, fps: float, person: int = 0
    ) -> None:
        """person: the pose tracker's id, which every event from here carries."""
        self.person = person
        self.resources = resources
        self.exercise = exercise
        self.fps = fps
        self.analyzers: dict[str, Analyzer] = {}
        self.arbiter: Arbiter | None = None  # made when an arbitrated mode is first set
        self._released: list[Event] = []  # reps the arbiter let out between frames
        self.mode = mode
        self.set_mode(mode)

    @property
    def counting(self) -> CountingAnalyzer | None:
        return self.analyzers.get(CountingAnalyzer.name)  # type: ignore[return-value]

    # --- commands -------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        row = MODE_TABLE[mode]
        counting = self.counting
        stops = CountingAnalyzer.name in MODE_TABLE[self.mode].analyzers
        if counting is not None and stops and CountingAnalyzer.name not in row.analyzers:
            self._released += counting.pause()  # no rep or hold spans the other mode
        self.mode = mode
        for name in row.analyzers:
            if name not in self.analyzers:
                self.analyzers[name] = analyzer(name)(self.resources, self.exercise, self.fps)
        dance = self.analyzers.get(DanceAnalyzer.name)
        if row.arbitrated and self.arbiter is None and isinstance(dance, DanceAnalyzer):
            self.arbiter = Arbiter(dance.window_s)
        elif not row.arbitrated and self.arbiter is not None:  # held reps go out as they
            self._released += self.arbiter.finish()  # are; withheld reps stay uncounted

    def set_resources(self, resources: Resources) -> None:
        """Another routine: the analyzers built from the old one start again."""
        self.resources = resources
        self.analyzers.pop("follow", None)
        self.set_mode(self.mode)

    def set_exercise(self, exercise: str) -> None:
        self.exercise = exercise
        if self.counting is not None:
            self._released += self.counting.restart(exercise)  # counts from 0
        self._restart_arbiter()

    def reset_count(self) -> None:
        if self.counting is not None:
            self._released += self.counting.restart()
        self._restart_arbiter()

    def _restart_arbiter(self) -> None:
        if self.arbiter is not None:  # reps before the reset keep their old numbers
            self._released += self.arbiter.finish()
            self.arbiter.reset()

    def new_stream(self, fps: float) -> None:
        self.fps = fps
        for each in self.analyzers.values():
            self._released += each.new_stream(fps)
        if self.arbiter is not None:
            self._released += self.arbiter.new_stream()

    # --- frames ---------------------------------------------------------------------
    def update(
        self, landmarks: np.ndarray | None, time_s: float
    ) -> tuple[list[Event], dict[str, float]]:
        """One frame: (events in publishing order: reps, phases, then the rest; the time
        each analyzer took, by its stats stage)."""
        timings: dict[str, float] = {}
        events: list[Event] = []
        for name in MODE_TABLE[self.mode].analyzers:
            each = self.analyzers[name]
            start = time.perf_counter()
            events += each.update(landmarks, time_s)
            timings[each.stage] = 1000 * (time.perf_counter() - start)
        start = time.perf_counter()
        events = self._arbitrate(events, final=False)
        if timings:  # the arbiter's share goes to the last stage
            timings[list(timings)[-1]] += 1000 * (time.perf_counter() - start)
        return events, timings

    def finish(self) -> list[Event]:
        events = []
        for name in MODE_TABLE[self.mode].analyzers:
            events += self.analyzers[name].finish()
        counting = self.counting
        if counting is not None and CountingAnalyzer.name not in MODE_TABLE[self.mode].analyzers:
            events += counting.finish()  # not counting now: reps still held go out
        return self._arbitrate(events, final=True)

    def _arbitrate(self, events: list[Event], final: bool) -> list[Event]:
        """Reps first (released ones, then this frame's), then the other events; in an
        arbitrated mode a rep waits for the dance verdicts over it."""
        reps = [e for e in events if isinstance(e, RepEvent)]
        others = [e for e in events if not isinstance(e, RepEvent)]
        arbiter = self.arbiter
        if arbiter is not None and MODE_TABLE[self.mode].arbitrated:
            released: list[Event] = list(arbiter.reps(reps))
            for i, event in enumerate(others):
                if isinstance(event, DanceEvent):
                    others[i], more = arbiter.verdict(event)
                    released += more
            if final:
                released += arbiter.finish()
            reps = released  # type: ignore[assignment]
        elif arbiter is not None:  # the arbitrated mode was left: numbers skip withheld reps
            reps = [arbiter.renumbered(rep) for rep in reps]
        out = [*self._released, *reps, *others]
        self._released = []
        return self._theirs(out)

    def take_released(self) -> list[Event]:
        """What a command let out between frames (a hold it ended, reps the arbiter
        held), now: the caller publishes it before what the command changes is shown."""
        out, self._released = self._released, []
        return self._theirs(out)

    def _theirs(self, events: list[Event]) -> list[Event]:
        if self.person:  # whose events: every event type has `person` (0 by default)
            return [dataclasses.replace(event, person=self.person) for event in events]
        return events

    # --- what `current` shows -------------------------------------------------------
    @property
    def active(self) -> str | None:
        """The exercise being counted (auto: once chosen)."""
        if self.counting is None:
            return None if self.exercise == AUTO else self.exercise
        return self.counting.session.active

    @property
    def phase(self) -> str | None:
        return None if self.counting is None else self.counting.session.phase

    def tally(self) -> tuple[int, int]:
        """(reps, partial reps) published; (0, 0) while auto decides."""
        if self.counting is None:
            return 0, 0
        counted = self.counting.session.tally()
        if self.active is None or self.arbiter is None:
            return counted
        return self.arbiter.published_count(self.active, *counted)
