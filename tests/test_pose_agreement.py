"""Our LiteRT BlazePose pipeline against MediaPipe's own, on every real exercise clip."""

from __future__ import annotations

import pytest

from edge.pose.estimator import create_estimator
from training.bench.agreement import compare, run_on_clip


@pytest.fixture(scope="module")
def mediapipe():
    estimator = create_estimator("mediapipe")
    yield estimator
    estimator.close()


def test_agreement_with_mediapipe_on_every_exercise_clip(mediapipe, clip_track, exercise_clips):
    """Ours: the session's LiteRT keypoints of each clip (clip_track, the same pipeline the
    counting tests read, computed once per session); theirs: mp.solutions.pose."""
    assert len(exercise_clips) >= 11
    failures = []
    for clip in exercise_clips:
        ours = clip_track(clip).landmarks
        figures = compare(clip.name, ours, run_on_clip(mediapipe, clip))
        print(
            f"{clip.name}: median {figures.median_error_pct_torso:.2f}% of torso, "
            f"litert finds {figures.candidate_recall_pct:.1f}% of mediapipe's frames, "
            f"mediapipe {figures.reference_recall_pct:.1f}% of litert's"
        )
        assert figures.found_both > 0, f"{clip.name}: no frame where both found the person"
        if not (
            figures.median_error_pct_torso <= 3.0
            and figures.candidate_recall_pct >= 95.0
            and figures.reference_recall_pct >= 95.0
        ):
            failures.append(figures)
    assert not failures, failures
