"""The PoseEstimator interface, and create_estimator: a backend by name.

Backends are plug-ins (edge.pose.backends finds them: a module edge/pose/<name>_backend.py
with a build() taking the [pose] keys it reads). Each turns a Frame into the landmarks of
who is in view (PoseEstimator.process) and keeps whatever tracking state it needs between
frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from edge.pose.backends import BACKENDS, DEFAULT_BACKEND, build
from edge.pose.result import PoseResult
from edge.sources.frame import Frame

__all__ = ["BACKENDS", "PoseEstimator", "create_estimator"]


class PoseEstimator(Protocol):
    name: str

    def process(self, frame: Frame) -> list[PoseResult]:
        """The people in `frame` (BGR), each with its tracked id (`person`); [] when
        nobody is in view. Today's backends find at most one person, id 0."""
        ...

    def reset(self) -> None:
        """Forget tracking state (a new clip, a new session)."""
        ...

    def close(self) -> None: ...


def create_estimator(
    backend: str = DEFAULT_BACKEND,
    num_threads: int = 2,
    detector_model: Path | None = None,
    landmark_model: Path | None = None,
    task_bundle: Path | None = None,
) -> PoseEstimator:
    """Build the named backend from the [pose] keys it reads (the others it ignores); model
    paths default to `make models`' output. ValueError naming the backends if unknown."""
    return build(
        backend,
        threads=num_threads,
        detector_model=detector_model,
        landmark_model=landmark_model,
        task=task_bundle,
    )
