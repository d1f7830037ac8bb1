"""What the kiosk page gets for follow mode and for a rest, without a browser: the teacher's
pose a recorded routine keeps (pose.npy), GET /api/routine, a move's one-line hint, and
the view's clocks (where the teacher is, how long the rest lasts). The page itself in a
browser: test_web_browser.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from edge.counting.events import RepEvent, SetEvent
from edge.follow import routine, teacher
from edge.follow.events import MoveEvent, RoutineSummary
from edge.follow.hint import LOW_MATCH, move_hint
from edge.follow.score import LATE_GRACE_S
from edge.skeleton import BONES, JOINT
from tests.conftest import dancepose, shared_path
from tests.helpers import make_state, request, routine_kiosk

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """ch07 as AIST++'s camera 1 saw it (real keypoints, 60 fps), recorded as a routine."""
    folder = tmp_path_factory.mktemp("routines") / "ch07"
    clip = shared_path("data", "aist_follow", "ch07_c01.npy")
    result = dancepose(
        "routine", "record", str(clip), "--fps", "60", "--name", "ch07", "--out", str(folder)
    )
    assert result.returncode == 0, result.stderr
    return folder


def test_a_recorded_routine_keeps_the_teacher_to_draw(recorded) -> None:
    followed = routine.load(recorded)
    pose = teacher.load(recorded, len(followed.features))
    assert pose is not None and pose.shape == (len(followed.features), 33, 2)
    hips = (pose[:, JOINT["left_hip"]] + pose[:, JOINT["right_hip"]]) / 2
    shoulders = (pose[:, JOINT["left_shoulder"]] + pose[:, JOINT["right_shoulder"]]) / 2
    torso = np.linalg.norm(shoulders - hips, axis=-1)
    assert np.median(torso) == pytest.approx(1.0, abs=0.01)  # in the teacher's torso lengths
    assert np.abs(np.median(hips, axis=0)).max() < 0.01  # around the teacher's place
    assert np.ptp(pose[:, JOINT["left_wrist"], 1]) > 0.5  # and it dances: the arms move
    # a pose that does not fit the routine is not drawn (the routine is followed as before)
    assert teacher.load(recorded, len(followed.features) + 1) is None


def test_the_page_gets_the_routine_it_draws(recorded, tmp_path) -> None:
    followed: list = [None]
    with routine_kiosk(followed) as web:
        status, body = request(web.url + "api/routine")
        assert status == 404 and json.loads(body) == {"error": "no routine selected"}
        followed[0] = recorded
        status, body = request(web.url + "api/routine")
        assert status == 200
        answer = json.loads(body)
        loaded = routine.load(recorded)
        assert answer["routine"] == "ch07"
        assert [m["name"] for m in answer["moves"]] == [m.name for m in loaded.moves]
        assert answer["moves"][-1]["end_s"] == loaded.moves[-1].end_s
        assert answer["pose_fps"] == 30.0  # a 60 fps routine is sent at 30
        assert len(answer["pose"]) == (len(loaded.features) + 1) // 2
        assert len(answer["pose"][0]) == 66  # x, y of the 33 landmarks
        assert answer["bones"] == [[JOINT[a], JOINT[b]] for a, b in BONES]
        # a routine recorded before the teacher was kept: still followed, nobody drawn
        old = tmp_path / "old"
        old.mkdir()
        for name in ("routine.json", "features.npy", "moves.txt"):
            (old / name).write_bytes((recorded / name).read_bytes())
        followed[0] = old
        status, body = request(web.url + "api/routine")
        assert status == 200 and json.loads(body)["pose"] is None
        # a folder that is not a routine: one line naming it
        followed[0] = tmp_path / "gone"
        status, body = request(web.url + "api/routine")
        assert status == 404 and "not a routine folder" in json.loads(body)["error"]


def move(score_by_part: dict[str, float], offset_ms: float) -> MoveEvent:
    worst = min(score_by_part, key=score_by_part.__getitem__)
    return MoveEvent("r", 2, "move 3", 50.0, offset_ms, score_by_part, worst, 10.0)


def test_a_move_is_told_in_one_line() -> None:
    good = {"left_arm": 90.0, "right_arm": 85.0, "torso": 95.0}
    assert move_hint(move(good, 0.0)) == "well done"
    low = {**good, "left_arm": LOW_MATCH - 1}
    assert move_hint(move(low, 0.0)) == "left arm: low match"
    late_ms = 1000 * LATE_GRACE_S + 200
    assert move_hint(move(good, late_ms)) == f"{late_ms / 1000:.1f} s late"
    assert move_hint(move(low, -late_ms)) == f"left arm: low match · {late_ms / 1000:.1f} s early"
    assert move_hint(move(good, 1000 * LATE_GRACE_S)) == "well done"  # within the grace


def test_the_view_places_the_teacher_and_times_the_rest() -> None:
    """routine_t_s: the round's time since its first frame with a person, less the newest
    move's offset; resting_s: since the newest set's end until the next rep."""
    state = make_state("follow")
    state.frame(5.0, present=False)
    assert state.page(0, True)["routine_t_s"] is None  # nobody yet: no round
    epoch = state.page_epoch
    state.frame(5.5, present=True)  # the round starts: the page gets a view
    assert state.page_epoch == epoch + 1
    state.frame(7.0, present=True)
    assert state.page(0, True)["routine_t_s"] == 1.5
    assert state.page_epoch == epoch + 1  # a frame of the same round changes no view
    parts = {"left_arm": 30.0, "right_arm": 90.0, "left_leg": 80.0, "right_leg": 85.0,
             "torso": 95.0}  # fmt: skip
    state.apply(MoveEvent("r", 0, "move 1", 62.0, 300.0, parts, "left_arm", 7.0), NOW)
    view = state.page(0, True)
    assert view["routine_t_s"] == 1.2  # the student runs 0.3 s late: so does the teacher
    assert view["last_move"] == {
        "index": 0, "name": "move 1", "score": 62.0, "offset_ms": 300, "worst": "left_arm",
        "hint": "left arm: low match · 0.3 s late",
    }  # fmt: skip
    state.apply(RoutineSummary("r", 70.0, 1, 8.0), NOW)
    view = state.page(0, True)
    assert (view["routine_t_s"], view["last_move"]) == (None, None)  # the round is over
    assert view["routine_score"] == state.shown().routine_score == 70.0
    state.set_mode("count")
    state.apply(SetEvent("squat", 1, 3, 0, 1.0, 6.0, 14.0, None, 1.0, 1.2, 0.9), NOW)
    state.frame(20.0)
    view = state.page(0, True)
    assert (view["resting_s"], view["last_set_reps"]) == (14.0, 3)
    assert state.shown().last_set_reps == 3  # what Home Assistant reads,
    # and when the rest began: the set's end, 8 s (14 - 6) before the set was known
    assert state.shown().rest_since == "2026-01-02T03:03:57.000Z"  # NOW less 8 s
    state.apply(RepEvent("squat", 4, 21.0, 20.0, 21.0, 0.9), NOW)
    assert state.page(0, True)["resting_s"] is None  # a rep: the rest is over
    assert state.shown().rest_since is None
