"""A hold ended by a command is published when the command is applied: set_mode to a mode
that does not count, reset_count, set_exercise. The hold topic's end message (ended, the
hold's exact length up to the last frame held) goes out before the next frame, through the
same path as `dancepose run`'s (edge/app/control.py -> the broadcaster -> a real broker),
and `current` says it, then what the command changed (a reset: no hold)."""

from __future__ import annotations

import pytest

from edge.app.broadcast import Broadcaster
from edge.app.control import Control
from edge.app.pipeline import Pipeline
from edge.app.state import DeviceState
from edge.counting.classifier import TfliteVotes
from edge.counting.events import HoldEvent
from edge.counting.pack import HoldSpec, find_pack, load_pack
from edge.dance.model import DEFAULT_DANCE_DIR
from tests.conftest import shared_path
from tests.helpers import hold_topic
from training.bench.made_clips import HOLDS, held_clips
from training.packs import hold_pack

HOLD_S = 10.0
HELD_WHEN_S = 3  # the command comes once the hold has lasted this many whole seconds


@pytest.fixture(scope="module")
def wall_sit(tmp_path_factory):
    kind = HOLDS["wall_sit"]
    out = tmp_path_factory.mktemp("packs")
    return load_pack(hold_pack("wall_sit", find_pack(kind.pack).folder, out, kind.pose, HoldSpec()))


@pytest.mark.parametrize(
    ("command", "shown_after"),
    [
        ('{"action": "set_mode", "mode": "dance"}', "the hold"),
        ('{"action": "reset_count"}', "no hold"),
        ('{"action": "set_exercise", "exercise": "squat"}', "no hold"),
    ],
)
def test_a_command_ends_the_hold_at_once(tmp_path, clip_track, wall_sit, command, shown_after):
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    held = held_clips(track, HOLDS["wall_sit"], HOLD_S)[1]
    pipeline = Pipeline.build(
        None, [find_pack("squat"), wall_sit], TfliteVotes, DEFAULT_DANCE_DIR, "count", "wall_sit"
    )
    state = DeviceState(
        "s", "count", "wall_sit", pipeline.modes, pipeline.exercises, pipeline.active
    )
    control = Control(pipeline, state)
    with hold_topic(tmp_path) as (subscriber, publisher):
        broadcast = Broadcaster(state, publisher, None, lambda: {}, dance_interval_s=1.0)
        control.broadcast = broadcast.events
        seen: list[HoldEvent] = []
        last_s = 0.0
        for k, i in enumerate(held.order):  # frames until the hold has lasted a while
            last_s = k / track.fps
            landmarks = track.landmarks[i] if track.present[i] else None
            events = pipeline.process_landmarks(landmarks, last_s).events
            broadcast.events(events)
            broadcast.current()
            seen += [e for e in events if isinstance(e, HoldEvent)]
            if seen and seen[-1].seconds >= HELD_WHEN_S:
                break
        assert seen and not seen[-1].ended and state.shown().holding, seen
        ok, error = control.apply(command.encode())  # between two frames, as run does
        assert ok, error
        broadcast.current()
    holds = subscriber.of("hold")
    ended = [p for p in holds if p["ended"]]
    assert len(ended) == 1 and ended[0]["hold"] == seen[-1].number
    assert ended[0]["end_s"] == pytest.approx(last_s, abs=1e-3)  # the last frame held
    assert ended[0]["seconds"] >= HELD_WHEN_S
    current = subscriber.of("current")[-1]
    if shown_after == "the hold":  # the mode changed: the last hold stays on show
        assert (current["hold_s"], current["holding"]) == (ended[0]["seconds"], False)
    else:  # the count starts again: no hold
        assert (current["hold_s"], current["holding"]) == (None, False)
    # the next frames do not publish that end again
    for k in range(len(held.order) // 2, len(held.order) // 2 + 30):
        i = held.order[k]
        assert not [
            e
            for e in pipeline.process_landmarks(track.landmarks[i], last_s + k / track.fps).events
            if isinstance(e, HoldEvent) and e.ended and e.number == ended[0]["hold"]
        ]
