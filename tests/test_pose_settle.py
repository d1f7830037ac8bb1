"""A new person's first ROI is settled by the landmark model's own answers (edge/pose/settle.py):
from a rough detector ROI, closer to the ROI that tracking reaches about a second later."""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.pose.landmark_model import LandmarkModel
from edge.pose.litert_backend import MIN_TRACKING_PRESENCE
from edge.pose.roi import Roi, alignment_roi, normalize_radians, scaled_square
from edge.pose.settle import MAX_PASSES, settle
from tests.conftest import shared_path


def _first_frame(name: str) -> np.ndarray:
    capture = cv2.VideoCapture(str(shared_path("data", "exercise_videos", name)))
    ok, frame = capture.read()
    capture.release()
    assert ok
    return frame


def _fixed_point(model: LandmarkModel, image: np.ndarray, roi: Roi, passes: int = 12) -> Roi:
    for _ in range(passes):
        raw = model.run(image, roi)
        roi = scaled_square(alignment_roi(raw.aux[0], raw.aux[1]))
    return roi


def _apart(a: Roi, b: Roi) -> tuple[float, float]:
    """(centre distance in sides of b, rotation difference in degrees)."""
    shift = math.hypot(a.center_x - b.center_x, a.center_y - b.center_y) / b.width
    return shift, abs(math.degrees(normalize_radians(a.rotation - b.rotation)))


def test_a_tilted_offset_roi_settles_near_where_tracking_ends(model_paths):
    model = LandmarkModel(model_paths.landmark, 2)
    image = _first_frame("curl_3.mp4")
    target = _fixed_point(model, image, Roi(400.0, 540.0, 1300.0, 1300.0, 0.0))
    # what a wide frame's detector gave this person: 30 degrees off, a tenth of a body away
    rough = Roi(
        target.center_x - 0.1 * target.width, target.center_y - 0.1 * target.width,
        0.75 * target.width, 0.75 * target.width, target.rotation + math.radians(30.0),
    )  # fmt: skip
    settled = settle(model, image, rough, MIN_TRACKING_PRESENCE)
    rough_shift, rough_turn = _apart(rough, target)
    shift, turn = _apart(settled, target)
    # MAX_PASSES passes go about half the way (each moves it about a fifth)
    assert shift < 0.6 * rough_shift and turn < 0.6 * rough_turn, (shift, turn)
    assert model.run(image, settled).presence >= MIN_TRACKING_PRESENCE


def test_a_roi_on_nobody_is_left_as_it_is(model_paths):
    model = LandmarkModel(model_paths.landmark, 2)
    image = np.zeros((480, 640, 3), np.uint8)
    roi = Roi(320.0, 240.0, 300.0, 300.0, 0.0)
    assert settle(model, image, roi, MIN_TRACKING_PRESENCE) == roi
    assert MAX_PASSES >= 2
