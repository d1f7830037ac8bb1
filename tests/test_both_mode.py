"""`both` mode on real clips through the pipeline (edge/app/arbiter.py's rule): a dance the
model names is not counted as reps, a set of squats keeps every rep and is not named a
dance, and the published count (stats, kiosk) is what subscribers received.

The dance clip is AIST++ keypoints the shipped model trained on (a sanity check of the
wiring; held-out figures: docs/bench/both.md). The squat clip is real video through our
BlazePose.
"""

from __future__ import annotations

from edge.app.pipeline import Pipeline
from edge.counting.classifier import TfliteVotes
from edge.counting.pack import DEFAULT_PACKS_DIR, installed_packs, load_pack
from edge.dance.classifier import NONE
from edge.dance.model import DEFAULT_DANCE_DIR
from edge.keypoints_io import KeypointTrack
from edge.modes import AUTO
from tests.conftest import shared_path
from tests.helpers import aist_house_track


def run(track: KeypointTrack, mode: str) -> tuple[Pipeline, list, list]:
    """(pipeline, published reps, published dance verdicts) of a whole clip."""
    packs = [load_pack(folder) for folder in installed_packs(DEFAULT_PACKS_DIR).values()]
    pipeline = Pipeline.build(None, packs, TfliteVotes, DEFAULT_DANCE_DIR, mode, AUTO)
    pipeline.start_stream(track.fps)
    reps, verdicts = [], []
    for i, time_s in enumerate(track.times_s):
        landmarks = track.landmarks[i] if track.present[i] else None
        result = pipeline.process_landmarks(landmarks, float(time_s))
        reps += result.reps
        verdicts += [result.dance] if result.dance is not None else []
    return pipeline, reps + pipeline.finish().reps, verdicts


def test_a_named_dance_is_not_counted_as_reps():
    track = aist_house_track()

    _, counted, _ = run(track, "count")
    assert len(counted) >= 10  # pack-free counting alone counts the dance's cycles
    pipeline, reps, verdicts = run(track, "both")
    assert reps == [] and pipeline.tally() == (0, 0)
    assert len(pipeline.arbiter.withheld) == len(counted)  # each judged a dance step
    assert sum(v.genre == "gHO" for v in verdicts) > 0.9 * len(verdicts)
    pipeline.set_mode("count")  # leaving both mode does not count the dance steps after all
    assert pipeline.tally() == (0, 0)
    pipeline.reset_count()
    assert not pipeline.arbiter.withheld and pipeline.tally() == (0, 0)


def test_a_set_of_squats_keeps_every_rep_and_is_not_named_a_dance(clip_track):
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    _, counted, _ = run(track, "count")
    pipeline, reps, verdicts = run(track, "both")
    assert [(r.exercise, r.count) for r in reps] == [(r.exercise, r.count) for r in counted]
    assert [r.count for r in reps if not r.partial] == [1, 2, 3]
    assert pipeline.tally()[0] == 3 and not pipeline.arbiter.withheld
    assert verdicts and all(v.genre == NONE for v in verdicts)
