"""The typed results of pose estimation, so nothing downstream knows which backend ran:
PoseResult, what every backend returns for a frame, and KeypointTrack, a clip's worth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.skeleton import NUM_LANDMARKS


@dataclass(frozen=True)
class PoseResult:
    """One person's BlazePose landmarks for one frame.

    landmarks: (33, 4) float32 -- x, y in image pixels; z in pixels too (MediaPipe's
        convention: same scale as x, origin at the hips, smaller = nearer the camera);
        visibility in [0, 1].
    world: (33, 3) float32 -- metres, origin between the hips (MediaPipe "world landmarks").
    presence: the landmark model's pose-presence probability for this frame.
    frame_index, timestamp_s: where in the stream this came from.
    person: the person's id, stable while the estimator tracks them.
    """

    landmarks: np.ndarray
    world: np.ndarray
    presence: float
    frame_index: int
    timestamp_s: float
    person: int = 0

    def __post_init__(self) -> None:
        if self.landmarks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must be (33, 4), got {self.landmarks.shape}")
        if self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"world must be (33, 3), got {self.world.shape}")


@dataclass(frozen=True)
class KeypointTrack:
    """One person's keypoints over a clip.

    landmarks (T, 33, 4): x, y, z in pixels, visibility; NaN rows where nobody was found.
    world (T, 33, 3): metres (NaN when the source has no world landmarks).
    present (T,): whether a person was found on that frame.
    The shapes are checked here, so every producer (pose run, file, converter) is held to
    the same contract and a consumer never has to re-check them.
    """

    landmarks: np.ndarray
    world: np.ndarray
    present: np.ndarray
    fps: float
    width: int
    height: int
    source: str = ""
    backend: str = ""

    def __post_init__(self) -> None:
        frames = self.landmarks.shape[0] if self.landmarks.ndim == 3 else -1
        if self.landmarks.shape != (frames, NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must be (T, 33, 4), got {self.landmarks.shape}")
        if self.world.shape != (frames, NUM_LANDMARKS, 3) or self.present.shape != (frames,):
            raise ValueError(
                f"world {self.world.shape} / present {self.present.shape} do not match "
                f"{frames} frames of landmarks"
            )

    @property
    def num_frames(self) -> int:
        return int(self.landmarks.shape[0])

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.num_frames) / self.fps

    @classmethod
    def from_results(
        cls, results: Sequence[PoseResult | None], fps: float, width: int, height: int,
        source: str = "", backend: str = "",
    ) -> KeypointTrack:  # fmt: skip
        landmarks = np.full((len(results), NUM_LANDMARKS, 4), np.nan, np.float32)
        world = np.full((len(results), NUM_LANDMARKS, 3), np.nan, np.float32)
        for i, result in enumerate(results):
            if result is not None:
                landmarks[i], world[i] = result.landmarks, result.world
        present = np.array([r is not None for r in results], dtype=bool)
        return cls(landmarks, world, present, float(fps), int(width), int(height), source, backend)
