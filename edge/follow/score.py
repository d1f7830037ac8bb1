"""How well a stretch of the student matches a stretch of the routine, per body part.

The features are joint heights above the hips in torso lengths, with the pose model's
confidence (edge/features/follow.py); an arm's joints are taken relative to their shoulder,
so a part is judged by its own motion (a frozen arm is the arm's fault, not the body's). A
part matches by
- how its motion correlates with the teacher's over the move (the heights less their mean
  over the move: a camera a little higher or lower than the teacher's adds an offset and a
  scale to the heights, which this ignores), r -1..1 as (1 + r) / 2, times
- how much of the teacher's motion it has: the ratio of their spreads (standard deviations),
  each plus FLOOR torso lengths (a part the teacher hardly moves asks for little), at most 1
  (moving more is not judged wrong here: another camera may see more of it),
both weighted by the confidences of the two clips (a joint the model is unsure of, in either
clip, counts less), times the share of the teacher's confidence the student's part was seen
on (not in view is not following). The move's score is its worst part's (POOL "worst"; or
the parts' "mean"), times a lateness factor: full within LATE_GRACE_S, falling off over
LATE_SCALE_S. The routine's score is pooled the same way from its parts: each part's mean
over the moves (a move never reached: 0), the worst part's, times the moves' mean lateness
factor (a part that matches badly in one move but well over the routine is not the
routine's fault; one that matches badly throughout is).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from edge.features.follow import CONFIDENCES, HEIGHTS, PART_COLUMNS, PART_ROOT_COLUMNS, PARTS

FLOOR: Final = 0.02  # torso lengths
POOL: Final = "worst"  # a move's score from its parts: "worst" or "mean"
LATE_GRACE_S: Final = 0.2
LATE_SCALE_S: Final = 0.3


def _relative(heights: np.ndarray, confidence: np.ndarray, part: str) -> tuple[np.ndarray, ...]:
    """(..., n, J) -> the part's heights relative to its root and their confidences."""
    columns, root = PART_COLUMNS[part], PART_ROOT_COLUMNS[part]
    if root < 0:
        return heights[..., columns], confidence[..., columns]
    relative = heights[..., columns] - heights[..., root, None]
    return relative, confidence[..., columns] * confidence[..., root, None]


def part_match(reference: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(n, F) and (lags, n, F) -> (lags, parts) 0..1: how each part matches, a window each
    (NaN rows in a window: frames not seen)."""
    out = np.empty((len(windows), len(PARTS)))
    student_conf = np.nan_to_num(windows[..., CONFIDENCES])
    for i, part in enumerate(PARTS):
        teacher, wanted = _relative(reference[..., HEIGHTS], reference[..., CONFIDENCES], part)
        student, had = _relative(windows[..., HEIGHTS], student_conf, part)
        seen = np.isfinite(student)
        coverage = (seen * wanted).sum(axis=(-2, -1)) / max(float(wanted.sum()), 1e-9)
        weight = wanted * np.where(seen, had, 0.0)
        student = np.where(seen, student, 0.0)
        total = weight.sum(axis=-2, keepdims=True)
        a = teacher - (weight * teacher).sum(axis=-2, keepdims=True) / np.maximum(total, 1e-9)
        b = student - (weight * student).sum(axis=-2, keepdims=True) / np.maximum(total, 1e-9)
        aa, bb = (weight * a * a).sum(axis=(-2, -1)), (weight * b * b).sum(axis=(-2, -1))
        correlation = (weight * a * b).sum(axis=(-2, -1)) / np.sqrt(aa * bb + 1e-12)
        mass = np.maximum(weight.sum(axis=(-2, -1)), 1e-9)
        share = (np.sqrt(bb / mass) + FLOOR) / (np.sqrt(aa / mass) + FLOOR)
        value = (1.0 + correlation) / 2 * np.minimum(share, 1.0) * coverage
        out[:, i] = np.where(weight.sum(axis=(-2, -1)) > 0, value, 0.0)
    return out


def lateness(offset_s: float) -> float:
    """0..1: 1 on time (within the grace), less the later or earlier."""
    late = max(abs(offset_s) - LATE_GRACE_S, 0.0) / LATE_SCALE_S
    return float(np.exp(-late * late))


def part_scores(reference: np.ndarray, student: np.ndarray) -> dict[str, float]:
    """(n, F) twice -> each part's 0..100."""
    means = part_match(reference, student[None])[0]
    return {part: 100.0 * float(value) for part, value in zip(PARTS, means, strict=True)}


def move_score(parts: dict[str, float], offset_s: float) -> float:
    values = list(parts.values())
    pooled = min(values) if POOL == "worst" else float(np.mean(values))
    return pooled * lateness(offset_s)


def routine_score(parts: list[dict[str, float]], offsets_s: list[float], moves: int) -> float:
    """The moves reached (their parts 0..100 and offsets) of a routine of `moves` -> 0..100."""
    if not parts:
        return 0.0
    means = np.array([list(p.values()) for p in parts]).sum(axis=0) / moves
    pooled = float(means.min()) if POOL == "worst" else float(means.mean())
    return pooled * float(np.mean([lateness(offset) for offset in offsets_s]))


def motion(features: np.ndarray, span: int) -> np.ndarray:
    """(T, F) -> (T,): how far the joints moved over the last `span` frames (the mean over
    the joints seen at both ends, torso lengths; 0 where there is no such pair)."""
    heights = features[:, HEIGHTS]
    before = np.concatenate([np.repeat(heights[:1], span, axis=0), heights[:-span]])
    step = np.abs(heights - before)
    seen = np.isfinite(step)
    return np.where(seen, step, 0.0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
