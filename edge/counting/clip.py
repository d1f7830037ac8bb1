"""Count a whole recorded clip (a KeypointTrack), with one pack or by trying them all."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edge.counting.auto import Standing, choose_exercise
from edge.counting.classifier import TfliteVotes, VoteClassifier
from edge.counting.pack import ExercisePack
from edge.counting.tracker import RepTracker
from edge.keypoints_io import KeypointTrack


@dataclass(frozen=True)
class ClipCount:
    exercise: str
    reps: int
    rep_times_s: list[float] = field(default_factory=list)
    frames_used: int = 0  # frames that reached the classifier
    decisiveness: float = 0.0  # RepTracker.decisiveness at the end of the clip
    too_short: int = 0  # visits to the down state left before the pack's min_hold_s

    def as_json(self) -> dict[str, object]:
        return {
            "exercise": self.exercise,
            "reps": self.reps,
            "rep_times_s": [round(t, 3) for t in self.rep_times_s],
        }


def count_track(
    track: KeypointTrack, pack: ExercisePack, classifier: VoteClassifier | None = None,
    start_s: float | None = None, end_s: float | None = None,
) -> ClipCount:  # fmt: skip
    """Reps of `pack`'s exercise in the frames between start_s and end_s (inclusive)."""
    tracker = RepTracker(pack, classifier or TfliteVotes(pack))
    times = track.times_s
    selected = np.ones(track.num_frames, bool)
    if start_s is not None:
        selected &= times >= start_s
    if end_s is not None:
        selected &= times <= end_s
    rep_times = []
    for index in np.flatnonzero(selected):
        landmarks = track.landmarks[index] if track.present[index] else None
        event = tracker.update(landmarks, float(times[index]))
        if event is not None:
            rep_times.append(event.time_s)
    return ClipCount(
        pack.name, tracker.count, rep_times, tracker.frames_used, tracker.decisiveness,
        tracker.counter.too_short,
    )  # fmt: skip


def count_auto(
    track: KeypointTrack, packs: list[ExercisePack], start_s: float | None = None,
    end_s: float | None = None,
) -> ClipCount:  # fmt: skip
    """The exercise whose states actually alternate, by the rule live sessions use
    (edge/counting/auto.py): of the packs with the most reps (counting up to two), the
    one whose votes were most decisive. No pack with a rep: "none"."""
    results = {pack.name: count_track(track, pack, None, start_s, end_s) for pack in packs}
    standings = {name: Standing(r.reps, r.decisiveness) for name, r in results.items()}
    chosen = choose_exercise(standings, finished=True)
    if chosen is None:
        return ClipCount("none", 0, [], max((r.frames_used for r in results.values()), default=0))
    return results[chosen]
