"""Keypoint files: every format lands in the BlazePose-33 layout, and bad files say why."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.keypoints_io import (
    KeypointFileError,
    KeypointTrack,
    from_coco17,
    load_keypoints,
    load_npz,
    read_openpose_folder,
    read_pose_csv,
    save_npz,
    write_pose_csv,
)
from edge.pose.result import PoseResult
from edge.skeleton import JOINT
from tests.conftest import shared_path


def a_result(index: int, value: float) -> PoseResult:
    landmarks = np.full((33, 4), value, np.float32)
    return PoseResult(landmarks, np.zeros((33, 3), np.float32), 0.9, index, index / 30)


def test_npz_round_trip_keeps_missing_frames_missing(tmp_path):
    track = KeypointTrack.from_results(
        [a_result(0, 1.0), None, a_result(2, 3.0)], fps=30, width=640, height=480,
        source="clip.mp4", backend="litert",
    )  # fmt: skip
    assert track.present.tolist() == [True, False, True]
    assert np.isnan(track.landmarks[1]).all()
    save_npz(track, tmp_path / "t.npz")
    back = load_npz(tmp_path / "t.npz")
    assert np.array_equal(back.landmarks, track.landmarks, equal_nan=True)
    assert (back.fps, back.width, back.height, back.source) == (30.0, 640, 480, "clip.mp4")
    assert back.times_s[2] == pytest.approx(2 / 30)


def test_malformed_npz_names_the_file_and_the_problem(tmp_path):
    missing = tmp_path / "missing.npz"
    np.savez(missing, world=np.zeros((1, 33, 3)))
    with pytest.raises(KeypointFileError, match=r"missing\.npz.*'landmarks'"):
        load_npz(missing)
    wrong = tmp_path / "wrong.npz"
    np.savez(
        wrong, landmarks=np.zeros((2, 17, 4)), world=np.zeros((2, 33, 3)),
        present=np.ones(2, bool), fps=30.0, width=1, height=1,
    )  # fmt: skip
    with pytest.raises(KeypointFileError, match=r"wrong\.npz.*\(T, 33, 4\)"):
        load_npz(wrong)
    with pytest.raises(KeypointFileError, match="unknown format"):
        load_keypoints(tmp_path / "x.txt")


def test_real_pose_sample_csv_round_trips(tmp_path):
    csv_path = shared_path("data", "pose_samples", "squats_up.csv")
    names, points = read_pose_csv(csv_path)
    assert len(names) == 213 and points.shape == (213, 33, 3)
    assert np.isfinite(points).all()
    write_pose_csv(tmp_path / "copy.csv", names, points)
    names_back, points_back = read_pose_csv(tmp_path / "copy.csv")
    assert names_back == names
    assert np.allclose(points_back, points, atol=1e-4)


def test_csv_with_a_short_row_gives_its_line_number(tmp_path):
    bad = tmp_path / "bad.csv"
    good_row = "img0.jpg," + ",".join(["1.0"] * 99)
    bad.write_text(good_row + "\n" + "img1.jpg,1,2,3\n")
    with pytest.raises(KeypointFileError, match=r"bad\.csv line 2: 4 columns"):
        read_pose_csv(bad)


def test_coco17_lands_on_blazepose_joints():
    coco = np.zeros((2, 17, 3), np.float32)
    coco[:, 5] = [100, 200, 0.9]  # COCO left_shoulder
    coco[:, 12] = [50, 300, 0.8]  # COCO right_hip
    coco[1, :, 2] = 0.0  # nothing confident on frame 1
    track = from_coco17(coco, fps=60, width=1920, height=1080, score_threshold=0.1)
    assert track.landmarks[0, JOINT["left_shoulder"], :2].tolist() == [100, 200]
    assert track.landmarks[0, JOINT["right_hip"], 3] == pytest.approx(0.8)
    assert np.isnan(track.landmarks[0, JOINT["left_pinky"]]).all()
    assert track.present.tolist() == [True, False]


def test_openpose_json_picks_the_most_confident_person(tmp_path):
    def person(confidence: float) -> dict:
        flat = []
        for joint in range(25):
            flat += [10.0 * joint, 5.0 * joint, confidence if joint != 4 else 0.0]
        return {"pose_keypoints_2d": flat}

    (tmp_path / "f0_keypoints.json").write_text(json.dumps({"people": [person(0.3), person(0.9)]}))
    (tmp_path / "f1_keypoints.json").write_text(json.dumps({"people": []}))
    track = read_openpose_folder(tmp_path, fps=25, width=640, height=480)
    assert track.present.tolist() == [True, False]
    right_shoulder = track.landmarks[0, JOINT["right_shoulder"]]
    assert right_shoulder[:2].tolist() == [20.0, 10.0]  # BODY_25 index 2
    assert right_shoulder[3] == pytest.approx(0.9)
    assert np.isnan(track.landmarks[0, JOINT["right_wrist"]]).all()  # confidence 0: missing
    assert np.isnan(track.landmarks[1]).all()
