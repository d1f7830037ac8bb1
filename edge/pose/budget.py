"""Several people and one frame budget: whose landmarks run on this frame.

Each tracked person costs one landmark-model run per frame. When everyone's runs do not
fit the frame budget, the pose backend degrades on purpose: it runs the landmark model on
only `quota` people per frame, taking turns (round robin: those updated longest ago
first, a person just found before anyone), and each person is updated at quota / people
of the frame rate. The others keep their ROI and filters and show their last landmarks,
marked not fresh (PoseResult.fresh): their analyzers skip the frame, so a count never
sees a repeated pose as a still body, and the filters see the real time between a
person's updates.

What it buys over running everyone on every frame and letting a live camera's
newest-frame hand-off drop the frames that came meanwhile: each person's rate is about
the same (the landmark runs per second are), but the loop keeps the camera's frame rate,
so a frame is at most one frame period old, the detector looks for newcomers on every
frame it would have, and the page and commands keep their pace.

The budget: `frame_budget_ms` when configured, else POSE_SHARE of a live source's frame
period (the rest of the frame, decoding, the detector and the analyzers, takes the
remainder); a recorded file has no deadline and runs everyone. `people_per_frame` fixes
the quota instead (a config's override, and what makes a test deterministic: a decision
on measured time is not). The measured cost per person is a running mean (SMOOTHING) of
the landmark runs' wall time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

POSE_SHARE = 0.75  # of a live source's frame period, for the landmark runs
SMOOTHING = 0.1  # weight of the newest frame in the running mean of ms per person


def people_within(budget_ms: float | None, ms_per_person: float | None, people: int) -> int:
    """How many of `people` get their landmarks on a frame: all of them when there is no
    budget, no measurement yet, or their runs fit; else as many as fit, at least one."""
    if budget_ms is None or ms_per_person is None or ms_per_person <= 0:
        return people
    if people * ms_per_person <= budget_ms:
        return people
    return max(1, min(people, math.floor(budget_ms / ms_per_person)))


class PersonQuota:
    """Chooses, frame by frame, whose landmarks run (the module's docstring)."""

    def __init__(self, people_per_frame: int = 0, frame_budget_ms: float | None = None) -> None:
        """people_per_frame: a fixed quota (0: as the budget allows); frame_budget_ms: the
        landmark runs' budget per frame (None: POSE_SHARE of a live source's period)."""
        if people_per_frame < 0:
            raise ValueError(f"people_per_frame must be 0 or more, got {people_per_frame}")
        if frame_budget_ms is not None and frame_budget_ms <= 0:
            raise ValueError(f"frame_budget_ms must be positive, got {frame_budget_ms}")
        self.people_per_frame = people_per_frame
        self.frame_budget_ms = frame_budget_ms
        self.period_ms: float | None = None  # a live source's frame period (the pipeline's)
        self.ms_per_person: float | None = None
        self._turn = 0  # turns handed out: a person's last is when they last ran
        self._last_run: dict[int, int] = {}

    @property
    def budget_ms(self) -> float | None:
        if self.frame_budget_ms is not None:
            return self.frame_budget_ms
        return None if self.period_ms is None else POSE_SHARE * self.period_ms

    def quota(self, people: int) -> int:
        if self.people_per_frame:
            return min(people, self.people_per_frame)
        return people_within(self.budget_ms, self.ms_per_person, people)

    def choose(self, people: Sequence[int]) -> set[int]:
        """Of the tracked people (ids, oldest track first), those whose landmarks run on
        this frame: the quota's worth, those updated longest ago first (never: first of
        all), ties in track order."""
        self._last_run = {person: self._last_run.get(person, -1) for person in people}
        order = sorted(range(len(people)), key=lambda i: (self._last_run[people[i]], i))
        chosen = [people[i] for i in order[: self.quota(len(people))]]
        for person in chosen:  # one turn number each: no ties between people who ran
            self._turn += 1
            self._last_run[person] = self._turn
        return set(chosen)

    def measured(self, ms: float, runs: int) -> None:
        """The landmark runs of this frame took `ms` (wall) for `runs` people."""
        if runs <= 0:
            return
        each = ms / runs
        last = self.ms_per_person
        self.ms_per_person = each if last is None else last + SMOOTHING * (each - last)

    def reset(self) -> None:
        """A new stream: turns start again (the measured cost stays: same machine)."""
        self._turn = 0
        self._last_run.clear()
