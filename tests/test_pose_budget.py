"""When the frame budget cannot hold everyone, people take turns (edge/pose/budget.py): the
decision as a pure function, the round robin, and a real composite through the real pose
models and the per-person analyzers with a budget nobody fits."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from edge.app.pipeline import Pipeline
from edge.counting.classifier import TfliteVotes
from edge.counting.events import RepEvent
from edge.counting.pack import installed_packs, load_pack
from edge.pose.budget import POSE_SHARE, PersonQuota, people_within
from edge.pose.litert_backend import LiteRtPoseEstimator
from edge.sources.opencv_source import OpenCvSource
from tests.conftest import shared_path
from training.bench.people_composite import Tile, write_composite


def test_people_within_a_budget() -> None:
    assert people_within(None, 8.0, 3) == 3  # no budget (a file): everyone
    assert people_within(30.0, None, 3) == 3  # nothing measured yet: everyone
    assert people_within(30.0, 8.0, 3) == 3  # 24 ms fits
    assert people_within(20.0, 8.0, 3) == 2  # 24 does not: as many as fit
    assert people_within(5.0, 8.0, 3) == 1  # never nobody: at least one a frame
    assert people_within(20.0, 8.0, 0) == 0


def test_turns_go_round_the_people_longest_waiting_first() -> None:
    quota = PersonQuota(people_per_frame=1)
    assert [quota.choose([4, 7, 9]) for _ in range(4)] == [{4}, {7}, {9}, {4}]
    assert quota.choose([4, 7, 9, 12]) == {12}  # someone just found goes first
    assert quota.choose([7, 9, 12]) == {7}  # 4 has gone; 7 waited longest
    two = PersonQuota(people_per_frame=2)
    assert [two.choose([1, 2, 3]) for _ in range(3)] == [{1, 2}, {3, 1}, {2, 3}]
    assert PersonQuota().choose([1, 2, 3]) == {1, 2, 3}  # no budget: everyone


def test_the_budget_is_a_live_sources_period_share_unless_configured() -> None:
    quota = PersonQuota()
    quota.measured(24.0, 3)  # 8 ms each
    assert quota.quota(3) == 3  # a file: no deadline
    quota.period_ms = 1000 / 30  # a 30 fps camera: 25 ms for the landmark runs
    assert quota.budget_ms == pytest.approx(POSE_SHARE * 1000 / 30)
    assert quota.quota(3) == 3 and quota.quota(4) == 3
    quota.measured(36.0, 3)  # slower frames raise the running mean, not at once
    assert 8.0 < quota.ms_per_person < 12.0  # type: ignore[operator]
    assert PersonQuota(frame_budget_ms=10.0).budget_ms == 10.0  # configured: always
    assert PersonQuota(people_per_frame=2).quota(5) == 2  # fixed: whatever was measured
    with pytest.raises(ValueError):
        PersonQuota(people_per_frame=-1)


# labels.csv's counts; both people stay in view to the end
CLIPS = {"goblet_squat_front_6.mp4": ("squat", 6), "pushup_side_4.mp4": ("pushup", 4)}


def test_two_people_over_budget_take_turns_and_keep_their_ids_and_counts(
    tmp_path, model_paths
) -> None:
    tiles = [Tile(shared_path("data", "exercise_videos", name)) for name in CLIPS]
    video = write_composite(tiles, tmp_path / "two_people.avi")
    # A budget nobody fits (a microsecond): one landmark run per frame once one is measured.
    # Deterministic: any measured run is longer.
    estimator = LiteRtPoseEstimator(
        model_paths.detector, model_paths.landmark, num_threads=2, max_people=2,
        quota=PersonQuota(frame_budget_ms=0.001),
    )  # fmt: skip
    packs = [load_pack(folder) for folder in installed_packs().values()]
    pipeline = Pipeline.build(estimator, packs, TfliteVotes, None, "count", "auto", None)
    source = OpenCvSource(str(video))
    pipeline.start_stream(source.fps)
    seen: Counter[int] = Counter()
    fresh: Counter[int] = Counter()
    counted: dict[int, list[str]] = defaultdict(list)
    frames, before = 0, set[int]()
    try:
        for frame in source.frames():
            result = pipeline.process(frame)
            frames += 1
            ran = {p.person for p in result.people if p.fresh}
            # the loop never waits for everyone: one run a frame, but for someone just found
            assert len(ran) <= 1 + len(ran - before), (frames, ran, before)
            before = {p.person for p in result.people}
            seen.update(p.person for p in result.people)
            fresh.update(ran)
            for rep in result.events:
                if isinstance(rep, RepEvent) and not rep.partial:
                    counted[rep.person].append(rep.exercise)
    finally:
        source.close()
    for rep in pipeline.finish().events:
        if isinstance(rep, RepEvent) and not rep.partial:
            counted[rep.person].append(rep.exercise)
    found = {}
    for person, exercises in counted.items():
        assert len(set(exercises)) == 1, f"person {person} counted {exercises}: counts mixed"
        found[exercises[0]] = (person, len(exercises))
    assert set(found) == {exercise for exercise, _ in CLIPS.values()}, found
    for exercise, truth in CLIPS.values():
        person, reps = found[exercise]
        assert abs(reps - truth) <= 1, (exercise, reps, truth)
        assert seen[person] > 0.85 * frames  # one id held through the clip
        assert 0.4 < fresh[person] / seen[person] < 0.6  # updated on every other frame
