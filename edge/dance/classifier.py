"""DanceClassifier: fed frame by frame, it says a genre (or "none") after every unit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.dance.metadata import NONE
from edge.dance.model import DEFAULT_DANCE_DIR, DanceModel
from edge.features.dance import StreamingFeatures, motion_energy


@dataclass(frozen=True)
class DanceEvent:
    time_s: float
    genre: str  # a genre code from the model's metadata, or "none"
    confidence: float  # the top probability
    probabilities: dict[str, float]
    motion_energy: float
    genre_name: str  # what a person reads: the metadata's name of `genre`, or "none"
    person: int = 0  # who danced: the pose tracker's id


class DanceClassifier:
    def __init__(self, fps: float, folder: Path = DEFAULT_DANCE_DIR) -> None:
        self.model = DanceModel(folder)
        meta = self.model.metadata
        self.features = StreamingFeatures(fps, meta.unit_s, meta.units_per_window)

    def push(self, landmarks: np.ndarray | None, time_s: float) -> DanceEvent | None:
        """One frame in; a DanceEvent whenever a unit completes and the window is full."""
        window = self.features.push(landmarks)
        if window is None:
            return None
        meta = self.model.metadata
        energy = float(motion_energy(window))
        probabilities = self.model.probabilities(window)
        top = int(np.argmax(probabilities))
        confidence = float(probabilities[top])
        if energy < meta.min_motion_energy or confidence < meta.min_confidence:
            genre = NONE
        else:
            genre = meta.codes[top]
        return DanceEvent(
            time_s=time_s,
            genre=genre,
            confidence=confidence,
            probabilities={
                g: round(float(p), 4) for g, p in zip(meta.codes, probabilities, strict=True)
            },
            motion_energy=energy,
            genre_name=NONE if genre == NONE else meta.name_of(genre),
        )
