"""One exercise, frame by frame: landmarks -> votes -> smoothed confidence -> reps.

Frames without a person, or where no body side shows the pack's joints clearly, do not
move the smoother or the counter: a half-visible body must not invent or erase a rep. The
smoother's clock is the time spent on usable frames, so votes do not age while the body is
hidden (as with MediaPipe's last-10-frames window), yet a second of votes is a second
whatever the frame rate.
"""

from __future__ import annotations

import numpy as np

from edge.counting.classifier import VoteClassifier
from edge.counting.counter import RepCounter, Step
from edge.counting.events import RepEvent, RepQuality
from edge.counting.pack import ExercisePack
from edge.counting.smoothing import EmaSmoother
from edge.skeleton import BODY_INDEX, JOINT


class RepTracker:
    def __init__(self, pack: ExercisePack, classifier: VoteClassifier) -> None:
        spec = pack.spec
        self.exercise = spec.name
        self._spec = spec
        self._classifier = classifier
        self._count_index = spec.class_names.index(spec.count_class)
        self._sides = [
            np.array([JOINT[f"{side}_{family}"] for family in spec.visible_joints])
            for side in ("left", "right")
        ]
        counts = np.asarray(spec.sample_counts, np.float64)
        self._prior = (
            counts / counts.mean()
            if spec.balance_classes and counts.size == len(spec.class_names) and counts.min() > 0
            else None
        )
        self.smoother = EmaSmoother(spec.ema_window_s, spec.ema_tau_s)
        self.counter = RepCounter(spec.enter_threshold, spec.exit_threshold, spec.min_hold_s)
        self.confidence = 0.0
        self._rising_since: float | None = None  # last frame below exit: where a rep starts
        self._turn_s: float | None = None  # when the counted pose was last entered
        self._usable_s = 0.0  # the smoother's clock: stream time on usable frames
        self._last_time_s: float | None = None
        self._winning_share = 0.0  # sum over usable frames of max(votes) / sum(votes)
        self._frames = 0
        self._rep_ends: list[float] = []  # when each counted rep ended
        self.quality = RepQuality()

    @property
    def count(self) -> int:
        return self.counter.count

    @property
    def partial(self) -> int:
        """Partial reps reported so far (edge/counting/counter.py), not in `count`."""
        return self.counter.partial

    @property
    def frames_used(self) -> int:
        """Usable frames so far: the ones that reached the classifier."""
        return self._frames

    @property
    def decisiveness(self) -> float:
        """Mean share of the votes the winning class got, over the usable frames so far:
        near 1 when the poses resemble the pack's samples, near 0.5 when the neighbours
        split (edge/counting/auto.py picks the exercise by it)."""
        return self._winning_share / self._frames if self._frames else 0.0

    @property
    def period_s(self) -> float | None:
        """The median time between the ends of its counted reps; None before two."""
        return float(np.median(np.diff(self._rep_ends))) if len(self._rep_ends) > 1 else None

    @property
    def phase(self) -> str:
        """The state the exerciser is in: the counted state while it is held, else 'other'."""
        return self._spec.count_class if self.counter.entered else "other"

    def usable(self, landmarks: np.ndarray | None) -> bool:
        """A person, every embedded joint located, and one side's key joints visible."""
        if landmarks is None or not np.isfinite(landmarks[BODY_INDEX, :2]).all():
            return False
        visibility = np.nan_to_num(landmarks[:, 3], nan=0.0)
        return any(
            bool((visibility[side] >= self._spec.min_visibility).all()) for side in self._sides
        )

    def update(self, landmarks: np.ndarray | None, time_s: float) -> RepEvent | None:
        """Feed one frame; a RepEvent on the frame a rep (or a partial rep) completes."""
        previous, self._last_time_s = self._last_time_s, time_s
        if not self.usable(landmarks):
            return None
        if previous is not None:
            self._usable_s += max(0.0, time_s - previous)
        votes = self._classifier.votes(landmarks)
        if self._prior is not None:
            votes = votes / self._prior
            votes *= self._spec.knn.top_n_by_mean_distance / max(votes.sum(), 1e-9)
        self._winning_share += float(votes.max() / max(votes.sum(), 1e-9))
        self._frames += 1
        self.confidence = float(self.smoother(votes, self._usable_s)[self._count_index])
        if self._rising_since is None:  # the first frame since a reset or a pause
            self._rising_since = time_s
        entered = self.counter.entered
        step = self.counter.update(self.confidence, time_s)
        if self.counter.entered and not entered:
            self._turn_s = time_s
        event = None
        if step is not Step.NONE:
            depth, top_n = self.counter.depth, self._spec.knn.top_n_by_mean_distance
            start = self._rising_since
            turn = self._turn_s if self._turn_s is not None and self._turn_s >= start else start
            event = RepEvent(
                self.exercise, self.counter.count, time_s, start, time_s,
                min(1.0, depth / top_n), votes=depth, partial=step is Step.PARTIAL,
                **self.quality.measure(depth, start, turn, time_s),
            )  # fmt: skip
            if not event.partial:
                self._rep_ends.append(time_s)
        if not self.counter.entered and self.confidence < self._spec.exit_threshold:
            self._rising_since = time_s
        return event

    def interrupt(self) -> None:
        """The frames stop following on (a pause, a new source): no rep spans the gap; the
        counts stay."""
        self.smoother.reset()
        self.counter.interrupt()
        self.confidence = 0.0
        self._rising_since = self._last_time_s = self._turn_s = None

    def reset(self) -> None:
        self.smoother.reset()
        self.counter.reset()
        self.quality.reset()
        self._rising_since = self._turn_s = None
        self.confidence = self._winning_share = 0.0
        self._usable_s, self._last_time_s = 0.0, None
        self._frames = 0
        self._rep_ends.clear()
