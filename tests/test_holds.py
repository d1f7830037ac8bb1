"""Timed holds (edge/counting/hold.py): a real clip with a still stretch counts its seconds
within 1 s, published on the hold topic as `dancepose run` publishes them.

No clip we have holds a plank or a wall sit for long, so each one is made of a real clip:
at every turning point of its reps (a squat's bottom: a wall sit; a push-up's top: a
plank) the real frames of that turning point are played back and forth for HOLD_S, with
their own jitter. What the hold should measure is read from the body, not the counter: the
stretch of the stream where the pose's joint (hips, shoulders) is in the held half of its
travel, around the inserted frames.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from edge.analyzers.base import Resources
from edge.analyzers.counting import CountingAnalyzer
from edge.counting.classifier import TfliteVotes
from edge.counting.events import HoldEvent, RepEvent
from edge.counting.hold import HoldTracker, make_tracker
from edge.counting.pack import PACK_VERSION, HoldSpec, PackError, find_pack, load_pack
from edge.publish.topics import hold_payload
from edge.skeleton import JOINT, MIDPOINTS
from tests.conftest import shared_path, validator
from training.packs import hold_pack

HOLD_S = 10.0
TOLERANCE_S = 1.0  # the acceptance bar
# hold exercise -> (the pack it is made of, the class held, the joint pair that shows it,
# +1: the held pose is where that joint is lowest in the image, -1: highest)
HOLDS = {
    "wall_sit": ("squat", "down", "mid_hip", 1.0),
    "plank": ("pushup", "up", "neck", -1.0),
}
CLIPS = [
    ("squat_side_3.mp4", "wall_sit"),
    ("goblet_squat_front_6.mp4", "wall_sit"),
    ("pushup_side_4.mp4", "plank"),
    ("pushup_front_3.mp4", "plank"),
]


@pytest.fixture(scope="module")
def hold_packs(tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    return {
        name: load_pack(hold_pack(name, find_pack(source).folder, out, pose, HoldSpec()))
        for name, (source, pose, _, _) in HOLDS.items()
    }


def depth_of(track, joints: str, sign: float) -> np.ndarray:
    """How far into the held pose each frame is (image pixels; NaN: nobody)."""
    pair = np.array([JOINT[name] for name in MIDPOINTS[joints]])
    y = sign * track.landmarks[:, pair, 1].mean(1)
    return np.where(track.present, y, np.nan)


def turning_points(depth: np.ndarray) -> tuple[list[tuple[int, int]], float]:
    """Each rep's turning point, as the frames within 10% of its travel of its extreme;
    and the depth halfway between the start pose and the deepest point."""
    rest, deepest = np.nanpercentile(depth, 10), np.nanmax(depth)
    half = rest + 0.5 * (deepest - rest)
    deep = np.nan_to_num(depth, nan=rest) > half
    blocks, i = [], 0
    while i < len(deep):
        if not deep[i]:
            i += 1
            continue
        j = i
        while j < len(deep) and deep[j]:
            j += 1
        peak = i + int(np.nanargmax(depth[i:j]))
        near = depth[peak] - 0.1 * (depth[peak] - rest)
        lo, hi = peak, peak + 1
        while lo > i and depth[lo - 1] >= near:
            lo -= 1
        while hi < j and depth[hi] >= near:
            hi += 1
        blocks.append((lo, hi))
        i = j
    return blocks, half


def held_stream(track, lo: int, hi: int) -> tuple[list[int], int, int]:
    """Frame indices: the clip with frames lo..hi played back and forth for HOLD_S in
    place of them; and where the inserted stretch starts and ends in the stream."""
    block = list(range(lo, hi)) + list(range(hi - 2, lo, -1))
    n = round(HOLD_S * track.fps)
    inserted = [block[k % len(block)] for k in range(n)]
    return [*range(lo), *inserted, *range(hi, track.num_frames)], lo, lo + n


def true_hold_s(track, depth: np.ndarray, half: float, order: list[int], a: int, b: int):
    """The stretch of the stream around the inserted frames in the held half of the travel."""
    deep = np.nan_to_num(depth[order], nan=-np.inf) >= half
    while a > 0 and deep[a - 1]:
        a -= 1
    while b < len(order) and deep[b]:
        b += 1
    return (b - a) / track.fps


def run_analyzer(pack, track, order: list[int]) -> list:
    """The counting analyzer with the hold pack as the exercise, frame by frame."""
    packs = {pack.name: pack}
    resources = Resources(
        lambda: {n: make_tracker(p, TfliteVotes(p)) for n, p in packs.items()}, (pack.name,), None
    )
    analyzer = CountingAnalyzer(resources, pack.name, track.fps)
    events = []
    for k, i in enumerate(order):
        landmarks = track.landmarks[i] if track.present[i] else None
        events += analyzer.update(landmarks, k / track.fps)
    return events + analyzer.finish()


@pytest.mark.parametrize(("clip", "exercise"), CLIPS)
def test_a_still_stretch_counts_its_seconds(clip_track, hold_packs, clip, exercise):
    track = clip_track(shared_path("data", "exercise_videos", clip))
    _, _, joints, sign = HOLDS[exercise]
    depth = depth_of(track, joints, sign)
    blocks, half = turning_points(depth)
    assert len(blocks) >= 2, clip
    for lo, hi in blocks:
        order, a, b = held_stream(track, lo, hi)
        truth = true_hold_s(track, depth, half, order, a, b)
        events = run_analyzer(hold_packs[exercise], track, order)
        assert not [e for e in events if isinstance(e, RepEvent)]  # a hold counts no reps
        holds = [e for e in events if isinstance(e, HoldEvent)]
        first, last = a / track.fps, b / track.fps  # the inserted stretch
        ended = [e for e in holds if e.ended and e.start_s <= first + 1 and e.end_s >= last - 1]
        assert len(ended) == 1, (clip, lo, holds)
        ours = [e for e in holds if e.number == ended[0].number]
        assert abs(ended[0].held_s - truth) <= TOLERANCE_S, (clip, lo, ended[0], truth)
        # published like reps: every whole second from min_s on, then the end
        seconds = [e.seconds for e in ours if not e.ended]
        min_s = hold_packs[exercise].spec.hold.min_s
        assert seconds == list(range(int(min_s), int(ended[0].held_s) + 1)), seconds
        assert ended[0].seconds == int(ended[0].held_s)


def test_reps_are_not_holds(clip_track, hold_packs):
    """A squat's natural bottoms (about a second) are not wall sits: nothing published."""
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    events = run_analyzer(hold_packs["wall_sit"], track, list(range(track.num_frames)))
    assert not [e for e in events if isinstance(e, HoldEvent | RepEvent)]


def test_the_hold_topic(clip_track, hold_packs):
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    blocks, _ = turning_points(depth_of(track, "mid_hip", 1.0))
    order, _, _ = held_stream(track, *blocks[0])
    holds = [e for e in run_analyzer(hold_packs["wall_sit"], track, order)
             if isinstance(e, HoldEvent)]  # fmt: skip
    now = datetime.now(UTC)
    for event in holds:
        payload = hold_payload(event, "s", now=now)
        validator("hold").validate(payload)
        assert payload["hold"] == 1 and payload["exercise"] == "wall_sit"
    assert [e.ended for e in holds].count(True) == 1 and holds[-1].ended


def test_auto_never_picks_a_hold(hold_packs):
    tracker = make_tracker(hold_packs["plank"], TfliteVotes(hold_packs["plank"]))
    assert isinstance(tracker, HoldTracker) and tracker.count == 0


def test_old_packs_load_and_newer_ones_are_refused(tmp_path):
    """Packs without a format version (every pack before holds) still load, as version 1;
    a newer version, or a hold in a version 1 pack, is one clear line."""
    installed = find_pack("squat")
    data = json.loads((installed.folder / "pack.json").read_text())
    assert "version" not in data and installed.spec.version == 1
    folder = tmp_path / "squat"
    folder.mkdir()
    (folder / "classifier.tflite").write_bytes(
        (installed.folder / "classifier.tflite").read_bytes()
    )
    for changes, needle in [
        ({"version": PACK_VERSION + 1}, "update dancepose or rebuild the pack"),
        ({"hold": {"tolerance": 0.2}}, '`hold` needs "version": 2'),
        ({"version": 2, "hold": {"tolerance": -1}}, "hold.tolerance must be > 0"),
        ({"version": 2, "hold": {"seconds": 3}}, "unexpected keyword argument 'seconds'"),
    ]:
        (folder / "pack.json").write_text(json.dumps({**data, **changes}))
        with pytest.raises(PackError, match=r"pack\.json") as error:
            load_pack(folder)
        assert needle in str(error.value) and "\n" not in str(error.value)
