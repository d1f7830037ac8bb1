"""Pack-free counting: a low cycle that keeps the beat is a rep done small, not a partial
rep (docs/counting.md, "Off by two or more"): real stirring clips hold such cycles."""

from __future__ import annotations

import numpy as np

from edge.counting.clip import count_any
from edge.keypoints_io import KeypointTrack
from edge.skeleton import JOINT


def arm_raises(heights: list[float], period_s: float = 1.0, fps: float = 30.0) -> KeypointTrack:
    """A standing body, still for 3 s, raising both arms once a period to the given share of
    their reach (one height per cycle), then still for 3 s."""
    still_s, cycles = 3.0, len(heights)
    frames = int((2 * still_s + period_s * cycles) * fps)
    t = np.arange(frames) / fps
    moving = (t >= still_s) & (t < still_s + period_s * cycles)
    cycle = np.clip(((t - still_s) // period_s).astype(int), 0, cycles - 1)
    wave = (1 - np.cos(2 * np.pi * (t - still_s) / period_s)) / 2
    lift = np.where(moving, np.asarray(heights)[cycle] * wave, 0.0)
    landmarks = np.zeros((frames, 33, 4), np.float32)
    landmarks[:, :, 3] = 1.0
    rest = {"shoulder": -100, "elbow": -60, "wrist": -20, "hip": 0, "knee": 60, "ankle": 120}
    for side, sign in (("left", -1), ("right", 1)):
        for joint, y in rest.items():
            landmarks[:, JOINT[f"{side}_{joint}"], 0] = 300 + sign * 30
            landmarks[:, JOINT[f"{side}_{joint}"], 1] = 300 + y
        for joint, reach in (("elbow", 35), ("wrist", 80)):
            index = JOINT[f"{side}_{joint}"]
            landmarks[:, index, 0] += sign * reach * lift
            landmarks[:, index, 1] -= reach * lift
    noise = np.random.default_rng(0).normal(0, 0.5, landmarks[..., :2].shape)
    landmarks[..., :2] += noise.astype(np.float32)
    return KeypointTrack(landmarks, np.full((frames, 33, 3), np.nan, np.float32),
                         np.ones(frames, bool), fps, 640, 480)  # fmt: skip


def test_low_reps_on_the_beat_count():
    # two reps at 15% of the others' height, each a period from its neighbours: before, two
    # partial reps and a count of 9
    result = count_any(arm_raises([1, 1, 1, 1, 0.15, 0.15, 1, 1, 1, 1]))
    assert (result.reps, result.partial) == (10, 0)
    low = [e for e in result.events if e.range is not None and e.range < 0.5]
    assert len(low) == 2  # and their range says how small they were
