"""Follow the teacher: a routine recorded from one camera of a real AIST++ choreography,
followed by another camera of the same performance (right) and by another choreography
(wrong), through the CLI and through the follow mode of the device's pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from edge.app.broadcast import PAYLOADS
from edge.app.control import Control
from edge.app.pipeline import Pipeline
from edge.app.state import DeviceState, PersonEntered, PersonLeft
from edge.features.follow import PARTS
from edge.follow import routine
from edge.follow.align import Follower
from edge.follow.events import MoveEvent, RoutineSummary
from edge.follow.score import routine_score
from edge.keypoints_io import load_keypoints
from edge.publish.topics import current_payload
from tests.conftest import dancepose, shared_path, validator
from tests.helpers import assert_one_clear_line

FPS = "60"


def clip(name: str) -> Path:
    return shared_path("data", "aist_follow", f"{name}.npy")


@pytest.fixture(scope="module")
def routines(tmp_path_factory) -> Path:
    """models/routines-like folder holding ch07 as camera 1 saw it."""
    folder = tmp_path_factory.mktemp("routines")
    recorded = dancepose(
        "routine", "record", str(clip("ch07_c01")), "--fps", FPS, "--name", "ch07",
        "--out", str(folder / "ch07"),
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    return folder


def follow_json(routines: Path, name: str) -> list[dict]:
    result = dancepose("follow", str(routines / "ch07"), str(clip(name)), "--fps", FPS, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_record_writes_an_editable_routine_and_follow_scores_each_move(routines) -> None:
    moves = (routines / "ch07" / "moves.txt").read_text().splitlines()
    assert len([m for m in moves if not m.startswith("#")]) >= 4  # 12 s cut every ~2 s
    right = follow_json(routines, "ch07_c09")  # the same performance, another camera
    wrong = follow_json(routines, "ch08_c09")  # another choreography, the same camera
    *moves_right, summary = right
    assert summary["summary"] is True and summary["moves"] == len(moves_right)
    for move in moves_right:
        assert set(move) == {"move", "name", "score", "offset_ms", "parts", "worst"}
        assert set(move["parts"]) == set(PARTS) and move["worst"] in PARTS
        assert abs(move["offset_ms"]) <= 250  # the cameras were synchronised
    assert summary["score"] > wrong[-1]["score"] + 30


def test_the_routine_scores_its_worst_part_over_the_moves() -> None:
    good = {part: 80.0 for part in PARTS}
    slipped_once = [good, {**good, "left_arm": 0.0}, good]  # the left arm: 53 over the routine
    weak_throughout = [{**good, "right_leg": 60.0}] * 3  # the right leg: 60 over the routine
    assert routine_score(slipped_once, [0.0] * 3, 3) == pytest.approx(160 / 3)
    assert routine_score(weak_throughout, [0.0] * 3, 3) == pytest.approx(60.0)
    assert routine_score([good], [0.0], 3) == pytest.approx(80 / 3)  # left after one move
    assert routine_score([good] * 3, [1.0] * 3, 3) < 80.0 * 0.5  # a second late throughout
    assert routine_score([], [], 3) == 0.0


def test_edited_moves_are_read_back(routines, tmp_path) -> None:
    moves = tmp_path / "moves.txt"
    moves.write_text("# two moves\n0 5 intro\n5 11.5 the rest\n")
    out = tmp_path / "edited"
    result = dancepose(
        "routine", "record", str(clip("ch07_c01")), "--fps", FPS, "--name", "edited",
        "--out", str(out), "--moves", str(moves),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [m.name for m in routine.load(out).moves] == ["intro", "the rest"]


def test_a_frozen_arm_is_blamed_and_a_late_start_is_measured(routines) -> None:
    teacher = load_keypoints(clip("ch07_c01"), 60.0, 1920, 1080)
    followed = routine.load(routines / "ch07")
    frozen = teacher.landmarks.copy()
    frozen[:, [13, 15]] = frozen[0, [13, 15]]  # left elbow and wrist never move
    shift = 60  # one second late: the first frame held
    late = np.concatenate([np.repeat(teacher.landmarks[:1], shift, axis=0), teacher.landmarks])
    for landmarks, check in ((frozen, "frozen"), (late, "late")):
        follower = Follower(followed)
        events = [e for i, lm in enumerate(landmarks) for e in follower.push(lm, i / 60)]
        moves = [e for e in [*events, *follower.finish()] if isinstance(e, MoveEvent)]
        if check == "frozen":
            assert sum(m.worst == "left_arm" for m in moves) >= len(moves) - 1
        else:
            assert all(abs(m.offset_ms - 1000) <= 50 for m in moves), [m.offset_ms for m in moves]


def test_run_in_follow_mode_publishes_the_moves_follow_prints(routines) -> None:
    """One analyzer: the pipeline's follow mode, fed the clip frame by frame, publishes the
    very moves `dancepose follow --json` prints; `current` carries the routine and score."""
    printed = follow_json(routines, "ch07_c09")
    pipeline = Pipeline.build(None, [], lambda pack: None, None, "count", "any")
    pipeline.routines_dir = routines
    state = DeviceState("s", "count", "any", pipeline.modes, pipeline.exercises, "any")
    control = Control(pipeline, state)
    assert control.apply(b'{"action": "set_mode", "mode": "follow"}')[0] is False  # none yet
    assert control.apply(b'{"action": "set_routine", "routine": "ch07"}') == (True, None)
    assert control.apply(b'{"action": "set_mode", "mode": "follow"}') == (True, None)
    track = load_keypoints(clip("ch07_c09"), 60.0, 1920, 1080)
    events = []
    for index, time_s in enumerate(track.times_s):
        landmarks = track.landmarks[index] if track.present[index] else None
        events += pipeline.process_landmarks(landmarks, float(time_s)).events
    events += pipeline.finish().events
    published = []
    for event in events:
        if isinstance(event, PersonEntered | PersonLeft):  # the state's, never published
            state.apply(event, datetime.now(UTC))
            continue
        topic, build = PAYLOADS[type(event)]
        payload = build(event, "s", datetime.now(UTC))
        validator(topic).validate(payload)
        state.apply(event, datetime.now(UTC))
        published.append(event.as_json())
    assert published == printed
    assert all(
        isinstance(e, MoveEvent | RoutineSummary | PersonEntered | PersonLeft) for e in events
    )
    current = current_payload(state.shown(), t_s=None)
    validator("current").validate(current)
    last = [e for e in events if isinstance(e, MoveEvent)][-1]
    assert (current["routine"], current["last_move_score"]) == ("ch07", round(last.score, 1))
    assert current["analyzers"] == ["follow"]


def test_bad_input_is_one_clear_line(routines, tmp_path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "routine.json").write_text('{"version": 1}')  # the previous features
    result = dancepose("follow", str(old), str(clip("ch07_c02")), "--fps", FPS)
    assert_one_clear_line(result, "routine version 1", "record the routine again")
    nobody = tmp_path / "nobody.npy"
    np.save(nobody, np.full((120, 17, 3), np.nan, np.float32))
    result = dancepose("routine", "record", str(nobody), "--fps", FPS, "--name", "x",
                       "--out", str(tmp_path / "x"))  # fmt: skip
    assert_one_clear_line(result, "no person found")
    assert not (tmp_path / "x").exists()  # nothing half-written
    short = tmp_path / "short.npy"
    np.save(short, np.load(clip("ch07_c01"))[:20])
    result = dancepose("routine", "record", str(short), "--fps", FPS, "--name", "y",
                       "--out", str(tmp_path / "y"))  # fmt: skip
    assert_one_clear_line(result, "shorter than one move")
    assert not (tmp_path / "y").exists()
    pipeline = Pipeline.build(None, [], lambda pack: None, None, "count", "any")
    pipeline.routines_dir = routines
    state = DeviceState("s", "count", "any", pipeline.modes, pipeline.exercises, "any")
    ok, error = Control(pipeline, state).apply(b'{"action": "set_routine", "routine": "salsa"}')
    assert not ok and "unknown routine 'salsa'" in error and "ch07" in error


def test_dancepose_run_on_a_video_publishes_the_moves_follow_prints(tmp_path, model_paths):
    """Live = file, end to end: `run` in follow mode on a real dance clip publishes on the
    `move` topic exactly what `dancepose follow --json` prints for the same clip."""
    import subprocess
    import sys

    from tests.conftest import REPO, Subscriber, private_broker
    from tests.helpers import DEVICE

    video = shared_path("data", "dance_videos", "jacky_dance.mp4")  # 65 frames, one dancer
    routines_dir = tmp_path / "routines"
    recorded = dancepose(
        "routine", "record", str(video), "--name", "jacky", "--out", str(routines_dir / "jacky")
    )
    assert recorded.returncode == 0, recorded.stderr
    printed = dancepose("follow", str(routines_dir / "jacky"), str(video), "--json")
    assert printed.returncode == 0, printed.stderr
    expected = [json.loads(line) for line in printed.stdout.splitlines()]
    assert expected[-1]["summary"] is True
    config = tmp_path / "kiosk.toml"
    with private_broker() as broker:
        config.write_text(
            f'device_id = "{DEVICE}"\n[source]\nkind = "file"\npath = "{video}"\n'
            f'[mode]\nmode = "follow"\nroutines_dir = "{routines_dir}"\nroutine = "jacky"\n'
            f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nkeepalive = 5\n'
            f'[queue]\npath = "{tmp_path / "events.sqlite"}"\n[web]\nenabled = false\n'
        )
        viewer = Subscriber(broker, [f"dancepose/{DEVICE}/#"], client_id="t", clean=False)
        program = subprocess.run(
            [sys.executable, "-m", "edge.cli", "run", "--config", str(config)], cwd=REPO,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        try:
            assert program.returncode == 0, program.stderr
            assert viewer.wait_for(lambda s: any(m["summary"] for m in s.of("move")), 20)
        finally:
            viewer.close()
    moves = list({m["id"]: m for m in viewer.of("move")}.values())
    for payload in moves:
        validator("move").validate(payload)
    published = [
        {"summary": True, "score": m["score"], "moves": m["moves"]} if m["summary"] else
        {key: m[key] for key in ("move", "name", "score", "offset_ms", "worst", "parts")}
        for m in moves
    ]  # fmt: skip
    assert published == expected
    current = viewer.of("current")[-1]
    assert current["mode"] == "follow" and current["routine"] == "jacky"
    assert viewer.of("current")[0]["routine"] == "jacky"  # named from the start
