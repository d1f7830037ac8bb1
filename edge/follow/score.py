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
X_WEIGHT: Final = 1.0  # the weight of the features' x columns (y: 1); x is what a view skews
WORST_PARTS: Final = 2  # 0: a move's score is the mean over the parts; n: over the n worst
ENERGY_CHECK: Final = True  # a part moving less than the teacher's scores less
ENERGY_FLOOR: Final = 0.005  # torso lengths per frame: below, stillness is not judged
# The student's x against the teacher's, tried per move: 1 = the same view; -1 = from
# behind (or facing a mirror without swapping sides); 0.5 / 0 = from the side.
VIEW_SCALES: Final[tuple[float, ...]] = (1.0, -1.0, 0.5, -0.5, 0.0)
LATE_GRACE_S: Final = 0.2
LATE_SCALE_S: Final = 0.3


def frame_similarity(reference: np.ndarray, student: np.ndarray) -> np.ndarray:
    """(n, F) and (..., n, F) -> (..., n, parts) similarity 0..1."""
    squared = (reference - student) ** 2
    squared[..., 0::2] *= X_WEIGHT
    weight = (1.0 + X_WEIGHT) / 2  # the mean over x and y columns, x weighted
    out = np.empty((*squared.shape[:-1], len(PARTS)), np.float64)
    for i, part in enumerate(PARTS):
        distance = squared[..., PART_SLICES[part]].mean(axis=-1) / weight
        out[..., i] = np.exp(-K * np.where(np.isfinite(distance), distance, np.inf))
    return out


def view_scales(width: int) -> np.ndarray:
    """(views, F): the student's features times each, one view each: x flipped or squeezed
    (a camera beside or behind the teacher's sees the same move so), y as it is."""
    out = np.ones((len(VIEW_SCALES), width))
    out[:, 0::2] = np.asarray(VIEW_SCALES)[:, None]
    return out


def lateness(offset_s: float) -> float:
    """0..1: 1 on time (within the grace), less the later or earlier."""
    late = max(abs(offset_s) - LATE_GRACE_S, 0.0) / LATE_SCALE_S
    return float(np.exp(-late * late))


def part_energy(features: np.ndarray) -> np.ndarray:
    """(n, F) -> (parts,): each part's mean vertical motion per frame (torso lengths; y: the
    same from any camera at the teacher's height), NaN-safe."""
    step = np.abs(np.diff(features, axis=0))
    out = np.zeros(len(PARTS))
    for i, part in enumerate(PARTS):
        columns = step[:, PART_SLICES[part]][:, 1::2]
        out[i] = float(np.nanmean(columns)) if np.isfinite(columns).any() else 0.0
    return out


def part_scores(
    similarity: np.ndarray, reference: np.ndarray | None = None, student: np.ndarray | None = None
) -> dict[str, float]:
    """(n, parts) -> each part's 0..100; with the two stretches, a part that moves less than
    the teacher's (a frozen arm, standing still) scores that much less (ENERGY_CHECK)."""
    means = similarity.mean(axis=0) if len(similarity) else np.zeros(len(PARTS))
    if ENERGY_CHECK and reference is not None and student is not None and len(reference) > 1:
        moved = part_energy(student)
        wanted = part_energy(reference)
        means = means * np.minimum(1.0, (moved + ENERGY_FLOOR) / (wanted + ENERGY_FLOOR))
    return {part: 100.0 * float(value) for part, value in zip(PARTS, means, strict=True)}


def move_score(parts: dict[str, float], offset_s: float) -> float:
    values = sorted(parts.values())
    pooled = values[:WORST_PARTS] if WORST_PARTS else values
    return float(np.mean(pooled)) * lateness(offset_s)
