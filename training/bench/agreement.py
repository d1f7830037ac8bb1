"""How closely two pose backends agree on a clip, the figures of docs/bench/pose.md.

Median landmark distance as a fraction of torso length (shoulder-midpoint to
hip-midpoint, from the reference), over frames where both found the person and joints
both call visible; and how often each finds a person where the other does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edge.pose.estimator import PoseEstimator
from edge.pose.track import track_from_video
from edge.skeleton import MIN_VISIBILITY, torso_length


@dataclass(frozen=True)
class Agreement:
    clip: str
    frames: int
    found_candidate: int
    found_reference: int
    found_both: int
    median_error_pct_torso: float  # NaN when there is nothing to compare
    candidate_recall_pct: float  # % of reference-found frames where the candidate found one
    reference_recall_pct: float  # and the other way round

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def run_on_clip(estimator: PoseEstimator, clip: Path) -> np.ndarray:
    """(T, 33, 4) landmarks from a freshly reset estimator; NaN rows where nobody was found."""
    return track_from_video(clip, estimator).landmarks


def errors_pct_torso(candidate: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each landmark's distance, as % of the reference's torso, over the frames where both
    found the person and the joints both call visible (1-D; empty when none)."""
    both = ~np.isnan(candidate[:, 0, 0]) & ~np.isnan(reference[:, 0, 0])
    ours, theirs = candidate[both], reference[both]
    visible = (ours[..., 3] > MIN_VISIBILITY) & (theirs[..., 3] > MIN_VISIBILITY)
    torso = torso_length(theirs)[:, None]
    distance = np.linalg.norm(ours[..., :2] - theirs[..., :2], axis=-1)
    usable = visible & (torso > 0)
    return 100 * (distance / np.where(torso > 0, torso, 1.0))[usable]


def compare(clip: str, candidate: np.ndarray, reference: np.ndarray) -> Agreement:
    """Agreement of two (T, 33, 4) landmark arrays (NaN rows = no person that frame)."""
    if candidate.shape != reference.shape:
        raise ValueError(f"{clip}: shapes differ, {candidate.shape} vs {reference.shape}")
    found_candidate = ~np.isnan(candidate[:, 0, 0])
    found_reference = ~np.isnan(reference[:, 0, 0])
    both = found_candidate & found_reference
    errors = errors_pct_torso(candidate, reference)
    n_both, n_cand, n_ref = int(both.sum()), int(found_candidate.sum()), int(found_reference.sum())
    return Agreement(
        clip=clip,
        frames=len(candidate),
        found_candidate=n_cand,
        found_reference=n_ref,
        found_both=n_both,
        median_error_pct_torso=float(np.median(errors)) if errors.size else float("nan"),
        candidate_recall_pct=100.0 * n_both / n_ref if n_ref else 100.0,
        reference_recall_pct=100.0 * n_both / n_cand if n_cand else 100.0,
    )
