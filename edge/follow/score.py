"""How well a stretch of the student matches a stretch of the routine, per body part.

A part's score (MATCH): how its vertical motion over the move correlates with the teacher's
("correlation"), or the mean over the frames of exp(-K * d^2), d^2 the mean squared
difference of the part's features in torso lengths ("pose"); a part not seen scores 0 (not
in view is not following). The move's score is the mean over its WORST_PARTS worst parts
(0: all), times a lateness factor: full within LATE_GRACE_S, falling off over LATE_SCALE_S.
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
# "correlation": a part matches as its vertical motion over the move correlates with the
# teacher's (any camera at the teacher's height sees the same y; a part that does not move
# correlates 0); "pose": the mean of exp(-K d^2) over the frames (the same view only).
MATCH: Final = "pose"
STILL_TEACHER: Final = 0.05  # torso lengths: a part of the teacher moving less is not judged
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


def part_match(reference: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(n, F) and (lags, n, F) -> (lags, parts) 0..1: how each part matches (MATCH)."""
    if MATCH == "pose":
        return frame_similarity(reference, windows).mean(axis=-2)
    out = np.empty((len(windows), len(PARTS)))
    for i, part in enumerate(PARTS):
        columns = PART_SLICES[part]
        teacher = reference[:, columns][:, 1::2]
        teacher = teacher - teacher.mean(axis=0)
        if np.sqrt((teacher**2).mean()) < STILL_TEACHER:
            out[:, i] = 1.0  # nothing to follow: not judged
            continue
        student = windows[:, :, columns][:, :, 1::2]
        with np.errstate(all="ignore"):
            student = np.nan_to_num(student - np.nanmean(student, axis=1, keepdims=True))
        covariance = (teacher * student).sum(axis=(1, 2))
        spread = np.sqrt((teacher**2).sum() * (student**2).sum(axis=(1, 2))) + 1e-9
        out[:, i] = np.clip(covariance / spread, 0.0, 1.0)
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


def part_scores(reference: np.ndarray, student: np.ndarray) -> dict[str, float]:
    """(n, F) twice -> each part's 0..100; in "pose" matching a part that moves less than
    the teacher's (a frozen arm, standing still) scores that much less (ENERGY_CHECK)."""
    means = part_match(reference, student[None])[0]
    if MATCH == "pose" and ENERGY_CHECK and len(reference) > 1:
        moved = part_energy(student)
        wanted = part_energy(reference)
        means = means * np.minimum(1.0, (moved + ENERGY_FLOOR) / (wanted + ENERGY_FLOOR))
    return {part: 100.0 * float(value) for part, value in zip(PARTS, means, strict=True)}


def move_score(parts: dict[str, float], offset_s: float) -> float:
    values = sorted(parts.values())
    pooled = values[:WORST_PARTS] if WORST_PARTS else values
    return float(np.mean(pooled)) * lateness(offset_s)
