"""The PoseEstimator interface, and create_estimator: a backend by name.

Backends are plug-ins (edge.pose.backends finds them: a module edge/pose/<name>_backend.py
with a build() taking the [pose] keys it reads). Each turns a Frame into the landmarks of
who is in view (PoseEstimator.process) and keeps whatever tracking state it needs between
frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from edge.pose.backends import BACKENDS, DEFAULT_BACKEND, build, declared_keys
from edge.pose.result import PoseResult
from edge.sources.frame import Frame

__all__ = ["BACKENDS", "PoseEstimator", "create_estimator"]


class PoseEstimator(Protocol):
    name: str

    def process(self, frame: Frame) -> list[PoseResult]:
        """The people in `frame` (BGR), each with its tracked id (`person`); [] when
        nobody is in view. At most max_people (litert); mediapipe finds one, id 0."""
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
    max_people: int = 1,
    people_per_frame: int = 0,
    frame_budget_ms: float | None = None,
) -> PoseEstimator:
    """Build the named backend from the [pose] keys it reads (the others it ignores); model
    paths default to `make models`' output. ValueError naming the backends if unknown, or
    when max_people > 1 asks a backend that finds one person. people_per_frame and
    frame_budget_ms: whose landmarks run when the frame budget cannot hold everyone
    (edge/pose/budget.py)."""
    if max_people > 1 and "max_people" not in declared_keys(backend):
        raise ValueError(
            f"the {backend} pose backend finds one person; for {max_people} people use "
            f"{', '.join(b for b in BACKENDS if 'max_people' in declared_keys(b))}"
        )
    return build(
        backend,
        threads=num_threads,
        detector_model=detector_model,
        landmark_model=landmark_model,
        task=task_bundle,
        max_people=max_people,
        people_per_frame=people_per_frame,
        frame_budget_ms=frame_budget_ms,
    )
