"""Video -> KeypointTrack: the one loop that runs a pose estimator over a whole clip.

`dancepose pose`, the counting bench, the backend agreement figures, training's extraction
and pack building all call track_from_video; none of them opens a source and loops itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edge.pose.estimator import PoseEstimator, create_estimator
from edge.pose.result import KeypointTrack, PoseResult
from edge.progress import Progress
from edge.sources.frame import Frame, FrameSource
from edge.sources.opencv_source import OpenCvSource, open_source

OnFrame = Callable[[Frame, PoseResult | None], None]


def track_from_video(
    video: Path | str | int | FrameSource,
    estimator: PoseEstimator | None = None,
    *,
    backend: str = "litert",
    threads: int = 2,
    detector_model: Path | None = None,
    landmark_model: Path | None = None,
    task: Path | None = None,
    stride: int = 1,
    progress: str | None = None,
    on_frame: OnFrame | None = None,
) -> KeypointTrack:
    """One person's keypoints over every `stride`-th frame of `video`.

    video: a Path is always a file (a file named "0" is not a camera); a str or int goes
    through open_source (digits = a camera, a URL = a stream); an open FrameSource is read
    and left open for its owner (who may need its fps and size, e.g. for an overlay).
    estimator: one to reuse (it is reset first: tracking state must not carry over from
    another clip) and left open; else one is built from backend, threads and the model
    paths (None = `make models`' files) and closed at the end.
    stride N: every Nth frame, the track's fps divided by N so its times stay right; the
    frames keep their real timestamps, so the estimator's smoothing sees true time.
    progress: the label of a terminal progress bar (None: no bar).
    on_frame(frame, result): called for each processed frame, e.g. to draw an overlay.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    owned = estimator is None
    if estimator is None:
        estimator = create_estimator(backend, threads, detector_model, landmark_model, task)
    else:
        estimator.reset()
    try:
        if isinstance(video, Path | str | int):
            source = OpenCvSource(str(video)) if isinstance(video, Path) else open_source(video)
            try:
                return _track(source, estimator, str(video), stride, progress, on_frame)
            finally:
                source.close()
        return _track(video, estimator, video.description, stride, progress, on_frame)
    finally:
        if owned:
            estimator.close()


def _track(
    source: FrameSource, estimator: PoseEstimator, name: str, stride: int,
    progress: str | None, on_frame: OnFrame | None,
) -> KeypointTrack:  # fmt: skip
    bar = Progress(-(-source.frame_count // stride), progress) if progress is not None else None
    results: list[PoseResult | None] = []
    try:
        for frame in source.frames():
            if frame.index % stride:
                continue
            people = estimator.process(frame)
            result = people[0] if people else None  # one person's track
            results.append(result)
            if on_frame is not None:
                on_frame(frame, result)
            if bar is not None:
                bar.update(len(results))
    finally:
        if bar is not None:
            bar.close()
    return KeypointTrack.from_results(
        results, source.fps / stride, source.width, source.height, name, estimator.name
    )
