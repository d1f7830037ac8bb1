"""Exponential smoothing of k-NN votes over a short window (MediaPipe's EMADictSmoothing).

Per-frame votes flicker near the boundary between poses; the counter's thresholds need a
steadier signal. The newest frame weighs 1, older ones (1 - alpha)^age, and the sum is
normalised by the weights actually present, so the first frames are not biased to zero.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class EmaSmoother:
    def __init__(self, window_size: int = 10, alpha: float = 0.2) -> None:
        if window_size < 1:
            raise ValueError("window_size must be at least 1")
        self.window_size = window_size
        self.alpha = alpha
        self._window: deque[np.ndarray] = deque(maxlen=window_size)

    def __call__(self, votes: np.ndarray) -> np.ndarray:
        """Add this frame's votes; return the smoothed votes, same shape."""
        self._window.appendleft(np.asarray(votes, dtype=np.float64))
        weights = (1.0 - self.alpha) ** np.arange(len(self._window))
        return np.tensordot(weights, np.stack(self._window), axes=1) / weights.sum()

    def reset(self) -> None:
        self._window.clear()
