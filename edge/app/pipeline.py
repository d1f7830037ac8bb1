"""One frame through pose, rep counting and dance classification; no I/O here.

The loop (edge/app/loop.py) feeds frames and publishes what comes out, so everything that
decides a count can be tested without a camera or a broker.

In `both` mode the reps and the dance verdicts go through edge/app/arbiter.py, so a dance
is not counted as reps and a set is not named a dance.

Live "auto" exercise: every installed pack, and pack-free counting ("any"), track the
person until edge/counting/auto.py picks one (the most decisive matching pack once it has
two reps, else "any" once it has counted); then its reps so far are published, and only
its events from then on, until the count is reset or the exercise is set by command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from edge.app.arbiter import Arbiter
from edge.counting.auto import Standing, choose_counter
from edge.counting.classifier import VoteClassifier
from edge.counting.events import RepEvent
from edge.counting.pack import ExercisePack
from edge.counting.periodic import PeriodicCounter
from edge.counting.tracker import RepTracker
from edge.dance.classifier import DanceClassifier, DanceEvent
from edge.modes import ANY, AUTO, MODES
from edge.pose.estimator import PoseEstimator
from edge.pose.result import PoseResult
from edge.sources.frame import Frame


@dataclass(frozen=True)
class PhaseEvent:
    exercise: str
    phase: str  # a pack's counted state ("down") while held; any: "counting"; else "other"
    time_s: float


@dataclass
class FrameResult:
    pose: PoseResult | None
    reps: list[RepEvent] = field(default_factory=list)
    phases: list[PhaseEvent] = field(default_factory=list)
    dance: DanceEvent | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


class Pipeline:
    def __init__(
        self,
        estimator: PoseEstimator,
        trackers: dict[str, RepTracker],
        make_dance: Callable[[float], DanceClassifier] | None,
        mode: str = "count",
        exercise: str = AUTO,
    ) -> None:
        self.estimator = estimator
        self.trackers = trackers
        self.periodic = PeriodicCounter()  # "any": no pack, the body's repeated movement
        self._last_time_s = 0.0
        self._make_dance = make_dance
        self.dance: DanceClassifier | None = None
        self.arbiter: Arbiter | None = None  # made when both mode is first set, then kept
        self._released: list[RepEvent] = []  # reps the arbiter let out between frames
        self.fps = 30.0
        self.mode = "count"
        self.exercise = AUTO
        self.active: str | None = None  # the exercise being counted (auto: once locked)
        self._phases: dict[str, str] = {}
        self._pending: dict[str, list[RepEvent]] = {}  # auto, before lock: reps per pack
        self.set_mode(mode)
        self.set_exercise(exercise)

    @classmethod
    def build(
        cls, estimator: PoseEstimator, packs: list[ExercisePack],
        make_classifier: Callable[[ExercisePack], VoteClassifier],
        make_dance: Callable[[float], DanceClassifier] | None, mode: str, exercise: str,
    ) -> Pipeline:  # fmt: skip
        trackers = {p.name: RepTracker(p, make_classifier(p)) for p in packs}
        return cls(estimator, trackers, make_dance, mode, exercise)

    # --- commands -------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if mode in ("dance", "both") and self._make_dance is None:
            raise ValueError("no dance model installed; set mode count or install models/dance")
        self.mode = mode
        if mode in ("dance", "both") and self.dance is None and self._make_dance is not None:
            self.dance = self._make_dance(self.fps)
        if mode == "both" and self.arbiter is None and self.dance is not None:
            meta = self.dance.model.metadata
            self.arbiter = Arbiter(meta.units_per_window * meta.unit_s)
        elif mode != "both" and self.arbiter is not None:  # held reps go out as they are;
            self._released += self.arbiter.finish()  # its withheld reps stay uncounted

    def start_stream(self, fps: float) -> None:
        """A new source (or the same camera reopened): forget tracking and half-built
        dance windows, which belong to frames that no longer follow on; counts stay."""
        self.estimator.reset()
        self.periodic.new_stream()
        if self.arbiter is not None:
            self._released += self.arbiter.new_stream()
        self.fps = fps
        if self.dance is not None and self._make_dance is not None:
            self.dance = self._make_dance(fps)

    def set_exercise(self, exercise: str) -> None:
        if exercise not in (AUTO, ANY) and exercise not in self.trackers:
            choices = ", ".join([*sorted(self.trackers), AUTO, ANY])
            raise ValueError(f"unknown exercise {exercise!r}; use one of: {choices}")
        self.exercise = exercise
        self.reset_count()

    def reset_count(self) -> None:
        if self.arbiter is not None:  # reps before the reset keep their old numbers
            self._released += self.arbiter.finish()
            self.arbiter.reset()
        for tracker in self.trackers.values():
            tracker.reset()
        self.periodic.reset()
        self.active = None if self.exercise == AUTO else self.exercise
        self._phases.clear()
        self._pending = {name: [] for name in [*self.trackers, ANY]}

    # --- frames ---------------------------------------------------------------------
    def process(self, frame: Frame) -> FrameResult:
        start = time.perf_counter()
        pose = self.estimator.process(frame)
        after_pose = time.perf_counter()
        result = self.process_landmarks(None if pose is None else pose.landmarks,
                                        frame.timestamp_s)  # fmt: skip
        result.pose = pose
        result.timings_ms["pose"] = 1000 * (after_pose - start)
        return result

    def process_landmarks(self, landmarks: np.ndarray | None, time_s: float) -> FrameResult:
        """One frame's landmarks (None: nobody found) after the pose model: counting, dance,
        and in `both` mode the arbiter between them. Benches feed recorded keypoints here."""
        start = time.perf_counter()
        result = FrameResult(None)
        if self.mode in ("count", "both"):
            self._count(landmarks, time_s, result)
        after_count = time.perf_counter()
        if self.dance is not None and self.mode in ("dance", "both"):
            result.dance = self.dance.push(landmarks, time_s)
        if self.arbiter is not None and self.mode == "both":
            released = self.arbiter.reps(result.reps)
            if result.dance is not None:
                result.dance, more = self.arbiter.verdict(result.dance)
                released += more
            result.reps = released
        elif self.arbiter is not None:  # both mode was left: numbers still skip withheld reps
            result.reps = [self.arbiter.renumbered(rep) for rep in result.reps]
        if self._released:
            result.reps[:0], self._released = self._released, []
        end = time.perf_counter()
        result.timings_ms = {
            "count": 1000 * (after_count - start),
            "dance": 1000 * (end - after_count),
        }
        return result

    def finish(self) -> list[RepEvent]:
        """The source has ended (a recorded file): pack-free counting confirms what its last
        window holds, and an auto session still undecided settles on what it saw; the reps
        so far are returned to publish, not lost."""
        released, self._released = self._released, []  # already decided
        tail = self._finish_counting()
        if self.arbiter is not None and self.mode == "both":
            tail = self.arbiter.reps(tail) + self.arbiter.finish()
        elif self.arbiter is not None:
            tail = [self.arbiter.renumbered(rep) for rep in tail]
        return released + tail

    def _finish_counting(self) -> list[RepEvent]:
        tail = self.periodic.finish(self._last_time_s)
        if self.active == ANY:
            return tail
        if self.active is not None:
            return []
        self._pending[ANY].extend(tail)
        self.active = choose_counter(self._standings(), self.periodic.count, finished=True)
        return list(self._pending[self.active]) if self.active is not None else []

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes set_mode accepts here: all of them with a dance model, else count."""
        return MODES if self._make_dance is not None else ("count",)

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
            counted = self.periodic.count, self.periodic.partial
        else:
            counted = self.trackers[self.active].count, self.trackers[self.active].partial
        if self.arbiter is None:
            return counted
        return self.arbiter.published_count(self.active, *counted)

    def _standings(self) -> dict[str, Standing]:
        return {name: Standing(t.count, t.decisiveness) for name, t in self.trackers.items()}

    def _count(self, landmarks: np.ndarray | None, time_s: float, result: FrameResult) -> None:
        self._last_time_s = time_s
        if self.active is None:  # auto, not decided yet: every pack and "any" listen
            for name, tracker in self.trackers.items():
                event = tracker.update(landmarks, time_s)
                if event is not None:
                    self._pending[name].append(event)
            self._pending[ANY].extend(self.periodic.update(landmarks, time_s))
            self.active = choose_counter(self._standings(), self.periodic.count)
            if self.active is not None:
                result.reps.extend(self._pending[self.active])
            return
        if self.active == ANY:
            result.reps.extend(self.periodic.update(landmarks, time_s))
            phase = self.periodic.phase
        else:
            tracker = self.trackers[self.active]
            event = tracker.update(landmarks, time_s)
            if event is not None:
                result.reps.append(event)
            phase = tracker.phase
        if phase != self._phases.get(self.active, "other"):
            self._phases[self.active] = phase
            result.phases.append(PhaseEvent(self.active, phase, time_s))
