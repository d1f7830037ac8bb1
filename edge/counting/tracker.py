"""One exercise, frame by frame: landmarks -> votes -> smoothed confidence -> reps.

Frames without a person, or where no body side shows the pack's joints clearly, do not
move the smoother or the counter: a half-visible body must not invent or erase a rep. The
smoother's clock is the time spent on usable frames, so votes do not age while the body is
hidden (as with MediaPipe's last-10-frames window), yet a second of votes is a second
whatever the frame rate.

A rep's tempo is timed on the body, not the votes: k-NN votes flip from one class to the
other in a moment whatever the pace. Its poses since the last rep (the key joints about
the hip centre, in torso lengths) are compared with the mean pose held in the counted
state: the rep left its top at the last pose before that within TOP_SHARE of its travel
of the farthest, and turned at the first pose after within TOP_SHARE of the held one; it
ended when the smoothed votes left the counted state, less the smoother's lag.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from edge.counting.classifier import VoteClassifier
from edge.counting.counter import RepCounter, Step
from edge.counting.events import RepEvent, RepQuality
from edge.counting.pack import ExercisePack
from edge.counting.smoothing import EmaSmoother
from edge.skeleton import BODY_INDEX, JOINT, MIDPOINTS

TEMPO_WINDOW_S = 20.0  # a rep's poses are kept this long back, to time it
TOP_SHARE = 0.1  # within this share of its travel, a pose is at the rep's top (or bottom)
_HIPS = np.array([JOINT[name] for name in MIDPOINTS["mid_hip"]])
_SHOULDERS = np.array([JOINT[name] for name in MIDPOINTS["neck"]])


def key_pose(landmarks: np.ndarray, joints: np.ndarray, min_visibility: float) -> np.ndarray | None:
    """(len(joints), 2): the joints about the hip centre in torso lengths, NaN where not
    visible; None without a torso. (Every frame: scalar steps, no fancy indexing.)"""
    hips = (landmarks[_HIPS[0], :2] + landmarks[_HIPS[1], :2]) * 0.5
    torso = hips - (landmarks[_SHOULDERS[0], :2] + landmarks[_SHOULDERS[1], :2]) * 0.5
    length = math.hypot(float(torso[0]), float(torso[1]))
    if not length > 1e-6:  # NaN too
        return None
    rows = landmarks[joints]
    pose = ((rows[:, :2] - hips) * (1.0 / length)).astype(np.float64)
    pose[~(rows[:, 3] >= min_visibility)] = np.nan
    return pose


def mean_pose(poses: np.ndarray) -> np.ndarray:
    """(N, J, 2) -> (J, 2): each joint's mean where it was seen (NaN: never)."""
    seen = np.isfinite(poses).all(axis=2)
    total = np.where(seen[..., None], poses, 0.0).sum(axis=0)
    count = seen.sum(axis=0)[:, None]
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def pose_distance(poses: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(N, J, 2) -> (N,): RMS over the joints seen in both of the distance to reference
    (NaN: none seen)."""
    gaps = np.linalg.norm(poses - reference, axis=-1)
    seen = np.isfinite(gaps)
    mean = np.where(seen, gaps**2, 0.0).sum(axis=-1) / np.maximum(seen.sum(axis=-1), 1)
    return np.where(seen.any(axis=-1), np.sqrt(mean), np.nan)


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
        # how long the smoothed votes lag the body: the smoother's mean vote age
        tau, window = spec.ema_tau_s, spec.ema_window_s
        self._lag_s = tau - window * math.exp(-window / tau) / (1 - math.exp(-window / tau))
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
        self._key = np.concatenate(self._sides)  # both sides' key joints
        self._poses: deque[tuple[float, np.ndarray]] = deque()  # since the last rep: tempo

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
        pose = key_pose(landmarks, self._key, self._spec.min_visibility)
        if pose is not None:
            self._poses.append((time_s, pose))
            while self._poses[0][0] < time_s - TEMPO_WINDOW_S:
                self._poses.popleft()
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
            left, turned, travel = self._tempo(start, turn)
            event = RepEvent(
                self.exercise, self.counter.count, time_s, start, time_s,
                min(1.0, depth / top_n), votes=depth, partial=step is Step.PARTIAL,
                **self.quality.measure(
                    travel, left, turned, max(turned, time_s - self._lag_s)
                ),
            )  # fmt: skip
            if not event.partial:
                self._rep_ends.append(time_s)
            while len(self._poses) > 1:  # the next rep's poses start where this one ends
                self._poses.popleft()
        if not self.counter.entered and self.confidence < self._spec.exit_threshold:
            self._rising_since = time_s
        return event

    def _tempo(self, start: float, entered: float) -> tuple[float, float, float | None]:
        """(when the rep left its top, when it turned, its travel from the top to the pose
        held, in torso lengths), from its poses (module docstring); (start, entered, None)
        where the poses do not tell."""
        times = np.array([t for t, _ in self._poses])
        held = times >= entered
        if len(times) < 3 or not held.any() or held.all():
            return start, entered, None
        poses = np.array([p for _, p in self._poses])
        distance = pose_distance(poses, mean_pose(poses[held]))
        first_held = int(np.flatnonzero(held)[0])
        before = distance[: first_held + 1]
        if not np.isfinite(before).any():
            return start, entered, None
        top = float(np.nanmax(before))
        bottom = float(np.nanmin(np.where(held, distance, np.nan)))
        near = TOP_SHARE * (top - bottom)
        left = int(np.flatnonzero(np.nan_to_num(before, nan=-np.inf) >= top - near)[-1])
        at_bottom = np.flatnonzero(np.nan_to_num(distance, nan=np.inf) <= bottom + near)
        turned = at_bottom[at_bottom > left]
        turn = float(times[turned[0] if turned.size else first_held])
        return float(times[left]), turn, top - bottom

    def interrupt(self) -> None:
        """The frames stop following on (a pause, a new source): no rep spans the gap; the
        counts stay."""
        self.smoother.reset()
        self.counter.interrupt()
        self.confidence = 0.0
        self._rising_since = self._last_time_s = self._turn_s = None
        self._poses.clear()

    def reset(self) -> None:
        self.smoother.reset()
        self.counter.reset()
        self.quality.reset()
        self._rising_since = self._turn_s = None
        self.confidence = self._winning_share = 0.0
        self._usable_s, self._last_time_s = 0.0, None
        self._frames = 0
        self._rep_ends.clear()
        self._poses.clear()
