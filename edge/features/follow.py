"""Follow-the-teacher features: per frame, body-centred and size-normalised, per body part.

The routine recorder (edge/follow/routine.py), the live follower (edge/follow/align.py) and
the bench all take their features from here. Each part is a few 2-D vectors in units of the
torso's length: a limb's joints relative to its root joint (so a frozen arm is that arm's
fault alone), the torso's lean and the head relative to the shoulders. Image y points down;
the units make a teacher far from the camera and a student near it comparable.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from edge.skeleton import JOINT, MIRROR

# part -> (joint, relative to) pairs; "mid_shoulder" / "mid_hip" are the midpoints.
PART_VECTORS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "left_arm": (("left_elbow", "left_shoulder"), ("left_wrist", "left_shoulder")),
    "right_arm": (("right_elbow", "right_shoulder"), ("right_wrist", "right_shoulder")),
    "left_leg": (("left_knee", "left_hip"), ("left_ankle", "left_hip")),
    "right_leg": (("right_knee", "right_hip"), ("right_ankle", "right_hip")),
    "torso": (("mid_shoulder", "mid_hip"), ("nose", "mid_shoulder"), ("right_hip", "left_hip")),
}
PARTS: Final[tuple[str, ...]] = tuple(PART_VECTORS)
# Each part's columns in a feature row.
PART_SLICES: Final[dict[str, slice]] = {}
_start = 0
for _part, _vectors in PART_VECTORS.items():
    PART_SLICES[_part] = slice(_start, _start + 2 * len(_vectors))
    _start += 2 * len(_vectors)
FEATURE_SIZE: Final[int] = _start
MIN_TORSO_PX: Final = 1e-3  # below this the body has no size: the frame has no features


def _points(xy: np.ndarray) -> dict[str, np.ndarray]:
    """(..., 33, 2) -> the named points the vectors use, midpoints included."""

    def at(name: str) -> np.ndarray:
        return xy[..., JOINT[name], :]

    points = {name: at(name) for pairs in PART_VECTORS.values() for pair in pairs
              for name in pair if name in JOINT}  # fmt: skip
    points["mid_shoulder"] = (at("left_shoulder") + at("right_shoulder")) / 2
    points["mid_hip"] = (at("left_hip") + at("right_hip")) / 2
    return points


def follow_features(landmarks: np.ndarray, mirror: bool = False) -> np.ndarray:
    """(T, 33, >=2) or (33, >=2) landmarks in pixels -> (T, FEATURE_SIZE) or (FEATURE_SIZE,)
    float32; NaN where a joint or the torso was not seen. mirror: the pose as seen in a
    mirror (left and right swapped, x flipped), for a student who mirrors the teacher."""
    xy = np.asarray(landmarks, np.float64)[..., :2]
    if mirror:
        xy = xy[..., list(MIRROR), :] * np.array([-1.0, 1.0])
    points = _points(xy)
    torso = np.linalg.norm(points["mid_shoulder"] - points["mid_hip"], axis=-1)
    scale = np.where(torso > MIN_TORSO_PX, torso, np.nan)[..., None]
    columns = [
        (points[joint] - points[root]) / scale
        for vectors in PART_VECTORS.values() for joint, root in vectors
    ]  # fmt: skip
    return np.concatenate(columns, axis=-1).astype(np.float32)
