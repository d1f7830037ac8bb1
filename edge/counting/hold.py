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
from edge.counting.tracker import RepTracker, key_pose, mean_pose, pose_distance

REFERENCE_S = 0.5  # the held pose: the mean of the hold's first half second
MAX_GAP_S = 1.0  # nobody usable for longer: the hold ended at its last frame


class HoldTracker(RepTracker):
    def __init__(self, pack: ExercisePack, classifier: VoteClassifier) -> None:
        if pack.spec.hold is None:
            raise ValueError(f"pack {pack.name!r} declares no hold")
        super().__init__(pack, classifier)
        self.hold = pack.spec.hold
        self.armed = False  # frames are ignored until armed: while it is the exercise counted
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
        pose = self._pose(landmarks, time_s)
        if self._start_s is not None and not (self.counter.entered and self._within(pose)):
            self._close(time_s)
        if self._start_s is None and self.counter.entered and pose is not None:
            self._start_s = self._last_s = time_s
        if self._start_s is None:
            return None
        self._last_s = time_s
        if pose is not None and time_s - self._start_s <= REFERENCE_S:
            self._held_poses.append(pose)
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

    def _pose(self, landmarks: np.ndarray, time_s: float) -> np.ndarray | None:
        """The frame's key-joint pose: the one RepTracker.update kept for its tempo."""
        if self._poses and self._poses[-1][0] == time_s:
            return self._poses[-1][1]
        return key_pose(landmarks, self._key, self._spec.min_visibility)

    def _within(self, pose: np.ndarray | None) -> bool:
        """The pose is within tolerance of the held one (unknown, or still being taken: it is)."""
        start = self._start_s
        if pose is None or start is None or self._last_s - start <= REFERENCE_S:
            return True
        if self._reference is None:  # the mean of the first REFERENCE_S, joint by joint
            if not self._held_poses:
                return True
            self._reference = mean_pose(np.array(self._held_poses))
        distance = float(pose_distance(pose, self._reference))
        return not math.isfinite(distance) or distance <= self.hold.tolerance

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
        self._held_poses: list[np.ndarray] = []
        self._reference: np.ndarray | None = None


def make_tracker(pack: ExercisePack, classifier: VoteClassifier) -> RepTracker:
    """The tracker a pack is counted by: a HoldTracker for a hold pack, else a RepTracker."""
    if pack.spec.hold is not None:
        return HoldTracker(pack, classifier)
    return RepTracker(pack, classifier)
