"""A real clip played in a loop, as `dancepose run --loop` plays a file: no rep spans a
mode change or a reset (the counted frames before it and after it are apart)."""

from __future__ import annotations

import pytest

from edge.app.pipeline import Pipeline
from edge.counting.classifier import TfliteVotes
from edge.counting.pack import DEFAULT_PACKS_DIR, installed_packs, load_pack
from edge.dance.model import DEFAULT_DANCE_DIR
from edge.modes import ANY
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def squats(clip_track):
    return clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))


def looped(exercise: str, track, actions: dict[float, str]) -> list:
    """The reps of the clip played twice, counted with `exercise`; at each time in
    `actions` a mode is set (or the count reset) before that frame."""
    packs = [load_pack(folder) for folder in installed_packs(DEFAULT_PACKS_DIR).values()]
    pipeline = Pipeline.build(None, packs, TfliteVotes, DEFAULT_DANCE_DIR, "count", exercise)
    pipeline.start_stream(track.fps)
    duration = float(track.times_s[-1]) + 1.0 / track.fps
    pending = sorted(actions.items())
    reps = []
    for n in range(2):
        for i, clip_time in enumerate(track.times_s):
            time_s = n * duration + float(clip_time)
            while pending and pending[0][0] <= time_s:
                action = pending.pop(0)[1]
                pipeline.reset_count() if action == "reset" else pipeline.set_mode(action)
            landmarks = track.landmarks[i] if track.present[i] else None
            reps += pipeline.process_landmarks(landmarks, time_s).reps
    return reps + pipeline.finish().reps


def middle_of_a_rep(exercise: str, track) -> float:
    """Halfway through the 2nd rep the clip played twice counts (the 5th: the 2nd pass)."""
    rep = [r for r in looped(exercise, track, {}) if not r.partial][4]
    return (rep.start_s + rep.end_s) / 2


@pytest.mark.parametrize("exercise", [ANY, "squat"])
def test_no_rep_spans_a_moment_in_dance_mode(squats, exercise):
    paused = middle_of_a_rep(exercise, squats)
    resumed = paused + 1.0  # shorter than a break in the person's frames
    reps = looped(exercise, squats, {paused: "dance", resumed: "count"})
    assert not [r for r in reps if r.start_s < resumed and r.end_s > paused]
    counted = [r.count for r in reps if not r.partial]
    assert counted == list(range(1, len(counted) + 1)) and len(counted) >= 4


@pytest.mark.parametrize("exercise", [ANY, "squat"])
def test_no_rep_spans_a_reset(squats, exercise):
    reset = middle_of_a_rep(exercise, squats)
    after = [r for r in looped(exercise, squats, {reset: "reset"}) if r.time_s >= reset]
    assert after and all(r.start_s >= reset for r in after)
    assert next(r.count for r in after if not r.partial) == 1
