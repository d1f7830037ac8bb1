"""Dance-genre features: segment angles and their motion, pooled per unit, windowed.

The AIST Dance DB baseline (Tsuchida et al., ISMIR 2019) describes each frame by body
features, pools them per unit of frames (mean and std) and feeds K consecutive units to an
LSTM or SVM. Here a frame is the (sin, cos) of 21 segments in the image plane plus their
first and second differences (126 dims); a unit is 252 dims; a window is (k, 252).

Only joints that BlazePose-33, COCO-17 (AIST++, the training data) and OpenPose BODY_25 all
have are used, so a model trained on AIST++ sees the same numbers from live BlazePose.
Angles ignore the person's size and place in the picture. Layout: docs/dance_features.md.

Batch (`frame_features`, `unit_features`, `windows`) and `StreamingFeatures` share every
arithmetic step (element-wise ops and a fixed-order sum), so they agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from edge.skeleton import JOINT, MIDPOINTS

# (from, to) joint names. The first 18 follow OpenPose BODY_25's limb list without the
# feet; the last 3 are cross-body pairs, as in MediaPipe's pose embedder, for the relative
# place of hands, knees and feet. "neck" and "mid_hip" are edge.skeleton's MIDPOINTS.
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("neck", "nose"), ("nose", "left_eye"), ("nose", "right_eye"),
    ("left_eye", "left_ear"), ("right_eye", "right_ear"),
    ("neck", "left_shoulder"), ("neck", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
    ("neck", "mid_hip"), ("mid_hip", "left_hip"), ("mid_hip", "right_hip"),
    ("left_hip", "left_knee"), ("right_hip", "right_knee"),
    ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
    ("left_wrist", "right_wrist"), ("left_knee", "right_knee"),
    ("left_ankle", "right_ankle"),
)  # fmt: skip

POSE_DIMS = 2 * len(SEGMENTS)  # 42: sin, cos of each segment, interleaved
FRAME_DIMS = 3 * POSE_DIMS  # 126: pose, velocity, acceleration
UNIT_DIMS = 2 * FRAME_DIMS  # 252: mean, then std, of the frame features over a unit
POSE, VELOCITY, ACCELERATION = slice(0, 42), slice(42, 84), slice(84, 126)
REFERENCE_FPS = 60.0  # differences are per 1/60 s: AIST++ and the AIST Dance DB rate
DEFAULT_UNIT_S = 1.0 / 3.0
# Bump when what this module computes changes (segments, layout, pooling): a dance model
# records the version it was trained on (edge/dance/metadata.py) and the edge refuses others.
FEATURE_VERSION = 1


def _index(name: str) -> tuple[int, int]:
    """Landmark indices whose mean is the joint (a real joint is its own midpoint)."""
    a, b = MIDPOINTS.get(name, (name, name))
    return JOINT[a], JOINT[b]


_FROM = np.array([_index(a) for a, _ in SEGMENTS])  # (21, 2)
_TO = np.array([_index(b) for _, b in SEGMENTS])


def frames_per_unit(fps: float, unit_s: float = DEFAULT_UNIT_S) -> int:
    """Unit length in frames: given in seconds so 30 fps live and 60 fps training agree."""
    return max(1, round(fps * unit_s))


def _rate(fps: float) -> np.float32:
    """Scale from per-frame to per-1/60 s differences, so rates other than 60 fps match."""
    return np.float32(fps / REFERENCE_FPS)


def _pose(landmarks: np.ndarray, min_visibility: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(T, 33, C) -> (T, 42) sin/cos and (T, 42) validity; invalid entries are 0.

    A segment is invalid when an end is NaN (the joint, or the whole frame, is missing),
    below `min_visibility`, or when both ends coincide (no direction). The paper gives
    missing joints 0; we keep the mask too so differences across a gap are 0, not a jump.
    """
    if landmarks.ndim != 3 or landmarks.shape[1] != len(JOINT) or landmarks.shape[2] < 2:
        raise ValueError(
            f"landmarks must be (T, 33, C>=2) or a (33, C) frame, got {landmarks.shape}"
        )
    xy = np.asarray(landmarks, np.float64)[..., :2]
    if min_visibility is not None and landmarks.shape[-1] >= 4:
        xy = np.where((landmarks[..., 3:4] >= min_visibility), xy, np.nan)
    start = (xy[:, _FROM[:, 0]] + xy[:, _FROM[:, 1]]) / 2.0  # (T, 21, 2)
    delta = (xy[:, _TO[:, 0]] + xy[:, _TO[:, 1]]) / 2.0 - start
    length = np.sqrt(delta[..., 0] * delta[..., 0] + delta[..., 1] * delta[..., 1])
    ok = np.isfinite(length) & (length > 0)
    safe = np.where(ok, length, 1.0)[..., None]
    sin_cos = np.where(ok[..., None], delta[..., ::-1] / safe, 0.0)  # (dy, dx) / length
    return sin_cos.reshape(len(xy), POSE_DIMS).astype(np.float32), np.repeat(ok, 2, axis=1)


def _step(
    cur: np.ndarray, cur_ok: np.ndarray, prev: np.ndarray, prev_ok: np.ndarray, rate: np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """One difference, element-wise: 0 wherever either side is missing."""
    ok = cur_ok & prev_ok
    return np.where(ok, (cur - prev) * rate, np.float32(0)), ok


def _previous(x: np.ndarray) -> np.ndarray:
    """Row t holds row t-1; row 0 is 0 / False (a stream has nothing before its start)."""
    return np.concatenate([np.zeros_like(x[:1]), x[:-1]])


def _motion(pose: np.ndarray, ok: np.ndarray, rate: np.float32) -> np.ndarray:
    """(T, 42) pose -> (T, 126) with velocity and acceleration appended."""
    vel, vel_ok = _step(pose, ok, _previous(pose), _previous(ok), rate)
    acc, _ = _step(vel, vel_ok, _previous(vel), _previous(vel_ok), rate)
    return np.hstack([pose, vel, acc])


def frame_features(
    landmarks: np.ndarray, fps: float = REFERENCE_FPS, min_visibility: float | None = None
) -> np.ndarray:
    """(T, 33, C) BlazePose-layout keypoints -> (T, 126) float32 frame features.

    `fps` only scales the differences to per 1/60 s (a no-op for AIST++'s 60 fps), so a
    30 fps camera gives velocities of the size the classifier was trained on.
    `min_visibility` (ignored without a 4th column) treats less visible joints as missing.
    """
    pose, ok = _pose(np.asarray(landmarks), min_visibility)
    return _motion(pose, ok, _rate(fps))


def _unit_stats(block: np.ndarray) -> np.ndarray:
    """(U, n, D) -> (U, 2D) mean and population std, summed frame by frame in order.

    numpy's own reductions may sum pairwise or in SIMD lanes depending on the shape; a
    fixed order makes one unit give the same bits alone (streaming) or in a batch.
    """
    n = block.shape[1]
    total = block[:, 0].copy()
    for j in range(1, n):
        total += block[:, j]
    mean = total / np.float32(n)
    square = np.zeros_like(mean)
    for j in range(n):
        dev = block[:, j] - mean
        square += dev * dev
    return np.hstack([mean, np.sqrt(square / np.float32(n))])


def unit_features(frame_feats: np.ndarray, frames_per_unit: int) -> np.ndarray:
    """(T, 126) -> (T // n, 252): mean and std over consecutive units; a short tail is dropped."""
    if frames_per_unit < 1:
        raise ValueError(f"frames_per_unit must be >= 1, got {frames_per_unit}")
    feats = np.asarray(frame_feats, np.float32)
    count = len(feats) // frames_per_unit
    block = feats[: count * frames_per_unit].reshape(count, frames_per_unit, feats.shape[1])
    return _unit_stats(block)


def windows(units: np.ndarray, k: int) -> np.ndarray:
    """(U, 252) -> (U - k + 1, k, 252): k consecutive units, sliding by one (LSTM input)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    units = np.asarray(units, np.float32)
    if len(units) < k:
        return np.zeros((0, k, units.shape[-1]), np.float32)
    return np.stack([units[i : i + k] for i in range(len(units) - k + 1)])


def motion_energy(window: np.ndarray) -> np.ndarray:
    """RMS segment velocity (per 1/60 s) of (..., k, 252) windows -> (...) float32.

    Per unit, sqrt(mean^2 + std^2) of a velocity dim is exactly its RMS over the unit's
    frames, so no frame data is needed. Standing still (or nobody there) gives ~0: a
    threshold on it lets the live classifier say "not dancing" instead of guessing a genre.
    """
    window = np.asarray(window, np.float32)
    mean, std = window[..., VELOCITY], window[..., FRAME_DIMS:][..., VELOCITY]
    return np.sqrt(mean * mean + std * std).mean(axis=(-2, -1))


class StreamingFeatures:
    """Frame-by-frame windows for the live classifier, equal to the batch functions' output.

    Holds the previous pose and velocity, the current unit's frames and a ring of the last
    k units: constant memory, ~30 µs a frame on a desktop CPU (numpy overhead, mostly).
    unit_s and k come from the dance model's metadata (the window it was trained on).
    """

    def __init__(
        self,
        fps: float,
        unit_s: float,
        k: int,
        min_visibility: float | None = None,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.fps, self.k, self.min_visibility = float(fps), int(k), min_visibility
        self.frames_per_unit = frames_per_unit(fps, unit_s)
        self._rate = _rate(fps)
        self._frames = np.zeros((self.frames_per_unit, FRAME_DIMS), np.float32)
        self._units = np.zeros((self.k, UNIT_DIMS), np.float32)
        self.reset()

    def reset(self) -> None:
        """Start a new stream (new person, camera restart): nothing before counts."""
        self._pose = self._vel = np.zeros((1, POSE_DIMS), np.float32)  # never written into
        self._pose_ok = self._vel_ok = np.zeros((1, POSE_DIMS), bool)
        self._filled = self._head = self._unit_count = 0

    def push(self, landmarks: np.ndarray | None) -> np.ndarray | None:
        """Add one frame ((33, C), or None when nobody was found); a (k, 252) window or None."""
        if landmarks is None:
            landmarks = np.full((len(JOINT), 2), np.nan, np.float32)
        pose, ok = _pose(np.asarray(landmarks)[None], self.min_visibility)
        vel, vel_ok = _step(pose, ok, self._pose, self._pose_ok, self._rate)
        acc, _ = _step(vel, vel_ok, self._vel, self._vel_ok, self._rate)
        self._pose, self._pose_ok, self._vel, self._vel_ok = pose, ok, vel, vel_ok
        self._frames[self._filled] = np.hstack([pose, vel, acc])[0]
        self._filled += 1
        if self._filled < self.frames_per_unit:
            return None
        self._filled = 0
        self._units[self._head] = _unit_stats(self._frames[None])[0]
        self._head = (self._head + 1) % self.k
        self._unit_count += 1
        if self._unit_count < self.k:
            return None
        return np.roll(self._units, -self._head, axis=0)  # oldest unit first; a copy
