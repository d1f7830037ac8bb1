"""The one typed result every pose backend returns, so nothing downstream knows which ran."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_LANDMARKS = 33


@dataclass(frozen=True)
class PoseResult:
    """One person's BlazePose landmarks for one frame.

    landmarks: (33, 4) float32 -- x, y in image pixels; z in pixels too (MediaPipe's
        convention: same scale as x, origin at the hips, smaller = nearer the camera);
        visibility in [0, 1].
    world: (33, 3) float32 -- metres, origin between the hips (MediaPipe "world landmarks").
    presence: the landmark model's pose-presence probability for this frame.
    frame_index, timestamp_s: where in the stream this came from.
    """

    landmarks: np.ndarray
    world: np.ndarray
    presence: float
    frame_index: int
    timestamp_s: float

    def __post_init__(self) -> None:
        if self.landmarks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must be (33, 4), got {self.landmarks.shape}")
        if self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"world must be (33, 3), got {self.world.shape}")
