"""Draw a skeleton on a frame, for --overlay videos and for eyeballing a result."""

from __future__ import annotations

import cv2
import numpy as np

from edge.skeleton import BONES, JOINT

MIN_VISIBILITY = 0.5
BONE_COLOR = (80, 220, 80)  # BGR
JOINT_COLOR = (40, 40, 240)


def draw_skeleton(image: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
    """Draw bones and joints whose visibility passes MIN_VISIBILITY; returns `image`."""
    if landmarks is None or not np.isfinite(landmarks[:, :2]).any():
        return image
    thickness = max(2, round(min(image.shape[:2]) / 240))
    shown = np.isfinite(landmarks[:, 0]) & (np.nan_to_num(landmarks[:, 3]) >= MIN_VISIBILITY)
    points = np.nan_to_num(landmarks[:, :2]).round().astype(int)
    for a, b in BONES:
        ia, ib = JOINT[a], JOINT[b]
        if shown[ia] and shown[ib]:
            cv2.line(image, tuple(points[ia]), tuple(points[ib]), BONE_COLOR, thickness)
    for i in np.flatnonzero(shown):
        cv2.circle(image, tuple(points[i]), thickness + 1, JOINT_COLOR, -1)
    return image
