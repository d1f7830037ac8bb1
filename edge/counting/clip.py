"""Count a whole recorded clip (a KeypointTrack): with one pack, pack-free (`any`), or by
trying them all (`auto`). The frames go through the same classes, one by one, as a live
camera's do (edge/app/pipeline.py), so a clip counts what `dancepose run` publishes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from edge.counting.classifier import TfliteVotes, VoteClassifier
from edge.counting.events import RepEvent
from edge.counting.hold import make_tracker
from edge.counting.pack import ExercisePack, PackError
from edge.counting.periodic import PeriodicCounter
from edge.counting.session import CountingSession
from edge.counting.tracker import RepTracker
from edge.keypoints_io import KeypointTrack
from edge.modes import ANY, AUTO, NO_EXERCISE


@dataclass(frozen=True)
class ClipCount:
    exercise: str
    reps: int
    events: list[RepEvent] = field(default_factory=list)  # counted and partial, in order
    frames_used: int = 0  # frames that reached the counter
    decisiveness: float = 0.0  # a pack's RepTracker.decisiveness at the end of the clip
    too_short: int = 0  # visits to the down state left before the pack's min_hold_s
    why_none: str = ""  # when nothing was counted: why, in the user's words

    @property
    def rep_times_s(self) -> list[float]:
        return [e.time_s for e in self.events if not e.partial]

    @property
    def partial(self) -> int:
        return sum(e.partial for e in self.events)

    def as_json(self) -> dict[str, object]:
        return {
            "exercise": self.exercise,
            "reps": self.reps,
            "partial": self.partial,
            "rep_times_s": [round(t, 3) for t in self.rep_times_s],
            "events": [
                {
                    "count": e.count, "start_s": round(e.start_s, 3), "end_s": round(e.end_s, 3),
                    "t_s": round(e.time_s, 3), "confidence": round(e.confidence, 4),
                    "partial": e.partial,
                }
                for e in self.events
            ],
        }  # fmt: skip


def _frames(
    track: KeypointTrack, start_s: float | None, end_s: float | None
) -> Iterator[tuple[np.ndarray | None, float]]:
    """(landmarks or None, time) of the frames between start_s and end_s (inclusive)."""
    times = track.times_s
    selected = np.ones(track.num_frames, bool)
    if start_s is not None:
        selected &= times >= start_s
    if end_s is not None:
        selected &= times <= end_s
    for index in np.flatnonzero(selected):
        yield (track.landmarks[index] if track.present[index] else None), float(times[index])


def count_track(
    track: KeypointTrack, pack: ExercisePack, classifier: VoteClassifier | None = None,
    start_s: float | None = None, end_s: float | None = None,
) -> ClipCount:  # fmt: skip
    """Reps of `pack`'s exercise in the frames between start_s and end_s (inclusive)."""
    if pack.spec.hold is not None:
        raise PackError(
            f"exercise {pack.name!r} is a hold (seconds in a pose, not reps): `count` counts "
            "reps; `dancepose run` publishes its holds on the hold topic"
        )
    tracker = RepTracker(pack, classifier or TfliteVotes(pack))
    events = []
    for landmarks, time_s in _frames(track, start_s, end_s):
        event = tracker.update(landmarks, time_s)
        if event is not None:
            events.append(event)
    why = "" if tracker.count else f"no {pack.name} rep: the poses never alternated as in its pack"
    return ClipCount(
        pack.name, tracker.count, events, tracker.frames_used, tracker.decisiveness,
        tracker.counter.too_short, why,
    )  # fmt: skip


def count_any(
    track: KeypointTrack, start_s: float | None = None, end_s: float | None = None,
    frame_seconds: list[float] | None = None,
) -> ClipCount:  # fmt: skip
    """Pack-free: cycles of the body's dominant repeated movement (edge/counting/periodic.py).
    `frame_seconds` collects the counter's own CPU time per frame (the bench: CPU time, so
    that other processes on the machine do not count)."""
    counter = PeriodicCounter()
    events: list[RepEvent] = []
    frames = 0
    last = 0.0
    for landmarks, time_s in _frames(track, start_s, end_s):
        began = time.process_time()
        events += counter.update(landmarks, time_s)
        if frame_seconds is not None:
            frame_seconds.append(time.process_time() - began)
        frames += landmarks is not None
        last = time_s
    events += counter.finish(last)
    why = ""
    if not counter.count:
        why = (
            "no person in the frames counted" if not frames else
            "no repeated movement: no cycle that came back to where it began, or too little motion"
        )  # fmt: skip
    return ClipCount(ANY, counter.count, events, frames, why_none=why)


def count_auto(
    track: KeypointTrack, packs: list[ExercisePack], start_s: float | None = None,
    end_s: float | None = None,
) -> ClipCount:  # fmt: skip
    """The exercise by the rule live sessions use, frame by frame through the same
    CountingSession as `dancepose run` (edge/counting/auto.py): the most decisive matching
    pack, else `any` once it has counted, else "none" (and why)."""
    session = CountingSession({p.name: make_tracker(p, TfliteVotes(p)) for p in packs}, AUTO)
    events: list[RepEvent] = []
    frames = 0
    for landmarks, time_s in _frames(track, start_s, end_s):
        events += session.update(landmarks, time_s)[0]
        frames += landmarks is not None
    events += session.finish()
    chosen = session.active
    if chosen is None:
        why = "no person in the frames counted" if not frames else (
            "no exercise: no pack matched and no repeated movement was found"
        )  # fmt: skip
        return ClipCount(NO_EXERCISE, 0, [], frames, why_none=why)
    tracker = session.trackers.get(chosen)
    return ClipCount(
        chosen, session.tally()[0], events, frames,
        tracker.decisiveness if tracker is not None else 0.0,
        tracker.counter.too_short if tracker is not None else 0,
    )  # fmt: skip
