"""The One Euro filter and the landmark smoothing MediaPipe applies after the model.

One Euro (Casiez et al. 2012) low-passes a signal with a cutoff that rises with its speed:
still joints stop jittering, fast ones do not lag. MediaPipe's variant
(mediapipe/util/filtering/one_euro_filter.cc) scales the speed by 1/object size, so the
same parameters suit a person near or far from the camera.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_FREQUENCY_HZ = 30.0  # LandmarksSmoothingCalculatorOptions.OneEuroFilter.frequency


class OneEuroFilter:
    """Vectorised One Euro filter over an array of values that move together."""

    def __init__(self, min_cutoff: float, beta: float, derivative_cutoff: float) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivative_cutoff = derivative_cutoff
        self.reset()

    def reset(self) -> None:
        self._last_time: float | None = None
        self._frequency = DEFAULT_FREQUENCY_HZ
        self._last_raw: np.ndarray | None = None
        self._smoothed: np.ndarray | None = None
        self._smoothed_speed: np.ndarray | None = None

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        # A scalar cutoff (the derivative's) in Python floats: the same doubles, no array
        period = 1.0 / self._frequency
        tau = 1.0 / (2.0 * math.pi * (cutoff if isinstance(cutoff, float) else np.asarray(cutoff)))
        return 1.0 / (1.0 + tau / period)

    def apply(self, values: np.ndarray, timestamp_s: float, value_scale: float = 1.0) -> np.ndarray:
        """Filter one sample; `value_scale` is 1/object size (1 to disable scaling)."""
        values = np.asarray(values, dtype=np.float64)
        if self._last_time is not None and timestamp_s <= self._last_time:
            return values  # MediaPipe passes out-of-order samples through untouched.
        if self._last_time is not None:
            self._frequency = 1.0 / (timestamp_s - self._last_time)
        self._last_time = timestamp_s
        if self._last_raw is None:
            speed = np.zeros_like(values)
        else:
            speed = (values - self._last_raw) * value_scale * self._frequency
        self._smoothed_speed = self._low_pass(
            self._smoothed_speed, speed, self._alpha(self.derivative_cutoff)
        )
        cutoff = self.min_cutoff + self.beta * np.abs(self._smoothed_speed)
        self._smoothed = self._low_pass(self._smoothed, values, self._alpha(cutoff))
        self._last_raw = values
        return self._smoothed

    @staticmethod
    def _low_pass(
        previous: np.ndarray | None, value: np.ndarray, alpha: np.ndarray | float
    ) -> np.ndarray:
        if previous is None:
            return value
        return alpha * value + (1.0 - alpha) * previous


class LowPassFilter:
    """Exponential smoothing with a fixed alpha (MediaPipe's visibility smoothing)."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._state: np.ndarray | None = None

    def reset(self) -> None:
        self._state = None

    def apply(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        self._state = (
            values
            if self._state is None
            else (self.alpha * values + (1.0 - self.alpha) * self._state)
        )
        return self._state


class LandmarkSmoother:
    """Coordinates through One Euro, visibility through a low-pass, as one unit.

    Reset it whenever tracking is lost, so a new person never inherits the last one's
    velocity (LandmarksSmoothingCalculator resets on an empty packet).
    """

    def __init__(
        self, min_cutoff: float, beta: float, derivative_cutoff: float = 1.0,
        visibility_alpha: float = 0.1,
    ) -> None:  # fmt: skip
        self.coordinates = OneEuroFilter(min_cutoff, beta, derivative_cutoff)
        self.visibility = LowPassFilter(visibility_alpha)

    def reset(self) -> None:
        self.coordinates.reset()
        self.visibility.reset()

    def apply(
        self, points: np.ndarray, visibility: np.ndarray | None, timestamp_s: float,
        value_scale: float = 1.0,
    ) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
        smoothed_visibility = None if visibility is None else self.visibility.apply(visibility)
        return self.coordinates.apply(points, timestamp_s, value_scale), smoothed_visibility
