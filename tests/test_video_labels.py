"""Labelling ONE clip of reps as k-NN samples (training/video_labels.py).

Synthetic clips swing between two real squat poses with a known period, so the expected
period, cycle count and labels are exact; the real clip checks the whole chain from video
through the pose model to the count."""

from __future__ import annotations

import numpy as np
import pytest

from edge.keypoints_io import KeypointTrack, read_pose_csv
from edge.pose.estimator import create_estimator
from edge.sources import open_source
from tests.conftest import shared_path
from training.video_labels import VideoLabels, label_from_track, samples_from_labels

FPS = 30.0
# One person from the MediaPipe sample CSVs, standing and at the bottom of a squat.
UP_NAME, DOWN_NAME = "image1009.jpg", "image1014.jpg"


@pytest.fixture(scope="module")
def squat_poses() -> tuple[np.ndarray, np.ndarray]:
    poses = []
    for state, name in (("up", UP_NAME), ("down", DOWN_NAME)):
        names, points = read_pose_csv(shared_path("data", "pose_samples", f"squats_{state}.csv"))
        assert name in names, f"squats_{state}.csv no longer holds {name}"
        poses.append(points[names.index(name)].astype(np.float64))
    return poses[0], poses[1]


def swinging(
    up: np.ndarray, down: np.ndarray, period_s: float, cycles: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(T, 33, 4) landmarks going up -> down -> up `cycles` times, with 1 px keypoint noise
    and a few frames without a person; and (T,) how far down each frame is (0..1)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(cycles * period_s * FPS)) / FPS
    depth = (1 - np.cos(2 * np.pi * t / period_s)) / 2
    points = up + depth[:, None, None] * (down - up) + rng.normal(0, 1.0, (len(t), 33, 3))
    landmarks = np.concatenate([points, np.ones((len(t), 33, 1))], axis=-1)
    landmarks[rng.choice(len(t), 5, replace=False)] = np.nan
    return landmarks, depth


@pytest.mark.parametrize(("period_s", "cycles"), [(1.0, 8), (2.0, 5), (4.5, 3)])
def test_synthetic_reps_give_period_count_and_labels(squat_poses, period_s, cycles):
    landmarks, depth = swinging(*squat_poses, period_s, cycles)
    found = label_from_track(landmarks, FPS)
    assert found.period_s == pytest.approx(period_s, rel=0.1)
    assert found.reps_seen == cycles
    assert found.signal.shape == (len(landmarks),)
    assert set(np.unique(found.labels)) == {0, 1}
    # "down" is the squat bottom; the ambiguous middle is left out.
    frames_depth = depth[found.frame_indices]
    assert (frames_depth[found.labels == 1] > 0.6).all()
    assert (frames_depth[found.labels == 0] < 0.4).all()
    assert np.isfinite(landmarks[found.frame_indices]).all()


def test_samples_are_the_labelled_frames(squat_poses):
    landmarks, _ = swinging(*squat_poses, 2.0, 4)
    found = label_from_track(landmarks, FPS)
    points, labels = samples_from_labels(landmarks, found)
    assert points.shape == (len(found.frame_indices), 33, 3)
    np.testing.assert_allclose(points, landmarks[found.frame_indices, :, :3], rtol=1e-6)
    np.testing.assert_array_equal(labels, found.labels)


def test_walking_out_of_the_frame_is_not_labelled(squat_poses):
    """After the reps the person turns into another pose (a lunge, from another person):
    a one-off motion larger than the reps. It must neither take the signal over nor give
    samples; only its first frames, still the standing pose, may be labelled "up"."""
    up, _ = squat_poses
    _, lunges = read_pose_csv(shared_path("data", "pose_samples", "lunges_down.csv"))
    reps, _ = swinging(*squat_poses, 2.0, 4)
    step = np.linspace(0.0, 1.0, 45)[:, None, None]
    away = np.concatenate([up + step * (lunges[0] - up), np.repeat(lunges[:1], 30, axis=0)])
    away += np.random.default_rng(2).normal(0, 1.0, away.shape)
    landmarks = np.concatenate([reps, np.concatenate([away, np.ones((75, 33, 1))], axis=-1)])
    found = label_from_track(landmarks, FPS)
    assert found.reps_seen == 4
    assert found.period_s == pytest.approx(2.0, rel=0.1)
    assert (found.frame_indices >= len(reps) + 5).sum() == 0
    assert (found.labels[found.frame_indices >= len(reps)] == 0).all()


def test_a_small_sway_is_not_reps(squat_poses):
    up, down = squat_poses
    landmarks, _ = swinging(up, up + 0.1 * (down - up), 2.0, 5)  # a tenth of a squat
    with pytest.raises(ValueError, match="embedding units"):
        label_from_track(landmarks, FPS)


def test_a_still_pose_has_no_reps(squat_poses):
    up, _ = squat_poses
    rng = np.random.default_rng(1)
    points = up + rng.normal(0, 1.0, (300, 33, 3))
    landmarks = np.concatenate([points, np.ones((300, 33, 1))], axis=-1)
    with pytest.raises(ValueError, match="no periodic motion"):
        label_from_track(landmarks, FPS)


def test_a_single_rep_is_not_enough(squat_poses):
    landmarks, _ = swinging(*squat_poses, 2.0, 1)
    still = np.repeat(landmarks[:1], 150, axis=0)
    with pytest.raises(ValueError, match=r"periodic|cycle"):
        label_from_track(np.concatenate([still, landmarks, still]), FPS)


def test_hidden_joints_are_named(squat_poses):
    landmarks, _ = swinging(*squat_poses, 2.0, 4)
    landmarks[..., 3] = 0.1  # nothing clearly visible
    with pytest.raises(ValueError, match="visibility"):
        label_from_track(landmarks, FPS)


@pytest.fixture(scope="module")
def squat_side_track(model_paths) -> KeypointTrack:
    """Keypoints of the real side-view squat clip (3 reps) through our pose backend."""
    video = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    estimator = create_estimator("litert")
    source = open_source(str(video))
    results = [next(iter(estimator.process(frame)), None) for frame in source.frames()]
    source.close()
    return KeypointTrack.from_results(results, source.fps, source.width, source.height)


def test_real_squat_clip_shows_three_reps(squat_side_track):
    found: VideoLabels = label_from_track(squat_side_track.landmarks, squat_side_track.fps)
    assert abs(found.reps_seen - 3) <= 1
    assert 2.0 < found.period_s < 4.0  # 3 reps in 10.7 s
    assert (found.labels == 1).sum() >= 20 and (found.labels == 0).sum() >= 20
