"""Naming the dance genre: the dance model over windows of units, as an analyzer."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from edge.analyzers.base import Event, Resources
from edge.dance.classifier import DanceClassifier


class DanceAnalyzer:
    name: ClassVar[str] = "dance"
    stage: ClassVar[str] = "dance"

    def __init__(self, resources: Resources, exercise: str, fps: float) -> None:
        assert resources.dance_dir is not None  # unavailable() said so first
        self._folder = resources.dance_dir
        self.classifier = DanceClassifier(fps, self._folder)

    @staticmethod
    def unavailable(resources: Resources) -> str | None:
        if resources.dance_dir is None:
            return "no dance model installed; set mode count or install models/dance"
        return None

    @property
    def window_s(self) -> float:
        """The span of one verdict: K units."""
        meta = self.classifier.model.metadata
        return meta.units_per_window * meta.unit_s

    def update(self, landmarks: np.ndarray | None, time_s: float) -> list[Event]:
        event = self.classifier.push(landmarks, time_s)
        return [] if event is None else [event]

    def new_stream(self, fps: float) -> list[Event]:
        """Half-built windows belong to frames that no longer follow on."""
        self.classifier = DanceClassifier(fps, self._folder)
        return []

    def finish(self) -> list[Event]:
        return []


ANALYZER = DanceAnalyzer
