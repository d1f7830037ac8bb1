"""Pack-free counting: a low cycle that keeps the beat is a rep done small, not a partial
rep (docs/counting.md, "Off by two or more"): real stirring clips hold such cycles."""

from __future__ import annotations

from edge.counting.clip import count_any
from tests.helpers import arm_raises


def test_low_reps_on_the_beat_count():
    # two reps at 15% of the others' height, each a period from its neighbours: before, two
    # partial reps and a count of 9
    result = count_any(arm_raises([1, 1, 1, 1, 0.15, 0.15, 1, 1, 1, 1]))
    assert (result.reps, result.partial) == (10, 0)
    low = [e for e in result.events if e.range is not None and e.range < 0.5]
    assert len(low) == 2  # and their range says how small they were
