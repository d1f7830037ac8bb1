"""One extraction worker's pose estimator, for training.extract's local processes and its
Ray tasks (training/extract_ray.py) alike, so both compute the same keypoints.

The estimator is built once per worker process (init_worker) and reused for every video it
is given (video_track resets it between videos).
"""

from __future__ import annotations

from pathlib import Path

import cv2

from edge.pose.estimator import PoseEstimator, create_estimator
from edge.pose.result import KeypointTrack
from edge.pose.track import track_from_video

Outcome = tuple[Path, int | BaseException]  # a video and its frames, or why it failed

_estimator: PoseEstimator | None = None  # one per worker process, built by init_worker
_init_error: str | None = None  # why it could not be built; every task reports it
_built_for: tuple[str, int] | None = None  # (backend, threads) of _estimator


def init_worker(backend: str, threads: int) -> None:
    """Build this worker's estimator once; cap OpenCV's threads so workers do not fight."""
    global _estimator, _init_error, _built_for
    if _built_for == (backend, threads):
        return
    cv2.setNumThreads(threads)
    _built_for = (backend, threads)
    try:
        _estimator = create_estimator(backend, threads)
    except Exception as exc:  # reported per video, instead of a bare BrokenProcessPool
        _init_error = f"pose backend {backend!r} could not start: {exc}".splitlines()[0]


def video_track(video: Path, stride: int) -> KeypointTrack:
    """This worker's keypoints of one video (after init_worker); resets the estimator."""
    if _estimator is None:
        raise RuntimeError(_init_error or "worker has no estimator")
    return track_from_video(Path(video), _estimator, stride=stride)
