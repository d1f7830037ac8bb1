"""Keypoint files: every format lands in the BlazePose-33 layout, and bad files say why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge.keypoints_io import (
    KeypointFileError,
    KeypointTrack,
    from_coco17,
    load_keypoints,
    load_npz,
    read_openpose_folder,
    read_openpose_json,
    read_pose_csv,
    save_npz,
    write_pose_csv,
)
from edge.pose.result import PoseResult
from edge.skeleton import BODY_25, JOINT
from tests.conftest import shared_path

# Rows in each real MediaPipe pose-classification sample (../shared/data/pose_samples).
SAMPLE_ROWS = {
    "squats_up": 213, "squats_down": 204, "pushups_up": 68, "pushups_down": 38,
    "lunges_up": 21, "lunges_down": 12,
}  # fmt: skip


def a_result(index: int, value: float) -> PoseResult:
    landmarks = np.full((33, 4), value, np.float32)
    world = np.full((33, 3), value / 100, np.float32)
    return PoseResult(landmarks, world, 0.9, index, index / 30)


def a_track(frames: int = 3) -> KeypointTrack:
    results = [a_result(i, float(i + 1)) if i != 1 else None for i in range(frames)]
    return KeypointTrack.from_results(
        results, fps=30, width=640, height=480, source="clip.mp4", backend="litert"
    )


def save_fields(path: Path, **overrides: object) -> Path:
    """An npz like `dancepose pose` writes, with some fields replaced (None = left out)."""
    fields: dict[str, object] = {
        "landmarks": np.zeros((2, 33, 4), np.float32), "world": np.zeros((2, 33, 3), np.float32),
        "present": np.ones(2, bool), "fps": 30.0, "width": 640, "height": 480,
    }  # fmt: skip
    fields.update(overrides)
    np.savez(path, **{key: value for key, value in fields.items() if value is not None})
    return path


def test_from_results_leaves_missing_frames_nan_and_not_present():
    track = a_track()
    assert track.present.tolist() == [True, False, True]
    assert np.isnan(track.landmarks[1]).all() and np.isnan(track.world[1]).all()
    assert track.landmarks[2, 0, 0] == 3.0 and track.world[2, 0, 0] == pytest.approx(0.03)
    assert track.num_frames == 3
    assert track.times_s.tolist() == pytest.approx([0, 1 / 30, 2 / 30])


def test_npz_round_trip_keeps_everything(tmp_path):
    track = a_track()
    save_npz(track, tmp_path / "t.npz")
    back = load_npz(tmp_path / "t.npz")
    assert np.array_equal(back.landmarks, track.landmarks, equal_nan=True)
    assert np.array_equal(back.world, track.world, equal_nan=True)
    assert back.present.tolist() == track.present.tolist()
    assert (back.fps, back.width, back.height) == (30.0, 640, 480)
    assert (back.source, back.backend) == ("clip.mp4", "litert")
    assert back.landmarks.dtype == np.float32


def test_save_npz_writes_exactly_the_path_given(tmp_path):
    save_npz(a_track(), tmp_path / "clip.keypoints")  # numpy alone would add ".npz"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.keypoints"]
    assert load_npz(tmp_path / "clip.keypoints").num_frames == 3


def test_track_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="do not match"):
        KeypointTrack(np.zeros((2, 33, 4)), np.zeros((3, 33, 3)), np.ones(2, bool), 30, 1, 1)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"landmarks": None}, r"missing key 'landmarks' \(expected an npz written by"),
        ({"fps": None}, "missing key 'fps'"),
        ({"landmarks": np.zeros((2, 17, 4))}, r"landmarks must be \(T, 33, 4\), got \(2, 17, 4\)"),
        ({"world": np.zeros((3, 33, 3))}, r"world \(3, 33, 3\) / present \(2,\) do not match 2"),
        ({"present": np.ones(5, bool)}, r"world \(2, 33, 3\) / present \(5,\) do not match 2"),
        ({"fps": 0.0}, "fps must be positive"),
        ({"fps": np.array([30.0, 25.0])}, "fps must be one number"),
        ({"landmarks": np.full((2, 33, 4), "a")}, "could not convert"),
    ],
)
def test_malformed_npz_names_the_file_and_the_problem(tmp_path, overrides, problem):
    path = save_fields(tmp_path / "bad.npz", **overrides)
    with pytest.raises(KeypointFileError, match=rf"^keypoints file .*bad\.npz: {problem}"):
        load_npz(path)


def test_npz_that_is_not_an_archive_is_refused(tmp_path):
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(KeypointFileError, match=r"text\.npz: not a readable npz"):
        load_npz(tmp_path / "text.npz")
    with (tmp_path / "array.npz").open("wb") as handle:
        np.save(handle, np.zeros((2, 33, 4)))
    with pytest.raises(KeypointFileError, match=r"array\.npz: a single \.npy array"):
        load_npz(tmp_path / "array.npz")


def test_real_pose_sample_csv_round_trips(tmp_path):
    csv_path = shared_path("data", "pose_samples", "squats_up.csv")
    names, points = read_pose_csv(csv_path)
    assert len(names) == 213 and points.shape == (213, 33, 3) and points.dtype == np.float32
    assert np.isfinite(points).all()
    assert names[0] == "image0.jpg"
    assert points[0, 0].tolist() == pytest.approx([147.78012, 16.595392, -93.939125])
    visibility = np.ones((*points.shape[:2], 1), np.float32)
    write_pose_csv(tmp_path / "copy.csv", names, np.concatenate([points, visibility], -1))
    names_back, points_back = read_pose_csv(tmp_path / "copy.csv")
    assert names_back == names
    assert np.allclose(points_back, points, atol=1e-4)


def test_every_real_pose_sample_csv_reads():
    folder = shared_path("data", "pose_samples")
    for stem, rows in SAMPLE_ROWS.items():
        names, points = read_pose_csv(folder / f"{stem}.csv")
        assert points.shape == (rows, 33, 3), stem
        assert len(set(names)) == rows and np.isfinite(points).all(), stem


def test_csv_with_a_bad_row_gives_its_line_number(tmp_path):
    good_row = "img0.jpg," + ",".join(["1.0"] * 99)
    short = tmp_path / "short.csv"
    short.write_text(f"{good_row}\n{good_row}\nimg2.jpg,1,2,3\n")
    with pytest.raises(KeypointFileError, match=r"short\.csv line 3: 4 columns, expected 100"):
        read_pose_csv(short)
    text = tmp_path / "text.csv"
    text.write_text(good_row + "\nimg1.jpg," + ",".join(["x"] * 99) + "\n")
    with pytest.raises(KeypointFileError, match=r"text\.csv line 2: could not convert"):
        read_pose_csv(text)
    with pytest.raises(KeypointFileError, match=r"absent\.csv: cannot read it"):
        read_pose_csv(tmp_path / "absent.csv")


def test_write_pose_csv_checks_its_input(tmp_path):
    with pytest.raises(ValueError, match=r"\(N, 33, 3 or 4\)"):
        write_pose_csv(tmp_path / "x.csv", ["a"], np.zeros((1, 17, 3)))
    with pytest.raises(ValueError, match="2 names for 1 poses"):
        write_pose_csv(tmp_path / "x.csv", ["a", "b"], np.zeros((1, 33, 3)))


def test_coco17_lands_on_blazepose_joints():
    coco = np.zeros((3, 17, 3), np.float32)
    coco[:, 5] = [100, 200, 0.9]  # COCO left_shoulder
    coco[:, 12] = [50, 300, 0.8]  # COCO right_hip
    coco[:, 0] = [10, 20, 0.05]  # nose, below the threshold
    coco[1, :, 2] = 0.0  # nothing confident on frame 1
    coco[2, :, :2] = np.nan  # AIST++ marks lost frames with NaN
    track = from_coco17(coco, fps=60, width=1920, height=1080, score_threshold=0.1)
    assert JOINT["left_shoulder"] == 11
    assert track.landmarks[0, 11].tolist() == pytest.approx([100, 200, 0, 0.9])
    assert track.landmarks[0, JOINT["right_hip"]].tolist() == pytest.approx([50, 300, 0, 0.8])
    assert np.isnan(track.landmarks[0, JOINT["nose"]]).all()
    assert np.isnan(track.landmarks[0, JOINT["left_pinky"]]).all()  # COCO has no hands
    assert track.present.tolist() == [True, False, False]
    assert np.isnan(track.world).all()
    assert (track.fps, track.width, track.height) == (60.0, 1920, 1080)


def test_coco17_without_confidence_sees_every_finite_joint():
    coco = np.arange(2 * 17 * 2, dtype=np.float32).reshape(2, 17, 2)
    track = from_coco17(coco, fps=30, width=640, height=480)
    assert track.present.all()
    assert track.landmarks[1, JOINT["left_shoulder"]].tolist() == [44, 45, 0, 1]
    with pytest.raises(KeypointFileError, match=r"\(T, 17, 2\|3\), got \(2, 33, 2\)"):
        from_coco17(np.zeros((2, 33, 2)), fps=30, width=1, height=1)


def openpose_person(offset: float, confidence: float) -> dict:
    """A BODY_25 person: joint j at (offset + 10 j, 5 j); right_wrist (4) not found."""
    flat: list[float] = []
    for joint in range(25):
        found = joint != 4
        xy = [offset + 10.0 * joint, 5.0 * joint] if found else [0.0, 0.0]
        flat += [*xy, confidence if found else 0.0]
    return {"person_id": [-1], "pose_keypoints_2d": flat}


def write_openpose(path: Path, *people: dict) -> Path:
    path.write_text(json.dumps({"version": 1.3, "people": list(people)}))
    return path


def test_openpose_json_picks_the_most_confident_person(tmp_path):
    write_openpose(
        tmp_path / "f_000_keypoints.json", openpose_person(0, 0.3), openpose_person(1000, 0.9)
    )
    write_openpose(tmp_path / "f_001_keypoints.json")
    pose = read_openpose_json(tmp_path / "f_000_keypoints.json")
    assert pose is not None and pose.shape == (25, 3) and pose[0, 0] == 1000.0
    assert read_openpose_json(tmp_path / "f_001_keypoints.json") is None

    track = read_openpose_folder(tmp_path, fps=25, width=640, height=480)
    assert track.present.tolist() == [True, False]
    assert np.isnan(track.landmarks[1]).all()
    right_shoulder = track.landmarks[0, JOINT["right_shoulder"]]
    assert JOINT["right_shoulder"] == 12 and BODY_25[2] == "right_shoulder"
    assert right_shoulder.tolist() == pytest.approx([1020.0, 10.0, 0.0, 0.9])
    assert track.landmarks[0, JOINT["left_shoulder"], :2].tolist() == [1050.0, 25.0]
    assert np.isnan(track.landmarks[0, JOINT["right_wrist"]]).all()  # c = 0: not found
    neck_x = 1000.0 + 10.0 * BODY_25.index("neck")
    assert not (track.landmarks[0, :, 0] == neck_x).any()  # no BlazePose joint for the neck
    assert track.source == str(tmp_path)


def test_openpose_bad_files_are_named(tmp_path):
    bad = tmp_path / "x_keypoints.json"
    bad.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1, 2, 3]}]}))
    with pytest.raises(KeypointFileError, match=r"x_keypoints\.json: not BODY_25 JSON"):
        read_openpose_json(bad)
    with pytest.raises(KeypointFileError, match=r"empty: no \*_keypoints\.json files"):
        read_openpose_folder(tmp_path / "empty", fps=25, width=1, height=1)


def test_load_keypoints_chooses_by_what_the_path_is(tmp_path):
    save_npz(a_track(), tmp_path / "ours.NPZ")
    assert load_keypoints(tmp_path / "ours.NPZ").backend == "litert"

    np.save(tmp_path / "coco.npy", np.ones((4, 17, 3), np.float32))
    coco = load_keypoints(tmp_path / "coco.npy", fps=60, width=1920, height=1080)
    assert coco.num_frames == 4 and coco.source == str(tmp_path / "coco.npy")
    with pytest.raises(KeypointFileError, match=r"coco\.npy: .*pass fps, width and height"):
        load_keypoints(tmp_path / "coco.npy")

    np.save(tmp_path / "blaze.npy", np.ones((4, 33, 4), np.float32))
    with pytest.raises(KeypointFileError, match=r"blaze\.npy: expected COCO-17 \(T, 17, 2\|3\)"):
        load_keypoints(tmp_path / "blaze.npy", fps=60, width=1, height=1)

    folder = tmp_path / "openpose"
    folder.mkdir()
    write_openpose(folder / "a_keypoints.json", openpose_person(0, 0.5))
    assert load_keypoints(folder, fps=25, width=640, height=480).present.tolist() == [True]


def test_load_keypoints_refuses_unknown_and_absent_paths(tmp_path):
    (tmp_path / "x.txt").write_text("1 2 3")
    with pytest.raises(KeypointFileError, match=r"x\.txt: unknown format; use a `dancepose pose`"):
        load_keypoints(tmp_path / "x.txt")
    with pytest.raises(KeypointFileError, match=r"gone\.npz: no such file or folder"):
        load_keypoints(tmp_path / "gone.npz")
