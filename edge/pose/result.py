"""The typed results of pose estimation, so nothing downstream knows which backend ran:
PoseResult, what every backend returns for a person in a frame, KeypointTrack, one person
over a clip, and PeopleTracks, everyone over a clip."""

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
    fresh: measured on this frame; False: the person's last landmarks, shown while the
        frame budget gave their turn to others (edge/pose/budget.py; frame_index and
        timestamp_s say when they were measured). Analyzers skip such a frame.
    """

    landmarks: np.ndarray
    world: np.ndarray
    presence: float
    frame_index: int
    timestamp_s: float
    person: int = 0
    fresh: bool = True

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

    def median_box(self) -> list[float] | None:
        """[x0, y0, x1, y1] in 0..1 of the image: per coordinate, the median over the
        frames with a person of the extent of their landmarks; None if never present."""
        xy = self.landmarks[self.present, :, :2]
        if not len(xy):
            return None
        with np.errstate(invalid="ignore"):
            low, high = np.nanmin(xy, axis=1), np.nanmax(xy, axis=1)  # (F, 2) each
        size = np.array([self.width, self.height], np.float64)
        box = np.concatenate([np.nanmedian(low, axis=0), np.nanmedian(high, axis=0)])
        return [round(float(v), 4) for v in np.clip(box / np.tile(size, 2), 0.0, 1.0)]

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


@dataclass(frozen=True)
class PeopleTracks:
    """Every person's keypoints over a clip: one KeypointTrack per person id, each as long as
    the clip (NaN and not present where that person was not found), ordered by id."""

    tracks: dict[int, KeypointTrack]
    empty: KeypointTrack  # the clip's frames with nobody: what `main` is when nobody was found

    @property
    def main(self) -> KeypointTrack:
        """The person found on the most frames (ties: the lowest id): a one-person reader's
        track, so a one-person clip reads as it always has."""
        if not self.tracks:
            return self.empty
        return max(self.tracks.values(), key=lambda track: int(track.present.sum()))

    @classmethod
    def from_frames(
        cls, frames: Sequence[Sequence[PoseResult]], fps: float, width: int, height: int,
        source: str = "", backend: str = "",
    ) -> PeopleTracks:  # fmt: skip
        """From each frame's list of people (a person's id is their `person`)."""
        ids = sorted({result.person for people in frames for result in people})
        empty: list[PoseResult | None] = [None] * len(frames)
        tracks = {}
        for person in ids:
            results = [next((r for r in people if r.person == person), None) for people in frames]
            tracks[person] = KeypointTrack.from_results(
                results, fps, width, height, source, backend
            )
        none = KeypointTrack.from_results(empty, fps, width, height, source, backend)
        return cls(tracks, none)
