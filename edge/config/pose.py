"""[pose]: which pose backend runs, and the keys the backends read.

The backend names come from the plug-ins (edge.pose.backends finds them by file name,
without importing them), so a new backend module is a new valid value here. Each key
below is read by the backends whose build() takes it; the others ignore it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from edge.config.base import ExistingFile, Table
from edge.config.messages import fail
from edge.pose.backends import BACKENDS, DEFAULT_BACKEND, declared_keys
from edge.pose.budget import POSE_SHARE

MAX_PEOPLE = 8  # a class in front of one kiosk; each person costs a landmark-model run

PoseBackend = Literal[BACKENDS]  # type: ignore[valid-type]


class PoseConfig(Table):
    """The pose backend; None model paths mean the `make models` defaults."""

    backend: PoseBackend = Field(  # type: ignore[valid-type]
        DEFAULT_BACKEND, description=f"{', '.join(BACKENDS)}: edge/pose/<backend>_backend.py"
    )
    threads: int = Field(2, ge=1, le=8, description="interpreter threads")
    detector_model: ExistingFile | None = Field(None, description="pose_detection.tflite")
    landmark_model: ExistingFile | None = Field(None, description="pose_landmark_*.tflite")
    task: ExistingFile | None = Field(None, description="a MediaPipe .task bundle instead")
    max_people: int = Field(
        1, ge=1, le=MAX_PEOPLE,
        description="people tracked at once, each with a stable id (litert; 1: the fastest)",
    )  # fmt: skip
    people_per_frame: int = Field(
        0, ge=0, le=MAX_PEOPLE,
        description="landmark runs per frame, people taking turns (litert; 0: as the frame "
        "budget allows, edge/pose/budget.py)",
    )  # fmt: skip
    frame_budget_ms: float | None = Field(
        None, gt=0, le=1000,
        description="ms per frame for the people's landmark runs (litert; none: "
        f"{POSE_SHARE:g} of a live source's frame period)",
    )  # fmt: skip

    @field_validator("max_people")
    @classmethod
    def _backend_finds_them(cls, value: int, info: ValidationInfo) -> int:
        backend = info.data.get("backend", DEFAULT_BACKEND)
        if value > 1 and "max_people" not in declared_keys(backend):
            raise fail(
                f'the {backend} backend finds one person; use backend = "litert" for {value}'
            )
        return value
