"""The PoseEstimator interface and the factory that picks a backend by name.

Backends are plug-ins: each turns a Frame into a PoseResult (or None when nobody is in
view) and keeps whatever tracking state it needs between frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from edge.pose.result import PoseResult
from edge.sources.frame import Frame

BACKENDS = ("litert", "mediapipe")


class PoseEstimator(Protocol):
    name: str

    def process(self, frame: Frame) -> PoseResult | None:
        """Landmarks of the one person in `frame` (BGR), or None."""
        ...

    def reset(self) -> None:
        """Forget tracking state (a new clip, a new session)."""
        ...

    def close(self) -> None: ...


def create_estimator(
    backend: str = "litert",
    num_threads: int = 2,
    detector_model: Path | None = None,
    landmark_model: Path | None = None,
    task_bundle: Path | None = None,
) -> PoseEstimator:
    """Build the named backend; model paths default to `make models`' output."""
    if backend == "litert":
        from edge.pose.litert_backend import LiteRtPoseEstimator
        from edge.pose.model_files import resolve_models

        paths = resolve_models(detector=detector_model, landmark=landmark_model, task=task_bundle)
        return LiteRtPoseEstimator(paths.detector, paths.landmark, num_threads=num_threads)
    if backend == "mediapipe":
        from edge.pose.mediapipe_backend import MediaPipePoseEstimator

        return MediaPipePoseEstimator()
    raise ValueError(f"unknown pose backend {backend!r}; choose one of {', '.join(BACKENDS)}")
