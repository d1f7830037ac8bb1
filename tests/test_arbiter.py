"""edge/app/arbiter.py on scripted events: `both` mode's one rule, case by case."""

from __future__ import annotations

from edge.app.arbiter import Arbiter
from edge.counting.events import RepEvent
from edge.dance.classifier import NONE, DanceEvent

UNIT = 1 / 3
WINDOW = 8 * UNIT


def rep(count: int, start: float, end: float, partial: bool = False, exercise: str = "any"):
    return RepEvent(exercise, count, end + 0.1, start, end, 0.9, partial=partial)


def verdict(time_s: float, genre: str = NONE) -> DanceEvent:
    name = {"gHO": "house", NONE: NONE}[genre]
    return DanceEvent(time_s, genre, 0.9, {"gHO": 0.9, NONE: 0.1}, 0.1, name)


def feed(arbiter: Arbiter, reps: list[RepEvent], verdicts: list[DanceEvent]):
    """Events in time order (a rep arrives at its time_s, a verdict at its time_s);
    returns (published reps, published genres)."""
    timeline = sorted([(r.time_s, 0, r) for r in reps] + [(v.time_s, 1, v) for v in verdicts],
                      key=lambda e: (e[0], e[1]))  # fmt: skip
    published, genres = [], []
    for _, kind, event in timeline:
        if kind == 0:
            published += arbiter.reps([event])
        else:
            out, released = arbiter.verdict(event)
            published += released
            genres.append(out.genre)
    return published + arbiter.finish(), genres


def test_reps_while_a_genre_is_named_are_dance_steps_and_the_count_skips_them():
    arbiter = Arbiter(WINDOW)
    verdicts = [verdict(3 + i * UNIT, "gHO" if 3 + i * UNIT < 8 else NONE) for i in range(24)]
    reps = [rep(1, 3.0, 4.0), rep(2, 4.0, 5.0), rep(3, 8.5, 9.5), rep(4, 9.5, 10.4)]
    published, genres = feed(arbiter, reps, verdicts)
    assert [(r.count, r.start_s) for r in published] == [(1, 8.5), (2, 9.5)]  # renumbered
    assert [r.count for r in arbiter.withheld] == [1, 2]
    assert arbiter.published_count("any", 4, 0) == (2, 0)
    assert arbiter.published_count("squat", 3, 1) == (3, 1)  # another counter's own
    assert genres.count("gHO") == 15  # the dance itself is still named


def test_one_wrong_verdict_in_a_set_costs_no_rep_and_is_reported_as_none():
    arbiter = Arbiter(WINDOW)
    verdicts = [verdict(3 + i * UNIT, "gHO" if i == 4 else NONE) for i in range(30)]
    reps = [rep(n, 2.0 + 1.5 * (n - 1), 2.0 + 1.5 * n) for n in range(1, 7)]
    published, genres = feed(arbiter, reps, verdicts)
    assert [r.count for r in published] == [1, 2, 3, 4, 5, 6] and not arbiter.withheld
    assert genres == [NONE] * 30  # the lone "house" came while a set was being counted


def test_a_genre_is_named_again_once_the_set_is_a_window_behind():
    arbiter = Arbiter(WINDOW)
    published, genres = feed(
        arbiter, [rep(1, 1.0, 2.0)], [verdict(3.0), verdict(4.0, "gHO"), verdict(4.7, "gHO")]
    )
    assert [r.count for r in published] == [1]
    assert genres == [NONE, NONE, "gHO"]  # 4.0 - 2.0 < window; 4.7 - 2.0 > window


def test_a_rep_waits_for_the_first_verdict_after_its_end_and_the_end_of_a_stream():
    arbiter = Arbiter(WINDOW)
    assert arbiter.reps([rep(1, 0.5, 1.5)]) == []  # no verdict yet: held
    out, released = arbiter.verdict(verdict(1.2))  # before its end: still held
    assert released == [] and out.genre == NONE
    out, released = arbiter.verdict(verdict(1.6))
    assert [r.count for r in released] == [1]
    assert arbiter.reps([rep(2, 1.5, 2.5)]) == []
    assert [r.count for r in arbiter.finish()] == [2]  # no verdict after it: published


def test_a_back_filled_rep_is_judged_on_the_verdicts_already_seen():
    arbiter = Arbiter(WINDOW)
    for i in range(12):
        arbiter.verdict(verdict(3 + i * UNIT, "gHO"))
    assert arbiter.reps([rep(1, 3.0, 4.0), rep(2, 4.0, 5.0)]) == []  # both dance steps
    assert [r.count for r in arbiter.withheld] == [1, 2]
    arbiter.reset()
    assert arbiter.published_count("any", 0, 0) == (0, 0)


def test_a_held_rep_is_not_in_the_count_until_it_is_published():
    """The retained count follows the published reps: it never runs ahead of a rep that
    may still turn out to be a dance step (and then have to go back down)."""
    arbiter = Arbiter(WINDOW)
    assert arbiter.reps([rep(1, 2.0, 3.0)]) == []  # waits for the next verdict
    assert arbiter.published_count("any", 1, 0) == (0, 0)
    _, released = arbiter.verdict(verdict(3.2))
    assert [r.count for r in released] == [1]
    assert arbiter.published_count("any", 1, 0) == (1, 0)


def test_dancing_in_a_style_the_model_is_not_sure_of_still_withholds_the_steps():
    arbiter = Arbiter(WINDOW)
    unsure = [DanceEvent(3 + i * UNIT, None, 0.4, {"gHO": 0.4, NONE: 0.2}, 0.1, None, dancing=0.8)
              for i in range(12)]  # fmt: skip
    reps = [rep(1, 3.0, 4.0), rep(2, 4.0, 5.0), rep(3, 5.0, 6.0)]
    published, genres = feed(arbiter, reps, unsure)
    assert not published and [r.count for r in arbiter.withheld] == [1, 2, 3]
    assert genres == [None] * 12  # dancing, style not known: published as it came


def test_a_verdict_turned_to_none_during_a_set_says_not_dancing():
    arbiter = Arbiter(WINDOW)
    arbiter.reps([rep(1, 1.0, 2.0)])
    out, released = arbiter.verdict(verdict(3.0))  # releases the set's rep
    assert [r.count for r in released] == [1]
    out, _ = arbiter.verdict(DanceEvent(3.4, "gHO", 0.9, {"gHO": 0.9}, 0.1, "house", dancing=0.9))
    assert (out.genre, out.genre_name, out.dancing, out.is_dancing) == (NONE, NONE, 0.0, False)
