"""DanceClassifier: fed frame by frame, after every unit it says whether someone dances and,
when the model is sure, which genre.

One window, three answers (docs/dance_features.md, "Dancing, and which genre"):

- `dancing` in 0..1: the model's probability that the window is not its class "none" (a
  model without "none": 1), and 0 when the body moves less than the model's
  min_motion_energy;
- not dancing (`dancing` under the model's min_dancing): genre "none";
- dancing: the most probable genre when its probability reaches min_confidence, else
  genre None ("dancing, style not known").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.dance.metadata import NONE, DanceMetadata
from edge.dance.model import DEFAULT_DANCE_DIR, DanceModel
from edge.features.dance import StreamingFeatures, motion_energy


@dataclass(frozen=True)
class DanceEvent:
    time_s: float
    genre: str | None  # a genre code of the model, "none" (not dancing) or None (style unknown)
    confidence: float  # the top probability
    probabilities: dict[str, float]
    motion_energy: float
    genre_name: str | None  # the metadata's name of `genre`, "none", or None with genre None
    person: int = 0  # who danced: the pose tracker's id
    # 0..1, how sure the model is that someone dances; None: derived from genre (1 when it
    # names a genre or none, 0 for "none"), for events built without a model
    dancing: float | None = None

    def __post_init__(self) -> None:
        if self.dancing is None:
            object.__setattr__(self, "dancing", 0.0 if self.genre == NONE else 1.0)

    @property
    def is_dancing(self) -> bool:
        """The verdict: dancing (genre known or not), as opposed to "none"."""
        return self.genre != NONE


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
        dancing, genre = decide(probabilities, energy, meta)
        return DanceEvent(
            time_s=time_s,
            genre=genre,
            confidence=float(np.max(probabilities)),
            probabilities={
                g: round(float(p), 4) for g, p in zip(meta.codes, probabilities, strict=True)
            },
            motion_energy=energy,
            genre_name=genre if genre in (None, NONE) else meta.name_of(genre),
            dancing=round(dancing, 4),
        )


def decide(
    probabilities: np.ndarray, energy: float, meta: DanceMetadata
) -> tuple[float, str | None]:
    """(dancing 0..1, genre code | "none" | None) of one window: the module's rule."""
    codes = meta.codes
    if energy < meta.min_motion_energy:
        return 0.0, NONE
    dancing = 1.0 - float(probabilities[codes.index(NONE)]) if NONE in codes else 1.0
    if dancing < meta.min_dancing:
        return dancing, NONE
    genres = [i for i, code in enumerate(codes) if code != NONE]
    top = max(genres, key=lambda i: probabilities[i])
    return dancing, codes[top] if probabilities[top] >= meta.min_confidence else None
