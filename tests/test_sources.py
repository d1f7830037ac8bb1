"""Frame sources: looping files, newest-frame hand-off with drop counts, the Pi camera's
clear failure off the Pi."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edge.config import SourceConfig
from edge.sources import SourceError, open_source
from edge.sources.latest import LatestFrame
from edge.sources.picamera import PiCameraSource
from tests.conftest import shared_path
from tests.helpers import PacedSource


def test_looped_file_keeps_counting():
    clip = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")  # 91 frames
    source = open_source(str(clip), loop=True)
    frames = []
    for frame in source.frames():
        frames.append(frame)
        if len(frames) == 200:
            break
    source.close()
    assert [f.index for f in frames] == list(range(200))
    assert np.all(np.diff([f.timestamp_s for f in frames]) > 0)


def test_slow_consumer_gets_the_newest_frame_and_drops_are_counted():
    latest = LatestFrame(PacedSource(frames=60, period_s=0.005))
    seen = []
    while (frame := latest.next_frame(timeout_s=2.0)) is not None:
        seen.append(frame.index)
        time.sleep(0.02)  # inference four times slower than the camera
    latest.close()
    assert seen == sorted(seen) and seen[-1] == 59
    assert latest.dropped > 20
    assert len(seen) + latest.dropped == 60


def test_a_source_that_breaks_raises_source_error():
    latest = LatestFrame(PacedSource(frames=100, period_s=0.001, fail_after=5))
    with pytest.raises(SourceError, match="unplugged"):
        while latest.next_frame(timeout_s=2.0) is not None:
            pass
    latest.close()


def test_a_source_that_stalls_raises_source_error():
    latest = LatestFrame(PacedSource(frames=2, period_s=1.0))
    with pytest.raises(SourceError, match="no frame for"):
        latest.next_frame(timeout_s=0.2)
    latest.close()


def test_pi_camera_off_the_pi_says_how_to_install_it():
    try:
        import picamera2  # noqa: F401
    except ImportError:
        with pytest.raises(SourceError, match="python3-picamera2"):
            asked = SourceConfig()  # the one default size and rate
            PiCameraSource(asked.width, asked.height, asked.fps)
    else:
        pytest.skip("picamera2 is installed here: this is a Pi")
