"""One frame through pose, rep counting and dance classification; no I/O here.

The loop (edge/app/loop.py) feeds frames and publishes what comes out, so everything that
decides a count can be tested without a camera or a broker.

In `both` mode the reps and the dance verdicts go through edge/app/arbiter.py, so a dance
is not counted as reps and a set is not named a dance.

What is counted (a pack, "any", or "auto" choosing between them) is one
edge/counting/session.py CountingSession, the same class `dancepose count` runs a clip
through, so a file played by `dancepose run` publishes the reps `count` reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from edge.app.arbiter import Arbiter
from edge.counting.classifier import VoteClassifier
from edge.counting.events import RepEvent
from edge.counting.pack import ExercisePack
from edge.counting.session import CountingSession, PhaseEvent
from edge.counting.tracker import RepTracker
from edge.dance.classifier import DanceClassifier, DanceEvent
from edge.modes import AUTO, MODES
from edge.pose.estimator import PoseEstimator
from edge.pose.result import PoseResult
from edge.sources.frame import Frame

__all__ = ["FrameResult", "PhaseEvent", "Pipeline"]


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
        self.counting = CountingSession(trackers, exercise)
        self._make_dance = make_dance
        self.dance: DanceClassifier | None = None
        self.arbiter: Arbiter | None = None  # made when both mode is first set, then kept
        self._released: list[RepEvent] = []  # reps the arbiter let out between frames
        self.fps = 30.0
        self.mode = "count"
        self.set_mode(mode)

    @property
    def trackers(self) -> dict[str, RepTracker]:
        return self.counting.trackers

    @property
    def exercise(self) -> str:
        """The exercise set: a pack's name, any or auto."""
        return self.counting.exercise

    @property
    def active(self) -> str | None:
        """The exercise being counted (auto: once chosen)."""
        return self.counting.active

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
        self.counting.new_stream()
        if self.arbiter is not None:
            self._released += self.arbiter.new_stream()
        self.fps = fps
        if self.dance is not None and self._make_dance is not None:
            self.dance = self._make_dance(fps)

    def set_exercise(self, exercise: str) -> None:
        self.counting.set_exercise(exercise)  # an unknown one raises; else counts from 0
        self._restart_arbiter()

    def reset_count(self) -> None:
        self.counting.reset()
        self._restart_arbiter()

    def _restart_arbiter(self) -> None:
        if self.arbiter is not None:  # reps before the reset keep their old numbers
            self._released += self.arbiter.finish()
            self.arbiter.reset()

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
            result.reps, result.phases = self.counting.update(landmarks, time_s)
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
        tail = self.counting.finish()
        if self.arbiter is not None and self.mode == "both":
            tail = self.arbiter.reps(tail) + self.arbiter.finish()
        elif self.arbiter is not None:
            tail = [self.arbiter.renumbered(rep) for rep in tail]
        return released + tail

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes set_mode accepts here: all of them with a dance model, else count."""
        return MODES if self._make_dance is not None else ("count",)

    @property
    def phase(self) -> str | None:
        """The counted exercise's phase (edge/counting/session.py)."""
        return self.counting.phase

    def tally(self) -> tuple[int, int]:
        """(reps, partial reps) of the exercise being counted; (0, 0) while auto decides."""
        counted = self.counting.tally()
        if self.active is None or self.arbiter is None:
            return counted
        return self.arbiter.published_count(self.active, *counted)
