"""Sets and rest (edge/counting/sets.py): two real clips joined by 10 s of the person
standing still are two sets, each with its own reps, on the `set` topic and in `current`."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from edge.analyzers.base import Resources
from edge.analyzers.counting import CountingAnalyzer
from edge.app.state import DeviceState
from edge.counting.classifier import TfliteVotes
from edge.counting.events import RepEvent, SetEvent
from edge.counting.pack import installed_packs, load_pack
from edge.counting.sets import MIN_REST_S, SetTracker
from edge.counting.tracker import RepTracker
from edge.publish.topics import current_payload, set_payload
from tests.conftest import shared_path, validator

STILL_S = 10.0


def joined(first, second) -> list[tuple[np.ndarray | None, float]]:
    """(landmarks, time) of `first`, its last pose held still for STILL_S, then `second`."""
    frames = [(first.landmarks[i] if first.present[i] else None, float(first.times_s[i]))
              for i in range(first.num_frames)]  # fmt: skip
    still = first.landmarks[np.flatnonzero(first.present)[-1]]
    t = frames[-1][1]
    step = 1.0 / first.fps
    frames += [(still, t + k * step) for k in range(1, round(STILL_S / step) + 1)]
    t = frames[-1][1] + step
    frames += [(second.landmarks[i] if second.present[i] else None, t + float(second.times_s[i]))
               for i in range(second.num_frames)]  # fmt: skip
    return frames


@pytest.fixture(scope="module")
def squat_sets(clip_track) -> list:
    """squat_side_3 (3 squats), 10 s still, goblet_squat_front_6 (6), counted with the squat
    pack as `dancepose run` counts: the counting analyzer's events."""
    videos = shared_path("data", "exercise_videos")
    frames = joined(clip_track(videos / "squat_side_3.mp4"),
                    clip_track(videos / "goblet_squat_front_6.mp4"))  # fmt: skip
    pack = load_pack(installed_packs()["squat"])
    resources = Resources(lambda: {"squat": RepTracker(pack, TfliteVotes(pack))}, ("squat",), None)
    analyzer = CountingAnalyzer(resources, "squat", 30.0)
    events = []
    for landmarks, time_s in frames:
        events += analyzer.update(landmarks, time_s)
    return events + analyzer.finish()


def test_two_clips_apart_by_a_rest_are_two_sets(squat_sets):
    sets = [e for e in squat_sets if isinstance(e, SetEvent)]
    assert [(s.number, s.reps) for s in sets] == [(1, 3), (2, 6)]
    reps = [e for e in squat_sets if isinstance(e, RepEvent) and not e.partial]
    assert len(reps) == 9
    first, second = sets
    assert first.rest_s is None and second.rest_s >= STILL_S
    assert first.time_s - first.end_s >= MIN_REST_S  # ended by the rule, not the stream
    for s in sets:
        assert s.mean_down_s is not None and s.mean_up_s > 0 and 0 < s.mean_range <= 1


def test_the_set_topic_and_current(squat_sets):
    state = DeviceState("s", "count", "squat", ("count",), ("squat",), "squat")
    now = datetime.now(UTC)
    for event in squat_sets:
        if isinstance(event, SetEvent):
            payload = set_payload(event, "s")
            validator("set").validate(payload)
            assert payload["duration_s"] == pytest.approx(event.end_s - event.start_s, abs=1e-3)
        state.apply(event, now)
    current = current_payload(state.shown(), 1.0)
    validator("current").validate(current)
    assert current["set_number"] == 2 and current["rest_s"] >= STILL_S
    state.restart_count("squat", "squat")
    assert (state.shown().set_number, state.shown().rest_s) == (0, None)


def test_a_partial_rep_does_not_keep_a_set_open():
    def rep(end_s: float, partial: bool = False) -> RepEvent:
        return RepEvent("any", 1, end_s, end_s - 1.0, end_s, 1.0, partial=partial)

    sets = SetTracker()
    assert sets.update([rep(1.0), rep(2.0)], 2.0) is None
    assert sets.update([rep(5.0, partial=True)], 5.0) is None
    ended = sets.update([], 2.0 + MIN_REST_S + 0.1)
    assert ended is not None and (ended.reps, ended.partial) == (2, 1)
    assert sets.finish(20.0) is None


# Pairs of real clips for `any`, each joined by STILL_S of the first one's last pose.
ANY_PAIRS = [
    ("jumping_jack_front_4.mp4", "squat_side_3.mp4"),
    ("goblet_squat_front_6.mp4", "situp_decline_7.mp4"),
    ("squat_side_3.mp4", "goblet_squat_front_6.mp4"),
    ("pushup_side_4.mp4", "pushup_front_3.mp4"),
]  # fmt: skip


@pytest.mark.parametrize(("first", "second"), ANY_PAIRS)
def test_two_sets_counted_by_any(clip_track, first, second):
    """Pack-free: two sets, each with the reps `any` counts on its clip alone."""
    from edge.counting.clip import count_any

    videos = shared_path("data", "exercise_videos")
    tracks = [clip_track(videos / name) for name in (first, second)]
    analyzer = CountingAnalyzer(Resources(dict, (), None), "any", 30.0)
    events = []
    for landmarks, time_s in joined(*tracks):
        events += analyzer.update(landmarks, time_s)
    sets = [e for e in events + analyzer.finish() if isinstance(e, SetEvent)]
    alone = [count_any(track).reps for track in tracks]
    assert [(s.number, s.reps) for s in sets] == [(1, alone[0]), (2, alone[1])]
    assert sets[1].rest_s >= STILL_S - 1.0  # cycles end within a second of a clip's edge
