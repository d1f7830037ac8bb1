"""Parallel, resumable keypoint extraction on real clips."""

from __future__ import annotations

import shutil

import numpy as np

from edge.keypoints_io import load_npz
from tests.conftest import shared_path
from training.extract import cache_path, extract


def test_extracts_resumes_strides_and_reports_failures(tmp_path, model_paths):
    bridge = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")  # 91 frames
    dance = shared_path("data", "dance_videos", "jacky_dance.mp4")  # 65 frames
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 50)
    cache = tmp_path / "cache"

    report = extract([bridge, dance, broken], cache, workers=2)
    assert report.done == 2 and report.skipped == 0
    assert len(report.failed) == 1 and "broken.mp4" in report.failed[0][0]
    first = load_npz(cache_path(bridge, cache))
    assert first.num_frames == 91 and first.present.mean() > 0.9
    assert load_npz(cache_path(dance, cache)).num_frames == 65
    assert not list(cache.glob("*.tmp")) and not list(cache.glob(".*"))

    again = extract([bridge, dance], cache, workers=2)
    assert again.skipped == 2 and again.done == 0  # resumable: nothing redone

    strided = extract([bridge], tmp_path / "strided", workers=1, stride=2)
    half = load_npz(cache_path(bridge, tmp_path / "strided"))
    assert strided.done == 1 and half.num_frames == 46
    assert np.isclose(half.fps, first.fps / 2)


def test_same_name_in_two_folders_does_not_collide(tmp_path):
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")
    for folder in ("house", "krump"):
        (tmp_path / folder).mkdir()
        shutil.copy(clip, tmp_path / folder / "clip.mp4")
    assert cache_path(tmp_path / "house" / "clip.mp4", tmp_path) != cache_path(
        tmp_path / "krump" / "clip.mp4", tmp_path
    )
