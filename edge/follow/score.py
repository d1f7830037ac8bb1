"""How well a stretch of the student matches a stretch of the routine, per body part.

Per frame and part: exp(-K * d^2), d^2 the mean squared difference of the part's features
(torso lengths); a part not seen on a frame scores 0 there (not in view is not following).
A part's score is the mean over the move's frames; the move's the mean over the parts,
times a lateness factor: full within LATE_GRACE_S, falling off over LATE_SCALE_S.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from edge.features.follow import PART_SLICES, PARTS

K: Final = 1.0
LATE_GRACE_S: Final = 0.2
LATE_SCALE_S: Final = 1.0


def frame_similarity(reference: np.ndarray, student: np.ndarray) -> np.ndarray:
    """(n, F) and (n, F) -> (n, parts) similarity 0..1."""
    squared = (reference - student) ** 2
    out = np.empty((len(reference), len(PARTS)), np.float64)
    for i, part in enumerate(PARTS):
        columns = squared[:, PART_SLICES[part]]
        seen = np.isfinite(columns).all(axis=1)
        distance = np.where(seen, columns.mean(axis=1) if seen.any() else 0.0, np.inf)
        out[:, i] = np.exp(-K * np.where(seen, distance, np.inf))
    return out


def lateness(offset_s: float) -> float:
    """0..1: 1 on time (within the grace), less the later or earlier."""
    late = max(abs(offset_s) - LATE_GRACE_S, 0.0) / LATE_SCALE_S
    return float(np.exp(-late * late))


def part_scores(similarity: np.ndarray) -> dict[str, float]:
    """(n, parts) -> each part's 0..100."""
    means = similarity.mean(axis=0) if len(similarity) else np.zeros(len(PARTS))
    return {part: 100.0 * float(value) for part, value in zip(PARTS, means, strict=True)}


def move_score(parts: dict[str, float], offset_s: float) -> float:
    return float(np.mean(list(parts.values()))) * lateness(offset_s)
