"""Regions of interest: the rotated square the landmark model looks at, and the crop.

Everything is in image pixels. MediaPipe works in normalised coordinates but converts to
pixels for every step that matters (alignment, square_long, smoothing), so pixels give the
same numbers with fewer conversions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Roi:
    """A rotated rectangle: centre and size in pixels, rotation in radians (y down)."""

    center_x: float
    center_y: float
    width: float
    height: float
    rotation: float


def normalize_radians(angle: float) -> float:
    """Wrap to [-pi, pi), as MediaPipe's NormalizeRadians does."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def alignment_roi(start: np.ndarray, end: np.ndarray, target_angle_deg: float = 90.0) -> Roi:
    """Square ROI centred on `start`, side 2*|end-start|, rotated so start->end points up.

    AlignmentPointsRectsCalculator with rotation_vector_start_keypoint_index 0,
    end 1, rotation_vector_target_angle_degrees 90 (pose_detection_to_roi.pbtxt,
    pose_landmarks_to_roi.pbtxt): start = hip centre, end = the point encoding body
    size and rotation.
    """
    x0, y0 = float(start[0]), float(start[1])
    x1, y1 = float(end[0]), float(end[1])
    box_size = 2.0 * math.hypot(x1 - x0, y1 - y0)
    rotation = normalize_radians(math.radians(target_angle_deg) - math.atan2(-(y1 - y0), x1 - x0))
    return Roi(x0, y0, box_size, box_size, rotation)


def scaled_square(roi: Roi, scale: float = 1.25) -> Roi:
    """RectTransformationCalculator with square_long: true and scale_x = scale_y = 1.25.

    The 1.25 margin is the one the landmark model was trained with (pose_detection_to_roi
    and pose_landmarks_to_roi in MediaPipe 0.10).
    """
    side = max(roi.width, roi.height) * scale
    return Roi(roi.center_x, roi.center_y, side, side, roi.rotation)


def crop(image: np.ndarray, roi: Roi, size: int, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """Warp the rotated ROI of `image` into a size x size patch.

    Same construction as MediaPipe's OpenCV ImageToTensor converter: the ROI's corners
    (cv2.boxPoints, rotation in degrees) map onto the patch corners by a perspective
    transform, bilinear sampling. The landmark graph uses a replicated border, the detector
    a zero border.
    """
    corners = cv2.boxPoints(
        ((roi.center_x, roi.center_y), (roi.width, roi.height), math.degrees(roi.rotation))
    )
    patch_corners = np.array([[0, size], [0, 0], [size, 0], [size, size]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), patch_corners)
    return cv2.warpPerspective(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0
    )


def to_tensor(patch_bgr: np.ndarray, scale: float, offset: float, out: np.ndarray) -> None:
    """The model's input from a BGR uint8 patch, written into `out` (float32, RGB):
    pixel * scale + offset. cv2's channel swap and one multiply into a buffer the model
    keeps cost a tenth of numpy's astype on a channel-reversed view (0.05 vs 0.5 ms at
    256x256); the values are the same to the bit (float32 arithmetic either way)."""
    rgb = cv2.cvtColor(patch_bgr, cv2.COLOR_BGR2RGB)
    np.multiply(rgb, np.float32(scale), out=out, dtype=np.float32)
    if offset:
        np.add(out, np.float32(offset), out=out)


def project_to_image(points: np.ndarray, roi: Roi) -> np.ndarray:
    """Map (N, 2+) points normalised to the ROI patch ([0, 1]) back to image pixels.

    LandmarkProjectionCalculator: rotate about the patch centre, scale by the ROI size.
    Columns past x, y are passed through unchanged.
    """
    out = np.array(points, dtype=np.float32, copy=True)
    x = points[:, 0] - 0.5
    y = points[:, 1] - 0.5
    cos_r, sin_r = math.cos(roi.rotation), math.sin(roi.rotation)
    out[:, 0] = (cos_r * x - sin_r * y) * roi.width + roi.center_x
    out[:, 1] = (sin_r * x + cos_r * y) * roi.height + roi.center_y
    return out
