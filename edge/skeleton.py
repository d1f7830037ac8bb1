"""The skeleton's facts, declared here only: joint names, the body joints, midpoints, the
visibility a joint needs to count as seen, the mirror image, bones, and the mapping between
skeleton layouts.

Everything downstream (embedding, dance features, counting, overlays) works on the
BlazePose-33 layout. COCO-17 (AIST++) and OpenPose BODY_25 keypoints are mapped into that
layout with NaN for the joints they lack, so a feature defined on the joints all three share
gives the same numbers whichever model produced the keypoints.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# MediaPipe pose_landmark_cpu.pbtxt, landmark order.
BLAZEPOSE_33: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
    "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

# COCO keypoint order (AIST++ keypoints2d uses it).
COCO_17: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

# OpenPose BODY_25 order, named in BlazePose's words where the joint is the same one.
# "neck" and "mid_hip" have no BlazePose landmark (derive them: see `neck`, `mid_hip`).
BODY_25: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
    "left_elbow", "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear",
    "left_foot_index", "left_small_toe", "left_heel", "right_foot_index", "right_small_toe",
    "right_heel",
)  # fmt: skip

LAYOUTS: dict[str, tuple[str, ...]] = {
    "blazepose33": BLAZEPOSE_33,
    "coco17": COCO_17,
    "body25": BODY_25,
}

JOINT = {name: i for i, name in enumerate(BLAZEPOSE_33)}
NUM_LANDMARKS = len(BLAZEPOSE_33)  # 33: every track, result and file holds this many

# The body's joint families, each a left and a right joint: the 12 body joints, family by
# family, left first. Counting (embedding, pose vector, visibility check) uses these only.
BODY_FAMILIES: tuple[str, ...] = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
BODY_JOINTS: tuple[str, ...] = tuple(
    f"{side}_{family}" for family in BODY_FAMILIES for side in ("left", "right")
)
BODY_INDEX = np.array([JOINT[name] for name in BODY_JOINTS])  # their landmark indices

# Derived joints: the mean of two landmarks (OpenPose has them; BlazePose does not).
MIDPOINTS: dict[str, tuple[str, str]] = {
    "neck": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
}

# The same pose seen in a mirror: MIRROR[i] is the landmark index of joint i's other side.
MIRROR: tuple[int, ...] = tuple(
    JOINT[name.replace("left", "@").replace("right", "left").replace("@", "right")]
    for name in BLAZEPOSE_33
)

# A landmark is taken as seen when its visibility is at least this (MediaPipe's own cut-off
# for drawing a landmark).
MIN_VISIBILITY = 0.5

# Bones drawn on overlays (BlazePose topology, body only).
BONES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_hip", "right_hip"), ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"),
    ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"), ("nose", "left_eye"),
    ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)  # fmt: skip


def to_blazepose(points: np.ndarray, layout: str) -> np.ndarray:
    """Map (..., J, C) keypoints of `layout` onto (..., 33, C); joints it lacks are NaN."""
    names = LAYOUTS.get(layout)
    if names is None:
        raise ValueError(f"unknown skeleton layout {layout!r}; use one of {sorted(LAYOUTS)}")
    if points.shape[-2] != len(names):
        raise ValueError(
            f"{layout} keypoints need {len(names)} joints, got array of shape {points.shape}"
        )
    out = np.full((*points.shape[:-2], len(BLAZEPOSE_33), points.shape[-1]), np.nan, np.float32)
    for src, name in enumerate(names):
        dst = JOINT.get(name)
        if dst is not None:
            out[..., dst, :] = points[..., src, :]
    return out


def midpoint(landmarks: Any, a: str, b: str) -> Any:
    """Mean of two named joints over the last-but-one axis (works on (33, C) and (T, 33, C),
    numpy or TensorFlow's numpy arrays alike)."""
    return (landmarks[..., JOINT[a], :] + landmarks[..., JOINT[b], :]) / 2.0


def mid_hip(landmarks: np.ndarray) -> np.ndarray:
    """The hip centre (OpenPose's mid_hip)."""
    a, b = MIDPOINTS["mid_hip"]  # not *-unpacked: autograph (TFLite export) loses *args
    return midpoint(landmarks, a, b)


def neck(landmarks: np.ndarray) -> np.ndarray:
    """OpenPose's neck is the shoulder midpoint; BlazePose has none, so derive it."""
    a, b = MIDPOINTS["neck"]  # not *-unpacked: autograph (TFLite export) loses *args
    return midpoint(landmarks, a, b)


def torso_length(landmarks: np.ndarray) -> np.ndarray:
    """Shoulder-midpoint to hip-midpoint distance in the x, y plane."""
    return np.linalg.norm(neck(landmarks)[..., :2] - mid_hip(landmarks)[..., :2], axis=-1)
