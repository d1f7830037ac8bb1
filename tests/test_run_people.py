"""`dancepose run` with `[pose] max_people = 2` on a real composite (two counted clips side
by side in one video, training/bench/people_composite.py), end to end through the real
pose models, the per-person analyzers, the device state and a real broker: each person's
reps go out under their own id, and the retained `current` lists each with their count."""

from __future__ import annotations

from collections import defaultdict

from edge.app.loop import EdgeLoop
from edge.config import load_config
from tests.conftest import Subscriber, private_broker, shared_path
from tests.helpers import DEVICE, write_config
from training.bench.people_composite import Tile, write_composite

# labels.csv's counts; both people stay in view to the end
CLIPS = {"goblet_squat_front_6.mp4": ("squat", 6), "pushup_side_4.mp4": ("pushup", 4)}


def test_each_person_of_a_composite_is_counted_on_their_own(tmp_path, model_paths):
    tiles = [Tile(shared_path("data", "exercise_videos", name)) for name in CLIPS]
    video = write_composite(tiles, tmp_path / "two_people.avi")
    with private_broker() as broker:
        config = write_config(tmp_path, video, broker.port, exercise="auto")
        config.write_text(config.read_text() + "[pose]\nmax_people = 2\n")
        watcher = Subscriber(broker, [f"dancepose/{DEVICE}/#"])
        try:
            EdgeLoop(load_config(config)).run()  # a file: to its end, every event acknowledged
            assert watcher.wait_for(lambda s: s.payloads(f"dancepose/{DEVICE}/current"), timeout=30)
            reps = watcher.payloads(f"dancepose/{DEVICE}/rep")
            current = watcher.payloads(f"dancepose/{DEVICE}/current")[-1]
        finally:
            watcher.close()
    counted: dict[int, list[dict]] = defaultdict(list)
    for rep in reps:
        if not rep["partial"]:
            counted[rep["person"]].append(rep)
    found = {}
    for person, theirs in counted.items():
        exercises = {r["exercise"] for r in theirs}
        assert len(exercises) == 1, f"person {person} counted {exercises}: counts mixed"
        assert [r["count"] for r in theirs] == list(range(1, len(theirs) + 1))
        found[exercises.pop()] = (person, len(theirs))
    assert set(found) == {exercise for exercise, _ in CLIPS.values()}, found
    for exercise, truth in CLIPS.values():
        assert abs(found[exercise][1] - truth) <= 1, (exercise, found[exercise], truth)
    listed = {p["person"]: p["count"] for p in current["people"]}
    for person, count in found.values():
        assert listed[person] == count  # current says each person's count
    assert current["total_count"] == sum(listed.values())
