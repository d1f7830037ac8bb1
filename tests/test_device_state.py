"""DeviceState, made only of the events that are published and of what commands did, says
what the counters say: frame by frame on real clips, in every mode, through resets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.app.pipeline import Pipeline
from edge.app.state import PERSON_GONE_S, DeviceState, PersonLeft
from edge.counting.classifier import TfliteVotes
from edge.counting.events import RepEvent
from edge.counting.pack import installed_packs, load_pack
from edge.dance.classifier import DanceEvent
from edge.dance.model import DEFAULT_DANCE_DIR
from edge.modes import MODES
from edge.overlay import person_color
from tests.conftest import shared_path
from tests.helpers import aist_house_track

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def device(mode: str, exercise: str = "auto") -> tuple[Pipeline, DeviceState]:
    packs = [load_pack(folder) for folder in installed_packs().values()]
    pipeline = Pipeline.build(None, packs, TfliteVotes, DEFAULT_DANCE_DIR, mode, exercise)
    state = DeviceState("s", mode, exercise, pipeline.modes, pipeline.exercises, pipeline.active)
    return pipeline, state


def assert_agree(pipeline: Pipeline, state: DeviceState) -> None:
    shown = state.shown()
    counted = pipeline.tally()
    assert (shown.count, shown.partial_count) == counted
    assert shown.exercise == pipeline.active
    assert shown.phase == pipeline.phase


def play(pipeline: Pipeline, state: DeviceState, track, until: int | None = None) -> None:
    pipeline.start_stream(track.fps)
    for i in range(track.num_frames if until is None else until):
        landmarks = track.landmarks[i] if track.present[i] else None
        for event in pipeline.process_landmarks(landmarks, float(track.times_s[i])).events:
            state.apply(event, NOW)
        assert_agree(pipeline, state)


@pytest.mark.parametrize("mode", ["count", "both"])
@pytest.mark.parametrize("clip", ["squat_side_3.mp4", "goblet_squat_front_6.mp4"])
def test_the_state_follows_the_counters_frame_by_frame(clip_track, clip, mode):
    track = clip_track(shared_path("data", "exercise_videos", clip))
    pipeline, state = device(mode)
    play(pipeline, state, track)
    for event in pipeline.finish().events:
        state.apply(event, NOW)
    assert_agree(pipeline, state)
    assert state.shown().count >= 3


def test_a_dance_in_both_mode_leaves_the_count_at_zero_on_every_view():
    track = aist_house_track()
    pipeline, state = device("both")
    play(pipeline, state, track)
    assert state.shown().genre == "gHO" and state.shown().count == 0
    pipeline.set_mode("count")
    state.set_mode("count")
    assert state.shown().genre is None  # a count mode names no genre, on every view
    assert state.page(0, True)["genre"] is None


def test_a_reset_clears_a_partial_count_even_with_no_rep_counted():
    """A partial rep published while the count is 0 (both mode withheld the reps)."""
    _, state = device("both", "squat")
    state.apply(RepEvent("squat", 0, 2.0, 1.0, 2.0, 0.4, partial=True), NOW)
    assert (state.shown().count, state.shown().partial_count) == (0, 1)
    state.restart_count("squat", "squat")
    assert state.page(0, True)["partial"] == state.shown().partial_count == 0


def test_commands_change_what_every_view_shows(clip_track):
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    pipeline, state = device("count", "squat")
    play(pipeline, state, track)
    assert state.shown().count == 3 and state.shown().last_rep_time is not None
    pipeline.reset_count()
    state.restart_count(pipeline.exercise, pipeline.active)
    assert_agree(pipeline, state)
    assert state.shown().last_rep_time is None
    for mode in (*(m for m in MODES if m != "both"), "both"):  # follow: with no routine,
        if mode not in pipeline.modes:  # refused with the reason
            with pytest.raises(ValueError, match="no routine selected"):
                pipeline.set_mode(mode)
            continue
        pipeline.set_mode(mode)
        state.set_mode(mode)
        assert state.page(0, True)["mode"] == state.shown().mode == mode
    dance = DanceEvent(1.0, "gHO", 0.9, {"gHO": 0.9}, 0.1, "house")
    state.apply(dance, NOW)
    assert state.shown().genre_name == "house"  # the last mode set was both


def test_two_people_are_counted_apart_and_one_who_leaves_is_dropped(clip_track):
    """Two real clips as two people in front of one kiosk (ids 0 and 1): each person's
    count is what their clip gives alone, never mixed; the one whose clip ends is dropped
    from `people` after PERSON_GONE_S out of view, and the top level then shows the other."""
    squat = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    pushup = clip_track(shared_path("data", "exercise_videos", "pushup_side_4.mp4"))
    alone = {}
    for key, track in ((0, squat), (1, pushup)):
        pipeline, state = device("count")
        play(pipeline, state, track)
        alone[key] = pipeline.tally()[0]
    assert alone[0] >= 3 and alone[1] >= 3

    pipeline, state = device("count")
    pipeline.start_stream(squat.fps)
    step = 1.0 / squat.fps
    frames = max(squat.num_frames, pushup.num_frames) + int((PERSON_GONE_S + 2) / step)
    left_at = None
    reached = {}
    for i in range(frames):
        found = {}
        if i < squat.num_frames and squat.present[i]:
            found[0] = squat.landmarks[i]
        last = min(i, pushup.num_frames - 1)  # the push-ups hold their last frame
        if pushup.present[last]:
            found[1] = pushup.landmarks[last]
        for event in pipeline.process_people(found, i * step).events:
            assert event.person in (0, 1)
            state.apply(event, NOW)
            if isinstance(event, PersonLeft):
                left_at = i * step
        shown = state.shown()
        for person in shown.people:  # each person's figures are their own counter's
            assert (person.count, person.partial_count) == pipeline.people[person.person].tally()
        assert shown.total_count == sum(p.count for p in shown.people)
        for person in shown.people:
            reached[person.person] = person.count
        if i == squat.num_frames - 1:  # both in view: both listed, the main person on top
            assert [p.person for p in shown.people] == [0, 1]
            assert (shown.person, shown.count) == (0, alone[0])
    assert reached == alone  # each what their clip gives alone
    assert left_at is not None, "the person who left was never dropped"
    assert left_at - (squat.num_frames - 1) * step == pytest.approx(PERSON_GONE_S, abs=3 * step)
    shown = state.shown()
    assert [p.person for p in shown.people] == [1] and 0 not in pipeline.people
    assert (shown.person, shown.count, shown.exercise) == (1, alone[1], "pushup")
    assert state.page(0, True)["people"][0]["color"] != person_color(0)


def test_the_only_person_keeps_their_count_while_away(clip_track):
    """One person (today's kiosk): stepping out of view for longer than PERSON_GONE_S drops
    nobody; their count stays on the top level and in `people`."""
    track = clip_track(shared_path("data", "exercise_videos", "squat_side_3.mp4"))
    pipeline, state = device("count", "squat")
    play(pipeline, state, track)
    end = float(track.times_s[-1])
    for k in range(1, int(2 * PERSON_GONE_S * track.fps)):
        for event in pipeline.process_landmarks(None, end + k / track.fps).events:
            state.apply(event, NOW)
    shown = state.shown()
    assert shown.count == 3 and [(p.person, p.count) for p in shown.people] == [(0, 3)]


def test_one_dancers_verdicts_never_hold_back_anothers(tmp_path):
    """At most one dance verdict per dance_publish_interval_s, per person: two dancers'
    verdicts a moment apart both go out (over a real broker) and reach their own figures."""
    from edge.app.broadcast import Broadcaster
    from tests.conftest import private_broker
    from tests.helpers import make_publisher

    _, state = device("dance")
    verdict = {"gBR": ("break", 0.9), "gPO": ("pop", 0.8), "gHO": ("house", 0.7)}

    def dance(person: int, time_s: float, genre: str) -> DanceEvent:
        name, confidence = verdict[genre]
        return DanceEvent(time_s, genre, confidence, {genre: confidence}, 0.1, name, person)

    with private_broker() as broker:
        publisher = make_publisher(broker.port, tmp_path)
        try:
            broadcast = Broadcaster(state, publisher, None, lambda: {}, dance_interval_s=10.0)
            broadcast.events([dance(0, 1.0, "gBR"), dance(1, 1.5, "gPO"), dance(0, 2.0, "gHO")])
            assert publisher.flush(30)
        finally:
            publisher.close(timeout_s=10)
    shown = {p.person: p.genre for p in state.shown().people}
    assert shown == {0: "gBR", 1: "gPO"}  # person 0's second verdict came too soon after
