"""Exponential smoothing of k-NN votes over a short window, in seconds.

Per-frame votes flicker near the boundary between poses; the counter's thresholds need a
steadier signal. MediaPipe's EMADictSmoothing weighs the last 10 frames (1 - 0.2)^age,
which makes the smoothing depend on the frame rate: 0.33 s at 30 fps, 0.17 s at 60. Here
a sample's weight is exp(-age / tau_s) over the samples younger than window_s, by their
time, so 25, 30 and 60 fps smooth alike; the defaults are that recipe at 30 fps. The sum
is normalised by the weights actually present, so the first frames are not biased to zero.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

REFERENCE_FPS = 30.0  # the frame rate MediaPipe's per-frame recipe is read at


def seconds_from_frames(
    window: int, alpha: float, fps: float = REFERENCE_FPS
) -> tuple[float, float]:
    """A per-frame (window, alpha) smoothing as (window_s, tau_s) at `fps`."""
    if window < 1 or not 0.0 < alpha < 1.0:
        raise ValueError("a frame window must be >= 1 and alpha within (0, 1)")
    return window / fps, -1.0 / (fps * math.log(1.0 - alpha))


DEFAULT_WINDOW_S, DEFAULT_TAU_S = seconds_from_frames(10, 0.2)  # 0.333 s, 0.149 s
_EDGE_S = 1e-6  # a sample exactly window_s old is out of the window despite rounding


class EmaSmoother:
    def __init__(self, window_s: float = DEFAULT_WINDOW_S, tau_s: float = DEFAULT_TAU_S) -> None:
        if not window_s > 0 or not tau_s > 0:
            raise ValueError("window_s and tau_s must be positive seconds")
        self.window_s = window_s
        self.tau_s = tau_s
        self._window: deque[tuple[float, np.ndarray]] = deque()

    def __call__(self, votes: np.ndarray, time_s: float) -> np.ndarray:
        """Add the votes seen at `time_s` (non-decreasing); return the smoothed votes."""
        self._window.appendleft((time_s, np.asarray(votes, dtype=np.float64)))
        while len(self._window) > 1 and time_s - self._window[-1][0] >= self.window_s - _EDGE_S:
            self._window.pop()
        ages = time_s - np.array([t for t, _ in self._window])
        weights = np.exp(-ages / self.tau_s)
        return np.tensordot(weights, np.stack([v for _, v in self._window]), axes=1) / weights.sum()

    def reset(self) -> None:
        self._window.clear()
