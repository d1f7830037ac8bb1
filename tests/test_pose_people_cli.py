"""Several people in one frame, end to end: a composite of a real counted clip beside its
mirror image, through `dancepose pose --people 2` and `dancepose count` on the file."""

from __future__ import annotations

import json

import numpy as np

from edge.counting.clip import count_auto
from edge.counting.pack import installed_packs, load_pack
from tests.conftest import dancepose, shared_path
from tests.helpers import assert_one_clear_line
from training.bench.people_composite import Tile, write_composite


def test_two_people_side_by_side_each_keep_one_id_and_their_count(tmp_path, clip_track):
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    video = write_composite([Tile(clip), Tile(clip, mirror=True)], tmp_path / "two.avi")
    out = tmp_path / "two.npz"
    result = dancepose("pose", str(video), "--people", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with np.load(out) as data:
        ids, present = data["people"], data["people_present"]
        frames = len(data["landmarks"])
        assert data["people_landmarks"].shape == (len(ids), frames, 33, 4)
        assert data["people_world"].shape == (len(ids), frames, 33, 3)
    assert len(ids) == 2, f"one track per person, no id switch: got ids {ids.tolist()}"
    assert (present.mean(axis=1) > 0.9).all(), present.mean(axis=1)

    counted = dancepose("count", str(out), "--json")
    assert counted.returncode == 0, counted.stderr
    lines = [json.loads(line) for line in counted.stdout.splitlines()]
    assert sorted(line["person"] for line in lines) == sorted(ids.tolist())
    packs = [load_pack(folder) for folder in installed_packs().values()]
    alone = count_auto(clip_track(clip), packs)
    centres = []
    for line in lines:
        x0, y0, x1, y1 = line["box"]
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        centres.append((x0 + x1) / 2)
        assert line["exercise"] == alone.exercise
        assert abs(line["reps"] - alone.reps) <= 1, (line["reps"], alone.reps)
    assert sorted(c < 0.5 for c in centres) == [False, True]  # one person in each half


def test_one_person_count_json_names_person_zero_and_box(clip_track):
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")
    result = dancepose("count", str(clip), "--json")
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["person"] == 0 and len(line["box"]) == 4


def test_several_people_on_a_one_person_backend_is_one_line(tmp_path):
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")
    out = tmp_path / "x.npz"
    result = dancepose(
        "pose", str(clip), "--people", "2", "--backend", "mediapipe", "--out", str(out)
    )
    assert_one_clear_line(result, "--people 2", "litert")
