"""Follow-the-teacher features: per frame, each joint's height above the hips and how sure
the pose model is of it.

The routine recorder (edge/follow/routine.py), the live follower (edge/follow/align.py) and
the bench all take their features from here. Only heights are used: a joint's image y less
the hip centre's, in units of the body's torso length. Any camera at about the teacher's
height sees the same heights whatever its direction (in front, beside, behind), while image
x changes with the direction (a camera behind sees x flipped with left and right still
left and right). The torso length is the clip's longest typical one (a high percentile over
frames, see `torso_length`), not each frame's: a torso pointing at the camera (a dancer bent
forward or on the floor) is short in the image without the body shrinking, and a camera the
dancer bends towards for much of a clip sees it short on most frames (AIST ch10: medians of
35-53 px from three cameras against 97-150 px from the other six), so even the median
undersizes the body there and inflates every height; a projection only ever shortens the
torso, so its longer views are the truer ones.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from edge.skeleton import JOINT, MIRROR

# part -> the joints whose heights it is judged by (a limb: its distal joints, so a frozen
# arm is that arm's fault; the torso: the shoulders and the head).
PART_JOINTS: Final[dict[str, tuple[str, ...]]] = {
    "left_arm": ("left_elbow", "left_wrist"),
    "right_arm": ("right_elbow", "right_wrist"),
    "left_leg": ("left_knee", "left_ankle"),
    "right_leg": ("right_knee", "right_ankle"),
    "torso": ("left_shoulder", "right_shoulder", "nose"),
}
PARTS: Final[tuple[str, ...]] = tuple(PART_JOINTS)
JOINTS: Final[tuple[str, ...]] = tuple(j for joints in PART_JOINTS.values() for j in joints)
# part -> the joint its joints' heights are taken relative to when judging its own motion
# (None: the hip centre, which the heights already are relative to).
PART_ROOTS: Final[dict[str, str | None]] = {
    "left_arm": "left_shoulder", "right_arm": "right_shoulder", "left_leg": None,
    "right_leg": None, "torso": None,
}  # fmt: skip
# A feature row: the JOINTS' heights, then their confidences (0 where not seen).
FEATURE_SIZE: Final[int] = 2 * len(JOINTS)
HEIGHTS: Final = slice(0, len(JOINTS))
CONFIDENCES: Final = slice(len(JOINTS), FEATURE_SIZE)
# Each part's columns among the heights (the same among the confidences, shifted).
PART_COLUMNS: Final[dict[str, np.ndarray]] = {
    part: np.array([JOINTS.index(j) for j in joints]) for part, joints in PART_JOINTS.items()
}
# Each part's root column among the heights (-1: none).
PART_ROOT_COLUMNS: Final[dict[str, int]] = {
    part: -1 if root is None else JOINTS.index(root) for part, root in PART_ROOTS.items()
}
MIN_TORSO_PX: Final = 1e-3  # below this the body has no size
TORSO_PERCENTILE: Final = 90.0  # a clip's torso length: this percentile of its frames' lengths
_INDEX = np.array([JOINT[j] for j in JOINTS])
_HIPS = np.array([JOINT["left_hip"], JOINT["right_hip"]])
_SHOULDERS = np.array([JOINT["left_shoulder"], JOINT["right_shoulder"]])


def torso_px(landmarks: np.ndarray) -> np.ndarray:
    """(T, 33, >=2) or (33, >=2) -> (T,) or (): the shoulder centre to hip centre distance in
    pixels on each frame, NaN where not seen."""
    xy = np.asarray(landmarks, np.float64)[..., :2]
    length = np.linalg.norm(
        xy[..., _SHOULDERS, :].mean(axis=-2) - xy[..., _HIPS, :].mean(axis=-2), axis=-1
    )
    return np.where(length > MIN_TORSO_PX, length, np.nan)


def torso_length(lengths: np.ndarray) -> float:
    """The torso length of frames' torso_px: their TORSO_PERCENTILE (NaN: none seen)."""
    lengths = np.asarray(lengths, np.float64)
    seen = lengths[np.isfinite(lengths)]
    return float(np.percentile(seen, TORSO_PERCENTILE)) if len(seen) else float("nan")


def follow_features(landmarks: np.ndarray, torso: float, mirror: bool = False) -> np.ndarray:
    """(T, 33, >=2) or (33, >=2) landmarks in pixels (a 4th column: the model's confidence)
    -> (T, FEATURE_SIZE) or (FEATURE_SIZE,) float32: heights above the hip centre in torso
    lengths (`torso`, pixels) and confidences; a joint not seen has NaN height and confidence
    0. mirror: left and right swapped, for a student who mirrors the teacher."""
    points = np.asarray(landmarks, np.float64)
    if mirror:
        points = points[..., list(MIRROR), :]
    hip_y = points[..., _HIPS, 1].mean(axis=-1)
    heights = (hip_y[..., None] - points[..., _INDEX, 1]) / torso  # image y points down
    if points.shape[-1] >= 4:
        confidence = np.clip(np.nan_to_num(points[..., _INDEX, 3]), 0.0, 1.0)
    else:
        confidence = np.ones(heights.shape)
    confidence = np.where(np.isfinite(heights), confidence, 0.0)
    return np.concatenate([heights, confidence], axis=-1).astype(np.float32)
