"""Timed holds (plank, wall sit): the seconds a hold pack's pose is kept, published like reps.

A pack that declares `hold` (edge/counting/pack.py HoldSpec) is counted by a HoldTracker:
the same votes, smoothing and thresholds as a rep pack's RepTracker, but what is counted is
time in the pack's count_class. A hold starts on the frame the pose is entered; it lasts
while the pose is not left and the pack's key joints (both sides' `visible_joints`, about
the hip centre, in torso lengths) stay within `tolerance` RMS of their mean over the hold's
first REFERENCE_S; nobody usable for longer than MAX_GAP_S ends it at the last frame held.
Once it has lasted `min_s` it is numbered and a HoldEvent goes out at every whole second,
and one more (`ended`) when it ends with its exact length. A hold pack counts no reps, so
`auto` never picks one: a hold is counted when its exercise is named.
"""

from __future__ import annotations

import math

import numpy as np

from edge.counting.classifier import VoteClassifier
from edge.counting.events import HoldEvent
from edge.counting.pack import ExercisePack
from edge.counting.tracker import RepTracker
from edge.skeleton import JOINT, MIDPOINTS

REFERENCE_S = 0.5  # the held pose: the mean of the hold's first half second
MAX_GAP_S = 1.0  # nobody usable for longer: the hold ended at its last frame
_HIPS = np.array([JOINT[name] for name in MIDPOINTS["mid_hip"]])
_SHOULDERS = np.array([JOINT[name] for name in MIDPOINTS["neck"]])


class HoldTracker(RepTracker):
    def __init__(self, pack: ExercisePack, classifier: VoteClassifier) -> None:
        if pack.spec.hold is None:
            raise ValueError(f"pack {pack.name!r} declares no hold")
        super().__init__(pack, classifier)
        self.hold = pack.spec.hold
        self.armed = True  # False: frames are ignored (the session counts something else)
        self._joints = np.array([JOINT[f"{side}_{family}"] for family in pack.spec.visible_joints
                                 for side in ("left", "right")])  # fmt: skip
        self.number = 0
        self._events: list[HoldEvent] = []
        self._end_hold()

    @property
    def count(self) -> int:
        return 0  # no reps: `auto` never chooses a hold

    @property
    def partial(self) -> int:
        return 0

    @property
    def holding(self) -> bool:
        """A hold that has lasted min_s is under way."""
        return self._published

    def update(self, landmarks: np.ndarray | None, time_s: float) -> None:
        """Feed one frame; its HoldEvents wait in `take()`."""
        if not self.armed:
            return None
        if not self.usable(landmarks):
            if self._start_s is not None and time_s - self._last_s > MAX_GAP_S:
                self._close(time_s)
            self._last_time_s = time_s
            return None
        assert landmarks is not None
        super().update(landmarks, time_s)  # votes -> confidence -> in the pose or not
        pose = self._pose(landmarks)
        if self._start_s is not None and not (self.counter.entered and self._within(pose)):
            self._close(time_s)
        if self._start_s is None and self.counter.entered and pose is not None:
            self._start_s = self._last_s = time_s
        if self._start_s is None:
            return None
        self._last_s = time_s
        if pose is not None and time_s - self._start_s <= REFERENCE_S:
            self._poses.append(pose)
        held = time_s - self._start_s
        if held >= self.hold.min_s and math.floor(held) > self._seconds:
            if not self._published:
                self.number += 1
                self._published = True
            self._seconds = math.floor(held)
            self._emit(time_s, ended=False)
        return None

    def take(self) -> list[HoldEvent]:
        """The HoldEvents since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def finish(self, time_s: float) -> None:
        """The stream has ended (or pauses): the hold under way ends at its last frame."""
        if self._start_s is not None:
            self._close(time_s)

    def interrupt(self) -> None:
        self.finish(self._last_time_s if self._last_time_s is not None else self._last_s)
        super().interrupt()

    def reset(self) -> None:
        super().reset()
        self.number = 0
        self._events = []
        self._end_hold()

    def _pose(self, landmarks: np.ndarray) -> np.ndarray | None:
        """The key joints about the hip centre in torso lengths; NaN where not visible."""
        xy = np.asarray(landmarks[:, :2], np.float64)
        hips, shoulders = xy[_HIPS].mean(0), xy[_SHOULDERS].mean(0)
        torso = float(np.linalg.norm(hips - shoulders))
        if not (math.isfinite(torso) and torso > 1e-6):
            return None
        pose = (xy[self._joints] - hips) / torso
        visibility = np.nan_to_num(landmarks[self._joints, 3], nan=0.0)
        pose[visibility < self._spec.min_visibility] = np.nan
        return pose

    def _within(self, pose: np.ndarray | None) -> bool:
        """The pose is within tolerance of the held one (unknown, or still being taken: it is)."""
        start = self._start_s
        if pose is None or start is None or self._last_s - start <= REFERENCE_S:
            return True
        if self._reference is None:  # the mean of the first REFERENCE_S, joint by joint
            poses = np.array(self._poses)
            seen = np.isfinite(poses).all(axis=2)
            total = np.where(seen[..., None], poses, 0.0).sum(axis=0)
            count = seen.sum(axis=0)[:, None]
            self._reference = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        distances = np.linalg.norm(pose - self._reference, axis=1)
        distances = distances[np.isfinite(distances)]
        return not distances.size or float(np.sqrt(np.mean(distances**2))) <= self.hold.tolerance

    def _close(self, time_s: float) -> None:
        if self._published:
            self._seconds = math.floor(self._last_s - (self._start_s or 0.0))
            self._emit(time_s, ended=True)
        self._end_hold()

    def _emit(self, time_s: float, ended: bool) -> None:
        start = self._start_s if self._start_s is not None else self._last_s
        self._events.append(HoldEvent(
            self.exercise, self.number, self._seconds, self._last_s - start, start,
            self._last_s, time_s, ended,
        ))  # fmt: skip

    def _end_hold(self) -> None:
        self._start_s: float | None = None
        self._last_s = 0.0
        self._seconds = 0
        self._published = False
        self._poses: list[np.ndarray] = []
        self._reference: np.ndarray | None = None


def make_tracker(pack: ExercisePack, classifier: VoteClassifier) -> RepTracker:
    """The tracker a pack is counted by: a HoldTracker for a hold pack, else a RepTracker."""
    if pack.spec.hold is not None:
        return HoldTracker(pack, classifier)
    return RepTracker(pack, classifier)
