"""One vector per moment of the body's pose, on a fixed-rate time grid: what pack-free
counting (edge/counting/periodic.py) looks for repetition in.

The 12 body joints (shoulders, elbows, wrists, hips, knees, ankles), x and y about the hip
centre in torso lengths, plus how far the hip centre has moved (hops and jumps move the
whole body): each frame's step over that frame's torso length, summed. Not the centre's
place in torso lengths: measured from the image's corner, that moves whenever the torso
length (a running median) changes, by as much as the person is far from the corner, so
where someone stands would change their count (a close-up whose torso length jumps when
its hips come into view counted 4 alone and 2 in the right third of a wide frame). A
joint that is not visible keeps its last place, so a limb that leaves the frame adds no
motion; with the hips out of view the centre follows the shoulders. Frames are resampled
onto RATE_HZ by linear interpolation, so 15, 30 and 60 fps, and dropped frames, all look
the same to what follows.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from edge.skeleton import BODY_INDEX, JOINT, MIDPOINTS, MIN_VISIBILITY

RATE_HZ = 30.0
MAX_GAP_S = 1.5  # nobody for longer than this: the stream breaks, the movement starts over
MIN_JOINTS = 4  # fewer visible body joints: no vector for that frame

SIZE = 2 * len(BODY_INDEX) + 2
_HIPS = np.array([JOINT[name] for name in MIDPOINTS["mid_hip"]])
_SHOULDERS = np.array([JOINT[name] for name in MIDPOINTS["neck"]])

BREAK = float("nan")  # the time of the marker sample PoseSampler.push emits at a break


class PoseSampler:
    """Landmarks (33, >=3) per frame -> (time, pose vector) samples every 1/rate_hz s."""

    def __init__(self, rate_hz: float = RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self.reset()

    def reset(self) -> None:
        self._last_t: float | None = None
        self._last_vec: np.ndarray | None = None
        self._next_grid = 0.0
        self._joints = np.zeros((len(BODY_INDEX), 2))  # last seen, torso units about hips
        self._scales: deque[float] = deque(maxlen=90)  # recent torso lengths, pixels
        self._torso_seen = False
        self._hip_offset = np.zeros(2)  # shoulder centre -> hip centre, torso units
        self._recent: deque[tuple[float, np.ndarray]] = deque()  # frames of the last grid step
        self._centre: np.ndarray | None = None  # pixels: the hip centre last seen
        self._travel = np.zeros(2)  # torso lengths: the hip centre's steps, summed

    def vector(self, landmarks: np.ndarray) -> np.ndarray | None:
        """The frame's pose vector (SIZE,), or None when too little of the body is seen."""
        points = np.asarray(landmarks, np.float64)
        xy = points[:, :2]
        visible = np.isfinite(xy).all(axis=1)
        if points.shape[1] >= 4:
            visible &= np.nan_to_num(points[:, 3], nan=0.0) >= MIN_VISIBILITY
        hips, shoulders = bool(visible[_HIPS].all()), bool(visible[_SHOULDERS].all())
        if hips and shoulders:  # the scale: torso length; shoulder width until one is seen
            torso = float(np.linalg.norm(xy[_HIPS].mean(0) - xy[_SHOULDERS].mean(0)))
            if torso > 1e-6:
                if not self._torso_seen:
                    self._scales.clear()
                self._torso_seen = True
                self._scales.append(torso)
        elif shoulders and not self._torso_seen:
            width = float(np.linalg.norm(xy[_SHOULDERS[0]] - xy[_SHOULDERS[1]]))
            if width > 1e-6:
                self._scales.append(width)
        body = visible[BODY_INDEX]
        if not self._scales or not (hips or shoulders) or body.sum() < MIN_JOINTS:
            return None
        scale = float(np.median(self._scales))
        if hips:
            centre = xy[_HIPS].mean(0)
            if shoulders:
                self._hip_offset = (centre - xy[_SHOULDERS].mean(0)) / scale
        else:
            centre = xy[_SHOULDERS].mean(0) + self._hip_offset * scale
        self._joints[body] = (xy[BODY_INDEX][body] - centre) / scale
        if self._centre is not None:
            self._travel = self._travel + (centre - self._centre) / scale
        self._centre = centre
        return np.concatenate([self._joints.ravel(), self._travel])

    def push(self, landmarks: np.ndarray | None, time_s: float) -> list[tuple[float, np.ndarray]]:
        """Feed one frame; the grid samples it completes, oldest first (maybe none). After a
        gap longer than MAX_GAP_S the first sample's time is BREAK (NaN): start over."""
        if self._last_t is not None and time_s <= self._last_t:
            return []  # a repeated or out-of-order timestamp
        vec = None if landmarks is None else self.vector(landmarks)
        if vec is None:
            return []
        # frames faster than the grid are averaged over one grid step first (no aliasing of
        # the estimator's jitter); at or below the grid's rate this is the frame itself
        step = 1.0 / self.rate_hz
        self._recent.append((time_s, vec))
        while self._recent[0][0] <= time_s - step:
            self._recent.popleft()
        vec = np.mean([v for _, v in self._recent], axis=0)
        out: list[tuple[float, np.ndarray]] = []
        last_t, last_vec = self._last_t, self._last_vec
        if last_t is None or last_vec is None or time_s - last_t > MAX_GAP_S:
            if last_t is not None:
                out.append((BREAK, vec))
            self._next_grid, last_t, last_vec = time_s, None, None
            self._recent = deque([(time_s, vec)])
        while self._next_grid <= time_s + 1e-9:
            if last_t is None or last_vec is None:
                sample = vec
            else:
                w = (self._next_grid - last_t) / (time_s - last_t)
                sample = last_vec + float(np.clip(w, 0.0, 1.0)) * (vec - last_vec)
            out.append((self._next_grid, sample))
            self._next_grid += step
        self._last_t, self._last_vec = time_s, vec
        return out
