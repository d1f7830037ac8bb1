"""`dancepose pose` end to end, and the one-line errors a user sees for bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.pose.mediapipe_backend import MediaPipePoseEstimator, MediaPipeUnavailable
from tests.conftest import dancepose, shared_path
from tests.helpers import assert_one_clear_line


def write_video(path: Path, frames: list[np.ndarray], fps: float = 15.0) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_pose_writes_keypoints_and_overlay(tmp_path, model_paths):
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")
    out, overlay = tmp_path / "bridge.npz", tmp_path / "bridge.webm"
    result = dancepose("pose", str(clip), "--out", str(out), "--overlay", str(overlay))
    assert result.returncode == 0, result.stderr
    with np.load(out) as data:
        landmarks, world, present = data["landmarks"], data["world"], data["present"]
        assert landmarks.shape == (91, 33, 4) and landmarks.dtype == np.float32
        assert world.shape == (91, 33, 3)
        assert present.dtype == bool and present.mean() > 0.95
        assert np.isnan(landmarks[~present]).all()
        assert float(data["fps"]) == pytest.approx(30.0, abs=0.1)
        assert (int(data["width"]), int(data["height"])) == (640, 480)
        xy = landmarks[present][..., :2]
        assert (xy[..., 0] > -640).all() and (xy[..., 0] < 1280).all()  # pixels, not [0, 1]
    capture = cv2.VideoCapture(str(overlay))
    assert int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little") == b"VP80"


def test_missing_model_names_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "nope.tflite"
    clip = tmp_path / "unused.mp4"
    result = dancepose("pose", str(clip), "--out", str(tmp_path / "x.npz"),
                       "--landmark-model", str(missing))  # fmt: skip
    assert_one_clear_line(result, str(missing), "make models")


def test_corrupt_model_names_the_file_and_the_fix(tmp_path, model_paths):
    corrupt = tmp_path / "pose_landmark_full.tflite"
    corrupt.write_bytes(model_paths.landmark.read_bytes()[:5000])  # truncated download
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")
    result = dancepose("pose", str(clip), "--out", str(tmp_path / "x.npz"),
                       "--landmark-model", str(corrupt))  # fmt: skip
    assert_one_clear_line(result, str(corrupt), "make models")


@pytest.mark.parametrize("content", [b"", b"this is not a video\n" * 100])
def test_unreadable_or_empty_video(tmp_path, model_paths, content):
    video = tmp_path / "broken.mp4"
    video.write_bytes(content)
    result = dancepose("pose", str(video), "--out", str(tmp_path / "x.npz"))
    assert_one_clear_line(result, str(video))


def test_video_that_does_not_exist(tmp_path, model_paths):
    result = dancepose("pose", str(tmp_path / "absent.mp4"), "--out", str(tmp_path / "x.npz"))
    assert_one_clear_line(result, "absent.mp4", "not found")


def test_video_with_no_person(tmp_path, model_paths):
    rng = np.random.default_rng(1)
    frames = [cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), np.uint8), (0, 0), 3)
              for _ in range(20)]  # fmt: skip
    video = write_video(tmp_path / "empty_room.mp4", frames)
    out = tmp_path / "room.npz"
    result = dancepose("pose", str(video), "--out", str(out))
    assert_one_clear_line(result, "no person found", str(video))
    with np.load(out) as data:  # the (empty) result is still written, nothing is lost
        assert not data["present"].any()


@pytest.mark.parametrize("complexity", [0, 2])
def test_mediapipe_refuses_complexities_that_download(complexity):
    with pytest.raises(MediaPipeUnavailable, match="offline"):
        MediaPipePoseEstimator(model_complexity=complexity)
