"""How each rep went (edge/counting/events.py RepQuality): its tempo follows the pace of
a real clip re-timed to half and double speed, and its range is relative to the set's
best rep."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest

from edge.app.state import DeviceState
from edge.counting.clip import count_any, count_track
from edge.counting.pack import installed_packs, load_pack
from edge.modes import ANY
from edge.publish.topics import current_payload, rep_payload
from tests.conftest import shared_path, validator
from tests.helpers import resampled
from training.bench.made_clips import BOTTOMS, shrinking_reps

SHARES = [1.0, 0.85, 0.7, 0.55, 0.4]  # of one real rep's travel, copy by copy


def reps(track, counter: str) -> list:
    if counter == ANY:
        result = count_any(track)
    else:
        result = count_track(track, load_pack(installed_packs()[counter]))
    return [e for e in result.events if not e.partial]


def with_tempo(events: list) -> list:
    """The reps with a tempo (one its neighbours cut short has none)."""
    return [e for e in events if e.down_s is not None]


@pytest.mark.parametrize(
    ("name", "counter"),
    [
        ("squat_side_3.mp4", ANY), ("squat_side_3.mp4", "squat"), ("pushup_side_4.mp4", ANY),
        ("pushup_side_4.mp4", "pushup"), ("goblet_squat_front_6.mp4", ANY),
        ("goblet_squat_front_6.mp4", "squat"), ("pushup_front_3.mp4", "pushup"),
    ],
)  # fmt: skip
def test_tempo_follows_the_pace(clip_track, name, counter):
    """Frames resampled to 0.5x and 2x the pace: every rep is still counted, and the
    median rep's down and up durations are each x2 and x0.5 within 10% (a pack's, timed on
    the body); `any`'s down + up (its cycles' split is off by up to 12% at 0.5x on
    squat_side_3 and pushup_front_3: docs/counting.md)."""
    track = clip_track(shared_path("data", "exercise_videos", name))
    normal = reps(track, counter)
    phases = [("down_s",), ("up_s",)] if counter != ANY else [("down_s", "up_s")]
    for speed in (0.5, 2.0):
        timed = reps(resampled(track, track.fps, speed=speed), counter)
        assert len(timed) == len(normal)
        for phase in phases:

            def median(events: list, phase: tuple[str, ...] = phase) -> float:
                return float(
                    np.median([sum(getattr(e, p) for p in phase) for e in with_tempo(events)])
                )

            assert median(timed) / median(normal) == pytest.approx(1 / speed, rel=0.1), phase


def test_range_and_velocity_loss_are_relative_to_the_sets_best(clip_track):
    """Goblet squats that grow shallower and slower: the best rep has range 1 and no
    velocity loss, the last ones less range and a loss."""
    track = clip_track(shared_path("data", "exercise_videos", "goblet_squat_front_6.mp4"))
    counted = reps(track, ANY)
    ranges = [e.range for e in counted]
    losses = [e.velocity_loss for e in counted]
    assert max(ranges) == 1.0 and all(0.0 < r <= 1.0 for r in ranges)
    assert min(losses) == 0.0 and all(0.0 <= v < 1.0 for v in losses)
    assert ranges[-1] < 0.9 and losses[-1] > 0.1


@pytest.mark.parametrize(
    ("name", "exercise", "counter"),
    [
        ("squat_side_3.mp4", "squat", ANY), ("squat_side_3.mp4", "squat", "squat"),
        ("pushup_side_4.mp4", "pushup", ANY), ("pushup_front_3.mp4", "pushup", ANY),
        ("pushup_side_4.mp4", "pushup", "pushup"),
    ],
)  # fmt: skip
def test_range_shows_reps_that_shrink(clip_track, name, exercise, counter):
    """One real rep played five times, each copy cut short of its bottom at SHARES of its
    travel (training/bench/made_clips.py): the range of the reps (counted or partial) it
    reports falls with them, and the shallowest is well short of the first."""
    track = clip_track(shared_path("data", "exercise_videos", name))
    made = shrinking_reps(track, BOTTOMS[exercise], 1, SHARES)
    if counter == ANY:
        events = count_any(made).events
    else:
        events = count_track(made, load_pack(installed_packs()[counter])).events
    ranges = [e.range for e in events]
    assert len(ranges) >= 3 and ranges[0] == 1.0
    assert all(b <= a + 0.05 for a, b in itertools.pairwise(ranges)), ranges
    assert ranges[-1] <= 0.8, ranges


def test_the_rep_topic_and_current_carry_how_the_rep_went(clip_track):
    """A real clip's reps: each rep payload carries its tempo and range within the schema,
    `current` the newest counted one's, and a reset clears them."""
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    events = count_any(track).events
    state = DeviceState("s", "count", ANY, ("count",), (ANY,), ANY)
    now = datetime.now(UTC)
    for event in events:
        payload = rep_payload(event, "s")
        validator("rep").validate(payload)
        assert payload["down_s"] > 0 and payload["up_s"] > 0 and 0 < payload["range"] <= 1
        state.apply(event, now)
    last = [e for e in events if not e.partial][-1]
    current = current_payload(state.shown(), 1.0)
    validator("current").validate(current)
    assert current["last_rep_range"] == round(last.range, 3)
    assert current["last_rep_down_s"] + current["last_rep_up_s"] == pytest.approx(
        last.end_s - last.start_s, abs=0.002
    )
    assert state.page(0, True)["last_rep_up_s"] == current["last_rep_up_s"]
    state.restart_count(ANY, ANY)
    assert state.shown().last_rep_range is None
