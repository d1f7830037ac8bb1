"""One frame through pose and the mode's analyzers, per person; no I/O here.

The loop (edge/app/frames.py) feeds frames and hands out the typed events that come out,
so everything that decides a count can be tested without a camera or a broker.

Each person in view has its own set of analyzers (edge/app/person.py), the ones the
mode's row in edge/modes.py names; they are made when a mode first needs them and kept
across mode changes, so a count survives a detour through dance mode. A person is keyed by
the pose tracker's id (PoseResult.person; 0 with one person). The first frame that finds a
person says so (PersonEntered); one out of view for PERSON_GONE_S of stream time is dropped
(PersonLeft), unless nobody else is left: the only person keeps their count while they step
away, as one person always did. What a dropped person's analyzers still hold (reps `auto`
had not assigned yet, a pack-free window) is discarded, not published: a brief stray track
(the tracker losing someone and finding them again under a new id) would otherwise publish
the reps of a person who is not there.

What is counted (a pack, "any", or "auto" choosing between them) is one
edge/counting/session.py CountingSession, the same class `dancepose count` runs a clip
through, so a file played by `dancepose run` publishes the reps `count` reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edge.analyzers import Event, Resources, unavailable
from edge.app.arbiter import Arbiter
from edge.app.person import PersonAnalyzers
from edge.app.state import PERSON_GONE_S, PersonEntered, PersonLeft
from edge.counting.classifier import VoteClassifier
from edge.counting.events import PhaseEvent, RepEvent
from edge.counting.hold import make_tracker
from edge.counting.pack import ExercisePack
from edge.counting.tracker import RepTracker
from edge.dance.classifier import DanceEvent
from edge.follow import routine as routines
from edge.modes import AUTO, MODE_TABLE, SPECIAL_EXERCISES
from edge.paths import DEFAULT_ROUTINES_DIR
from edge.pose.estimator import PoseEstimator
from edge.pose.result import PoseResult
from edge.sources.frame import Frame

__all__ = ["FrameResult", "Pipeline"]

Landmarks = np.ndarray | None  # one person's (33, 4) landmarks, None: not in view


@dataclass
class FrameResult:
    """What one frame produced: the people found and the events, in publishing order."""

    people: list[PoseResult] = field(default_factory=list)
    events: list[Event | PersonEntered | PersonLeft] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def pose(self) -> PoseResult | None:
        """The first person found (the one person today's estimators find), or None."""
        return self.people[0] if self.people else None

    @property
    def reps(self) -> list[RepEvent]:
        return [e for e in self.events if isinstance(e, RepEvent)]

    @property
    def phases(self) -> list[PhaseEvent]:
        return [e for e in self.events if isinstance(e, PhaseEvent)]

    @property
    def dance(self) -> DanceEvent | None:
        return next((e for e in self.events if isinstance(e, DanceEvent)), None)


class Pipeline:
    def __init__(
        self, estimator: PoseEstimator | None, resources: Resources, mode: str = "count",
        exercise: str = AUTO,
    ) -> None:  # fmt: skip
        self.estimator = estimator
        self.resources = resources
        self.fps = 30.0
        self.mode = "count"
        self.exercise = AUTO  # the exercise set: a pack's name, any or auto
        self.people: dict[int, PersonAnalyzers] = {}
        self._seen: dict[int, float] = {}  # stream time each person was last found
        self.routines_dir = DEFAULT_ROUTINES_DIR  # where set_routine finds routines by name
        self.set_exercise(exercise)
        self.set_mode(mode)
        self._person(0)  # the one person whose count `current` shows

    @classmethod
    def build(
        cls, estimator: PoseEstimator | None, packs: list[ExercisePack],
        make_classifier: Callable[[ExercisePack], VoteClassifier], dance_dir: Path | None,
        mode: str, exercise: str, routine: Path | None = None,
    ) -> Pipeline:  # fmt: skip
        """estimator: None where the keypoints are recorded (process_landmarks only);
        dance_dir: the dance model's folder, None when none is installed; routine: the
        routine folder follow mode starts with (set_routine picks another beside it)."""

        def make_trackers() -> dict[str, RepTracker]:
            return {p.name: make_tracker(p, make_classifier(p)) for p in packs}

        names = tuple(sorted(p.name for p in packs))
        resources = Resources(make_trackers, names, dance_dir, routine)
        return cls(estimator, resources, mode, exercise)

    # --- what the device offers ---------------------------------------------------------
    @property
    def modes(self) -> tuple[str, ...]:
        """The modes set_mode accepts here (a dance mode needs a dance model)."""
        return tuple(m for m in MODE_TABLE if unavailable(m, self.resources) is None)

    @property
    def exercises(self) -> tuple[str, ...]:
        """What set_exercise accepts: the installed packs, then auto and any."""
        return (*self.resources.pack_names, *SPECIAL_EXERCISES)

    # --- commands -------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODE_TABLE:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODE_TABLE)}")
        reason = unavailable(mode, self.resources)
        if reason is not None:
            raise ValueError(reason)
        self.mode = mode
        for person in self.people.values():
            person.set_mode(mode)

    def set_exercise(self, exercise: str) -> None:
        """Counts start again from 0; an unknown exercise raises ValueError."""
        if exercise not in self.exercises:
            choices = ", ".join(self.exercises)
            raise ValueError(f"unknown exercise {exercise!r}; use one of: {choices}")
        self.exercise = exercise
        for person in self.people.values():
            person.set_exercise(exercise)

    def reset_count(self) -> None:
        for person in self.people.values():
            person.reset_count()

    def take_released(self) -> list[Event]:
        """What the last commands let out between frames (edge/app/person.py), everyone's;
        left to the next frame when nobody takes it."""
        return [e for person in self.people.values() for e in person.take_released()]

    def set_routine(self, name: str) -> None:
        """Follow the routine routines_dir/name from its start; ValueError (one line) for
        a name that is not a recorded routine there or a folder that cannot be read."""
        routines_dir = self.routines_dir
        folder = routines_dir / name
        if not (folder / routines.META).is_file():
            found = routines.recorded(routines_dir)
            raise ValueError(
                f"unknown routine {name!r}; recorded in {routines_dir}: "
                f"{', '.join(found) or 'none (record one with `dancepose routine record`)'}"
            )
        routines.load(folder)  # RoutineError is a ValueError with its fix
        self.resources = replace(self.resources, routine=folder)
        for person in self.people.values():
            person.set_resources(self.resources)

    def start_stream(self, fps: float, live: bool = False) -> None:
        """A new source (or the same camera reopened): forget tracking and half-built
        windows, which belong to frames that no longer follow on; counts stay. live: a
        camera's frame period is the pose stage's budget (edge/pose/budget.py); a file
        has no deadline."""
        if self.estimator is not None:
            self.estimator.reset()
        quota = getattr(self.estimator, "quota", None)  # backends that take turns have one
        if quota is not None:
            quota.period_ms = 1000.0 / fps if live and fps > 0 else None
        self.fps = fps
        self._seen.clear()  # stream time starts again: absence counts from the first frame
        for person in self.people.values():
            person.new_stream(fps)

    # --- frames ---------------------------------------------------------------------
    def process(self, frame: Frame) -> FrameResult:
        if self.estimator is None:
            raise ValueError("this pipeline has no pose estimator: feed it process_landmarks")
        start = time.perf_counter()
        people = self.estimator.process(frame)
        after_pose = time.perf_counter()
        found = {p.person: p.landmarks for p in people if p.fresh}
        held = {p.person for p in people if not p.fresh}
        result = self.process_people(found, frame.timestamp_s, held)
        result.people = people
        result.timings_ms["pose"] = 1000 * (after_pose - start)
        return result

    def process_landmarks(self, landmarks: Landmarks, time_s: float) -> FrameResult:
        """One person's landmarks (None: nobody found) after the pose model. Benches and
        tests feed recorded keypoints here."""
        return self.process_people({} if landmarks is None else {0: landmarks}, time_s)

    def process_people(
        self, found: dict[int, np.ndarray], time_s: float, held: Collection[int] = (),
    ) -> FrameResult:  # fmt: skip
        """Every person's analyzers for one frame: those found get their landmarks, the
        others None (a person out of view still has a count, and its time runs on). held:
        people in view whose landmarks were not measured on this frame (their turn went to
        others, edge/pose/budget.py): their analyzers skip the frame."""
        result = FrameResult()
        for key in found:
            if key not in self._seen:  # new, or back after a new stream began
                result.events.append(PersonEntered(key, time_s))
            self._person(key)
            self._seen[key] = time_s
        for key in held:
            if key in self._seen:
                self._seen[key] = time_s
        for key, person in self.people.items():
            if key in held:
                continue
            events, timings = person.update(found.get(key), time_s)
            result.events += events
            for stage, ms in timings.items():
                result.timings_ms[stage] = result.timings_ms.get(stage, 0.0) + ms
        result.events += self._drop_gone(time_s)
        return result

    def _drop_gone(self, time_s: float) -> list[Event | PersonEntered | PersonLeft]:
        """People out of view for PERSON_GONE_S, longest gone first, while someone else is
        left: their analyzers go with what they hold, and PersonLeft says so."""
        events: list[Event | PersonEntered | PersonLeft] = []
        for key in sorted(self.people, key=lambda k: self._seen.setdefault(k, time_s)):
            if len(self.people) < 2 or time_s - self._seen[key] <= PERSON_GONE_S:
                break
            del self.people[key], self._seen[key]
            events.append(PersonLeft(key, time_s))
        return events

    def finish(self) -> FrameResult:
        """The source has ended (a recorded file): what the analyzers still hold (pack-free
        counting's last window, an undecided auto) goes out, not lost."""
        return FrameResult(events=[e for person in self.people.values() for e in person.finish()])

    def _person(self, key: int) -> PersonAnalyzers:
        if key not in self.people:
            self.people[key] = PersonAnalyzers(
                self.resources, self.mode, self.exercise, self.fps, person=key
            )
        return self.people[key]

    # --- the main person's figures (what `current` shows on top) -----------------------
    @property
    def _first(self) -> PersonAnalyzers:
        """The main person: the lowest id of those kept (edge/app/state.py agrees)."""
        return self.people[min(self.people)]

    @property
    def active(self) -> str | None:
        """The exercise being counted (auto: once chosen)."""
        return self._first.active

    @property
    def phase(self) -> str | None:
        return self._first.phase

    @property
    def arbiter(self) -> Arbiter | None:
        """The first person's both-mode arbiter, once made."""
        return self._first.arbiter

    def tally(self) -> tuple[int, int]:
        """(reps, partial reps) published for the exercise being counted; (0, 0) while
        auto decides."""
        return self._first.tally()
