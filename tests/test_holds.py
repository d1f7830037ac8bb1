"""Timed holds (edge/counting/hold.py): a real clip with a still stretch counts its seconds
within 1 s, published on the hold topic as `dancepose run` publishes them.

No clip we have holds a plank or a wall sit for long, so each is made of a real clip
(training/bench/made_clips.py): every turning point of its reps (a squat's bottom: a wall
sit; a push-up's top: a plank) is played back and forth for HOLD_S with its own jitter;
the truth is read from the body (its joint in the held half of its travel), not a counter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from edge.analyzers.base import Resources
from edge.analyzers.counting import CountingAnalyzer
from edge.counting.classifier import TfliteVotes
from edge.counting.events import HoldEvent, RepEvent
from edge.counting.hold import HoldTracker, make_tracker
from edge.counting.pack import PACK_VERSION, HoldSpec, PackError, find_pack, load_pack
from edge.publish.topics import hold_payload
from tests.conftest import shared_path, validator
from training.bench.made_clips import CLIPS, HOLDS, held_clips
from training.packs import hold_pack

HOLD_S = 10.0
TOLERANCE_S = 1.0  # the acceptance bar


@pytest.fixture(scope="module")
def hold_packs(tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    return {
        name: load_pack(hold_pack(name, find_pack(kind.pack).folder, out, kind.pose, HoldSpec()))
        for name, kind in HOLDS.items()
    }


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
    made = held_clips(track, HOLDS[exercise], HOLD_S)
    assert len(made) >= 2, clip
    for held in made:
        events = run_analyzer(hold_packs[exercise], track, held.order)
        assert not [e for e in events if isinstance(e, RepEvent)]  # a hold counts no reps
        holds = [e for e in events if isinstance(e, HoldEvent)]
        ended = [e for e in holds if e.ended and e.start_s <= held.first_s + 1
                 and e.end_s >= held.last_s - 1]  # fmt: skip
        assert len(ended) == 1, (clip, held.first_s, holds)
        assert abs(ended[0].held_s - held.truth_s) <= TOLERANCE_S, (clip, ended[0], held)
        # published like reps: every whole second from min_s on, then the end
        ours = [e for e in holds if e.number == ended[0].number]
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
    held = held_clips(track, HOLDS["wall_sit"], HOLD_S)[0]
    holds = [e for e in run_analyzer(hold_packs["wall_sit"], track, held.order)
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


def test_count_refuses_a_hold_in_one_line(clip_track, hold_packs):
    from edge.counting.clip import count_track

    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    with pytest.raises(PackError, match="is a hold") as error:
        count_track(track, hold_packs["wall_sit"])
    assert "\n" not in str(error.value)


def test_a_hold_pack_installed_beside_the_others_is_never_what_auto_counts(clip_track, hold_packs):
    """count --exercise auto with a wall sit (a copy of the squat pack's samples) installed
    beside the squat pack still names squats."""
    from edge.counting.clip import count_auto

    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    result = count_auto(track, [find_pack("squat"), hold_packs["wall_sit"]])
    assert (result.exercise, result.reps) == ("squat", 3)


def test_current_says_the_hold(clip_track, hold_packs):
    """`current` carries the newest hold's whole seconds and whether it is under way; a
    reset clears them."""
    from edge.app.state import DeviceState
    from edge.publish.topics import current_payload

    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    held = held_clips(track, HOLDS["wall_sit"], HOLD_S)[0]
    holds = [e for e in run_analyzer(hold_packs["wall_sit"], track, held.order)
             if isinstance(e, HoldEvent)]  # fmt: skip
    state = DeviceState("s", "count", "wall_sit", ("count",), ("wall_sit",), "wall_sit")
    now = datetime.now(UTC)
    for event in holds[:3]:
        state.apply(event, now)
    current = current_payload(state.shown(), 1.0)
    validator("current").validate(current)
    assert (current["hold_s"], current["holding"]) == (holds[2].seconds, True)
    for event in holds[3:]:
        state.apply(event, now)
    current = current_payload(state.shown(), 1.0)
    validator("current").validate(current)
    assert (current["hold_s"], current["holding"]) == (holds[-1].seconds, False)
    assert current["people"][0]["hold_s"] == holds[-1].seconds
    state.restart_count("wall_sit", "wall_sit")
    assert (state.shown().hold_s, state.shown().holding) == (None, False)


def test_training_packs_hold_makes_a_hold_pack(tmp_path, capsys):
    from training.packs import main

    assert main(["--out", str(tmp_path), "hold", "wall_sit", "--pack", "squat"]) == 0
    made = load_pack(tmp_path / "wall_sit")
    assert made.spec.hold == HoldSpec() and made.spec.count_class == "down"
    assert made.spec.version == PACK_VERSION
    capsys.readouterr()
    assert main(["--out", str(tmp_path), "hold", "x", "--pack", "squat", "--pose", "side"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "--pose 'side'" in error[0], error


def test_run_publishes_a_hold_over_mqtt(tmp_path, clip_track, hold_packs):
    """The pipeline `dancepose run` builds, with a wall sit installed beside the squat pack
    and named: its holds go out on the hold topic of a real broker, and `current` follows."""
    from edge.app.broadcast import Broadcaster
    from edge.app.pipeline import Pipeline
    from edge.app.state import DeviceState
    from tests.helpers import hold_topic

    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    held = held_clips(track, HOLDS["wall_sit"], HOLD_S)[1]
    packs = [find_pack("squat"), hold_packs["wall_sit"]]
    pipeline = Pipeline.build(None, packs, TfliteVotes, None, "count", "wall_sit")
    state = DeviceState("s", "count", "wall_sit", pipeline.modes, pipeline.exercises,
                        pipeline.active)  # fmt: skip
    with hold_topic(tmp_path) as (subscriber, publisher):
        broadcast = Broadcaster(state, publisher, None, lambda: {}, dance_interval_s=1.0)
        for k, i in enumerate(held.order):
            landmarks = track.landmarks[i] if track.present[i] else None
            broadcast.events(pipeline.process_landmarks(landmarks, k / track.fps).events)
            broadcast.current()
        broadcast.events(pipeline.finish().events)
        broadcast.current()
    holds = subscriber.of("hold")
    ended = [p for p in holds if p["ended"]]
    assert len(ended) == 1 and abs(ended[0]["held_s"] - held.truth_s) <= TOLERANCE_S
    assert [p["seconds"] for p in holds if not p["ended"]] == list(
        range(2, ended[0]["seconds"] + 1)
    )
    assert not subscriber.of("rep")
    shown = subscriber.retained("current")[-1] if subscriber.retained("current") else None
    currents = subscriber.of("current")
    assert currents[-1]["hold_s"] == ended[0]["seconds"] and not currents[-1]["holding"]
    assert any(c["holding"] for c in currents) and shown in (None, currents[-1])
