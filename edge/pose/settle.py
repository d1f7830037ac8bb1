"""A newly found person's first ROI, settled before their track starts.

The detector's alignment points are rough, and rougher in a wide frame that holds several
people (each is a few dozen pixels tall in its windows, and candidates from several windows
are merged): a ROI tilted by 30 degrees or off by a tenth of the body is common. The
landmark model run on such a ROI answers with auxiliary points that lean toward the crop it
was given, so the ROI tracked from them moves only part of the way to the body on each
frame, and the smoothing of those points slows it further: the first second of a track is a
drift of the whole skeleton, which a counter reads as movement. Run on the ROI its own
answer gives, the model moves the ROI further (about a fifth of the way on each pass); a
few passes on the first frame take it about half of the way to where tracking settles,
so the track starts with less of that drift. Used where several people are tracked: the
one-person loop stays MediaPipe's, frame for frame.
"""

from __future__ import annotations

import math

import numpy as np

from edge.pose.landmark_model import LandmarkModel
from edge.pose.roi import Roi, alignment_roi, normalize_radians, scaled_square

MAX_PASSES = 4  # landmark passes at most, on the first frame
SETTLED_SHIFT = 0.02  # centre and side moved less than this share of the side ...
SETTLED_TURN = math.radians(2.0)  # ... and the rotation less than this: settled


def settle(model: LandmarkModel, image: np.ndarray, roi: Roi, min_presence: float) -> Roi:
    """The ROI that the landmark model's own auxiliary points lead to from `roi`, in at
    most MAX_PASSES passes on `image`: the last one on which the model still sees the
    person (presence min_presence or more), so tracking starts where it will not drop
    them; `roi` itself when even that one does not."""
    good = roi
    for _ in range(MAX_PASSES):
        raw = model.run(image, roi)
        if raw.presence < min_presence:
            break
        good, roi = roi, scaled_square(alignment_roi(raw.aux[0], raw.aux[1]))
        if _settled(good, roi):
            break
    return good


def _settled(before: Roi, after: Roi) -> bool:
    side = max(before.width, 1e-6)
    shift = math.hypot(after.center_x - before.center_x, after.center_y - before.center_y)
    turn = abs(normalize_radians(after.rotation - before.rotation))
    return (
        shift < SETTLED_SHIFT * side
        and abs(after.width - before.width) < SETTLED_SHIFT * side
        and turn < SETTLED_TURN
    )
