"""`auto`: which installed exercise the person is doing, offline (dancepose count) and live
(the kiosk's default), by one rule (edge/counting/auto.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge.app.pipeline import Pipeline
from edge.counting.auto import (
    FORCE_REPS,
    LOCK_REPS,
    MATCH,
    Standing,
    agrees,
    choose_counter,
    choose_exercise,
)
from edge.counting.classifier import TfliteVotes
from edge.counting.clip import count_auto
from edge.counting.pack import installed_packs, load_pack
from edge.modes import ANY
from edge.pose.estimator import create_estimator
from edge.sources import open_source
from tests.conftest import shared_path
from training.bench.counting import labelled_clips


def test_the_most_decisive_pack_is_waited_for_until_it_has_two_reps():
    squat_one = {"squat": Standing(1, 0.99), "pushup": Standing(2, 0.8)}
    assert choose_exercise(squat_one) is None  # the push-up pack only alternates on squats
    assert choose_exercise({**squat_one, "squat": Standing(2, 0.99)}) == "squat"
    assert choose_exercise({"squat": Standing(0, 0.99), "pushup": Standing(2, 0.8)}) == "pushup"
    # a decisive pack stuck at one rep (getting into position) does not block for ever
    stuck = {"squat": Standing(1, 0.99), "pushup": Standing(FORCE_REPS, 0.8)}
    assert choose_exercise(stuck) == "pushup"


def test_a_finished_clip_settles_on_what_it_saw():
    assert choose_exercise({"squat": Standing(0, 0.0)}, finished=True) is None
    assert choose_exercise({"squat": Standing(1, 0.7)}, finished=True) == "squat"
    two = {"squat": Standing(1, 0.99), "pushup": Standing(3, 0.8), "lunge": Standing(2, 0.9)}
    assert choose_exercise(two, finished=True) == "lunge"  # a 1-rep pack is not evidence


standings = st.dictionaries(
    st.sampled_from(["squat", "pushup", "lunge", "jack"]),
    st.builds(Standing, st.integers(0, 8), st.floats(0.0, 1.0)),
)


@given(standings, st.booleans())
def test_the_choice_always_has_the_evidence(table, finished):
    chosen = choose_exercise(table, finished)
    reps = {name: s.reps for name, s in table.items()}
    if finished:  # a clip that is over names a pack exactly when some pack counted a rep
        assert (chosen is None) == (max(reps.values(), default=0) == 0)
    elif chosen is not None:  # live, a pack is named only once it has LOCK_REPS
        assert reps[chosen] >= LOCK_REPS
    # packs without a rep are never chosen and change nothing
    counted = {name: s for name, s in table.items() if s.reps > 0}
    assert choose_exercise(counted, finished) == chosen


@given(standings)
def test_a_live_choice_is_the_one_the_finished_clip_makes(table):
    """One rule, live and offline: what the kiosk settles on, `count` names too."""
    chosen = choose_exercise(table)
    if chosen is not None:
        assert choose_exercise(table, finished=True) == chosen


@given(standings, st.booleans())
def test_another_rep_of_the_chosen_pack_keeps_it(table, finished):
    chosen = choose_exercise(table, finished)
    if chosen is not None:
        more = {**table, chosen: Standing(table[chosen].reps + 1, table[chosen].decisiveness)}
        assert choose_exercise(more, finished) == chosen


def test_count_auto_names_the_exercise_of_every_labelled_clip(clip_track):
    labels = shared_path("data", "exercise_videos", "labels.csv")
    packs = [load_pack(folder) for folder in installed_packs().values()]
    picked = {}
    for row in labelled_clips(labels):
        if row["exercise"] in {p.name for p in packs}:
            start, end = float(row["start_s"] or 0), float(row["end_s"]) if row["end_s"] else None
            track = clip_track(labels.parent / row["file"])
            picked[row["file"]] = (row["exercise"], count_auto(track, packs, start, end).exercise)
    assert len(picked) >= 5
    assert all(true == chosen for true, chosen in picked.values()), picked


def test_a_live_auto_session_on_squats_counts_squats(model_paths):
    """The push-up pack completes two "reps" on this clip before the squat pack does (at
    5.1 s against 6.3 s); the session must still settle on squats and lose none of them."""
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    packs = [load_pack(folder) for folder in installed_packs().values()]
    pipeline = Pipeline.build(create_estimator("litert", 2), packs, TfliteVotes, None,
                              "count", "auto")  # fmt: skip
    source = open_source(str(clip))
    pipeline.start_stream(source.fps)
    reps = [rep for frame in source.frames() for rep in pipeline.process(frame).reps]
    source.close()
    reps += pipeline.finish().reps
    assert pipeline.active == "squat"
    assert [(r.exercise, r.count) for r in reps] == [("squat", 1), ("squat", 2), ("squat", 3)]


def test_auto_names_a_matching_pack_and_otherwise_counts_with_any():
    squats = {"squat": Standing(6, 0.98), "pushup": Standing(2, 0.63)}
    assert choose_counter(squats, any_reps=6, finished=True) == "squat"
    assert choose_counter(squats, any_reps=5) == "squat"  # one rep apart: the same movement
    # the push-up pack alternates on jumping jacks (0.73 decisive): not a match
    assert choose_counter({"pushup": Standing(7, 0.73)}, any_reps=4, finished=True) == ANY
    # decisive, but it counts something else than the body's cycles (floor sit-ups)
    assert choose_counter({"pushup": Standing(13, 0.88)}, any_reps=9, finished=True) == ANY
    # live: before `any` has counted, a matching pack waits for FORCE_REPS
    assert choose_counter({"squat": Standing(LOCK_REPS, 0.99)}, any_reps=0) is None
    assert choose_counter({"squat": Standing(FORCE_REPS, 0.99)}, any_reps=0) == "squat"
    assert choose_counter({"pushup": Standing(1, 0.7)}, any_reps=3) is None  # any: 4 first
    assert choose_counter({"pushup": Standing(1, 0.7)}, any_reps=FORCE_REPS) == ANY
    assert choose_counter({"squat": Standing(0, 0.99)}, any_reps=0, finished=True) is None


def test_a_pack_whose_pace_is_not_the_bodys_waits():
    """Floor sit-ups: the push-up pack had 4 "reps" 2.7 s apart at 9.2 s, while `any` saw
    3.8 s cycles and had not counted yet; live auto locked onto push-ups there."""
    pushup = {"pushup": Standing(FORCE_REPS, 0.88, period_s=2.68)}
    assert choose_counter(pushup, any_reps=0, any_period_s=3.83) is None
    assert choose_counter(pushup, any_reps=0, any_period_s=2.9) == "pushup"  # same pace
    assert choose_counter(pushup, any_reps=0, any_period_s=None) == "pushup"  # sees none
    # once `any` counts, the pace must agree as well as the count
    assert choose_counter(pushup, any_reps=3, any_period_s=3.83) is None
    assert choose_counter(pushup, any_reps=FORCE_REPS, any_period_s=3.83) == ANY


@given(standings, st.integers(0, 12), st.booleans())
def test_auto_never_names_a_pack_that_is_not_decisive(table, any_reps, finished):
    chosen = choose_counter(table, any_reps, finished)
    if chosen is not None and chosen != ANY:
        assert table[chosen].decisiveness >= MATCH and table[chosen].reps >= 1
        assert not any_reps or agrees(table[chosen].reps, any_reps)
    if chosen == ANY:
        assert any_reps >= 1
