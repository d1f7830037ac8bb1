"""edge.pose.track.track_from_video: the one video -> KeypointTrack loop, on a real clip
with the real LiteRT pipeline."""

from __future__ import annotations

import numpy as np

from edge.pose.estimator import create_estimator
from edge.pose.track import track_from_video
from edge.sources.opencv_source import OpenCvSource
from tests.conftest import shared_path


def test_stride_hook_and_a_reused_estimator_is_reset(model_paths) -> None:
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")  # 91 frames
    source = OpenCvSource(str(clip))
    frames, fps = source.frame_count, source.fps
    source.close()
    estimator = create_estimator("litert", 2, model_paths.detector, model_paths.landmark)
    try:
        seen: list[int] = []
        track = track_from_video(
            clip, estimator, stride=3, on_frame=lambda frame, _result: seen.append(frame.index)
        )
        assert seen == list(range(0, frames, 3))
        assert track.num_frames == len(seen) and track.present.any()
        assert track.fps == fps / 3 and (track.width, track.height) == (640, 480)
        assert (track.source, track.backend) == (str(clip), "litert")
        # Without the reset, tracking from the clip's last frame would change the first
        # frames of the second run; with it, the second run repeats the first exactly.
        again = track_from_video(clip, estimator, stride=3)
        np.testing.assert_array_equal(again.landmarks, track.landmarks)
        # Still usable after two runs: an estimator given in is left open for its owner.
        assert track_from_video(clip, estimator, stride=45).num_frames == 3
    finally:
        estimator.close()
