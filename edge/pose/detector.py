"""BlazePose person detector: 224x224 letterboxed frame -> hip-centred alignment points.

Every constant below is from MediaPipe's
mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt (SsdAnchorsCalculator,
TensorsToDetectionsCalculator, NonMaxSuppressionCalculator) unless a comment says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.pose.interpreter import load_interpreter
from edge.pose.roi import Roi, crop, to_tensor

INPUT_SIZE = 224
ANCHOR_STRIDES = (8, 16, 32, 32, 32)  # SsdAnchorsCalculator strides, num_layers 5
ANCHORS_PER_LAYER = 2  # aspect_ratios 1.0 plus the interpolated-scale anchor
NUM_KEYPOINTS = 4  # 0 mid-hip, 1 full-body size/rotation, 2 mid-shoulder, 3 upper-body
SCORE_CLIP = 100.0  # score_clipping_thresh
NMS_IOU = 0.3  # min_suppression_threshold, overlap_type INTERSECTION_OVER_UNION, WEIGHTED
WIDE_WINDOW = 1.5  # the larger detector windows' side, in frame short sides (`windows`)


@dataclass(frozen=True)
class Detection:
    """One detected person, in image pixels."""

    score: float
    box: np.ndarray  # xmin, ymin, xmax, ymax
    keypoints: np.ndarray  # (4, 2)


def ssd_anchor_centers(input_size: int = INPUT_SIZE) -> np.ndarray:
    """(2254, 2) anchor centres in [0, 1].

    fixed_anchor_size: true makes every anchor 1x1, so only the centres matter.
    Consecutive layers with the same stride share one feature map (the three stride-32
    layers give 6 anchors per cell), as SsdAnchorsCalculator groups them.
    """
    centers: list[np.ndarray] = []
    layer = 0
    while layer < len(ANCHOR_STRIDES):
        last = layer
        while last < len(ANCHOR_STRIDES) and ANCHOR_STRIDES[last] == ANCHOR_STRIDES[layer]:
            last += 1
        per_cell = ANCHORS_PER_LAYER * (last - layer)
        cells = math.ceil(input_size / ANCHOR_STRIDES[layer])
        grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells  # anchor_offset 0.5
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell_centers = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centers.append(np.repeat(cell_centers, per_cell, axis=0))
        layer = last
    return np.concatenate(centers)


def weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray) -> list[int]:
    """Weighted non-max suppression in place; returns the kept (representative) indices.

    Each kept detection's box and keypoints become the score-weighted mean of every
    candidate overlapping it by more than NMS_IOU (itself included), as MediaPipe's
    WEIGHTED algorithm does; its score stays that of the best candidate.
    """
    order = list(np.argsort(-scores, kind="stable"))
    kept: list[int] = []
    while order:
        top = order[0]
        rest = np.array(order)
        x0 = np.maximum(boxes[top, 0], boxes[rest, 0])
        y0 = np.maximum(boxes[top, 1], boxes[rest, 1])
        x1 = np.minimum(boxes[top, 2], boxes[rest, 2])
        y1 = np.minimum(boxes[top, 3], boxes[rest, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        area = (boxes[rest, 2] - boxes[rest, 0]) * (boxes[rest, 3] - boxes[rest, 1])
        union = area[0] + area - inter
        iou = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
        overlapping = rest[iou > NMS_IOU]
        if len(overlapping) > 1:
            weights = scores[overlapping] / scores[overlapping].sum()
            boxes[top] = weights @ boxes[overlapping]
            keypoints[top] = np.tensordot(weights, keypoints[overlapping], axes=1)
        kept.append(top)
        order = [i for i in rest[iou <= NMS_IOU]]
    return kept


class PoseDetector:
    """Runs pose_detection.tflite on a whole frame and returns the people it finds."""

    def __init__(self, model_path: Path, num_threads: int = 2, min_score: float = 0.5) -> None:
        # min_score: Pose(min_detection_confidence=0.5) overrides min_score_thresh.
        self._interpreter = load_interpreter(model_path, num_threads)
        inputs = self._interpreter.get_input_details()
        self._input = self._interpreter.tensor(inputs[0]["index"])  # written in place
        outputs = self._interpreter.get_output_details()
        by_width = {int(o["shape"][-1]): o["index"] for o in outputs}
        self._boxes_index, self._scores_index = by_width[12], by_width[1]
        self._anchors = ssd_anchor_centers()
        self.min_score = min_score

    def detect(self, image: np.ndarray) -> Detection | None:
        """The highest-scoring person in a BGR uint8 frame, or None."""
        found = self.detect_all(image, 1)
        return found[0] if found else None

    def detect_all(
        self, image: np.ndarray, max_people: int, view: int | None = None
    ) -> list[Detection]:
        """Up to `max_people` people in a BGR uint8 frame, best first, after NMS (the RGB
        swap is done on the patch).

        One person: the whole frame, letterboxed, as MediaPipe does. Several: also square
        windows along a wide (or tall) frame's long side (`windows`), whose candidates
        join the whole frame's before NMS: in a 224x224 letterbox of a wide frame each of
        several people is a few dozen pixels tall, too small for this detector. `view`:
        only that one of `views` (modulo their number), one detector run instead of all."""
        height, width = image.shape[:2]
        letterbox = letterboxed(width, height)
        if max_people == 1:
            found = self._candidates(image, letterbox)
            if found is None:
                return []
            boxes, keypoints, scores = found
            kept = weighted_nms(boxes, keypoints, scores)[:1]
            return [self._detection(letterbox, boxes, keypoints, scores, i) for i in kept]
        looked = views(width, height)
        if view is not None:
            looked = [looked[view % len(looked)]]
        pixels = []
        for window in looked:
            found = self._candidates(image, window)
            if found is not None:
                boxes, keypoints, scores = found
                pixels.append((*self._to_pixels(window, boxes, keypoints), scores))
        if not pixels:
            return []
        boxes, keypoints, scores = (np.concatenate(parts) for parts in zip(*pixels, strict=True))
        kept = weighted_nms(boxes, keypoints, scores)[:max_people]
        return [
            Detection(score=float(scores[i]), box=boxes[i], keypoints=keypoints[i]) for i in kept
        ]

    def _candidates(
        self, image: np.ndarray, window: Roi
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(boxes, keypoints, scores) scoring min_score or more in the square `window`,
        in the window's patch coordinates [0, 1]; None if none."""
        # ImageToTensorCalculator keep_aspect_ratio: the window (for one person the whole
        # frame padded to a square with zeros, BORDER_ZERO), scaled to 224, in [-1, 1].
        square = Roi(window.center_x, window.center_y, window.width, window.width, 0.0)
        patch = crop(image, square, INPUT_SIZE, border=cv2.BORDER_CONSTANT)
        to_tensor(patch, 2.0 / 255.0, -1.0, self._input()[0])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._boxes_index)[0]
        logits = self._interpreter.get_tensor(self._scores_index)[0, :, 0]
        clipped = np.clip(logits.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
        scores = 1.0 / (1.0 + np.exp(-clipped))
        keep = np.flatnonzero(scores >= self.min_score)
        if keep.size == 0:
            return None
        raw, scores, anchors = raw[keep], scores[keep], self._anchors[keep]
        # reverse_output_order: x before y; x/y/w/h_scale 224; anchors are 1x1.
        center = raw[:, 0:2] / INPUT_SIZE + anchors
        half = raw[:, 2:4] / INPUT_SIZE / 2.0
        boxes = np.concatenate([center - half, center + half], axis=1)
        keypoints = raw[:, 4 : 4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2)
        keypoints = keypoints / INPUT_SIZE + anchors[:, None, :]
        return boxes, keypoints, scores

    @staticmethod
    def _to_pixels(
        window: Roi, boxes: np.ndarray, keypoints: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        # DetectionLetterboxRemovalCalculator: the patch covers `side` pixels centred on the
        # window, so patch coordinates map to pixels by one scale and offset.
        side = window.width
        offset = np.array([window.center_x, window.center_y], np.float32) - side / 2.0
        corners = boxes.reshape(-1, 2, 2) * side + offset
        return corners.reshape(-1, 4), keypoints * side + offset

    def _detection(
        self, window: Roi, boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, i: int
    ) -> Detection:
        box, points = self._to_pixels(window, boxes[i : i + 1], keypoints[i])
        return Detection(score=float(scores[i]), box=box[0], keypoints=points)


def views(width: int, height: int) -> list[Roi]:
    """What the detector looks at for several people: the whole frame (letterboxed), then
    its `windows`."""
    return [letterboxed(width, height), *windows(width, height)]


def letterboxed(width: int, height: int) -> Roi:
    """The whole frame as one square view, padded across its short side."""
    return Roi(width / 2.0, height / 2.0, float(max(width, height)), 0.0, 0.0)


def windows(width: int, height: int) -> list[Roi]:
    """Square detector windows for a frame at least 1.5 times as long as high (or high as
    long; a squarer frame's letterbox loses little): two sizes, each spread evenly
    (overlapping) along the long side to cover it. Side = the short side suits people
    standing; 1.5 times it (padded with zeros across) holds someone lying down, whom a
    short-side window cuts in two."""
    short, long = min(width, height), max(width, height)
    if long < 1.5 * short:
        return []
    found = []
    for side in (float(short), WIDE_WINDOW * short):
        if side >= long:
            continue
        for centre in np.linspace(side / 2.0, long - side / 2.0, math.ceil(long / side)):
            along, across = float(centre), (height if width >= height else width) / 2.0
            x, y = (along, across) if width >= height else (across, along)
            found.append(Roi(x, y, side, side, 0.0))
    return found
