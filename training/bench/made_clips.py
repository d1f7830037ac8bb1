"""Clips made of real clips, for what no clip we have shows: long holds, shrinking reps.

Holds: no clip holds a plank or a wall sit for long. At every turning point of a real
clip's reps (a squat's bottom: a wall sit; a push-up's top: a plank) the real frames of
that turning point are played back and forth for a while, with their own jitter, in place
of it. What a hold counter should measure there is read from the body, not from a
counter: the stretch of the stream where the pose's joint pair (hips, shoulders) is in the
held half of its travel, around the inserted frames.

Shrinking reps: one real rep (top to top) played again and again, each time turned back
earlier: the frames deeper than a share of its travel are cut out, so each copy is a real
partial rep of that depth.

Used by tests/test_holds.py, tests/test_rep_quality.py and training/bench/rep_extras.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.keypoints_io import KeypointTrack
from edge.skeleton import JOINT, MIDPOINTS


@dataclass(frozen=True)
class HoldKind:
    """A hold exercise made of a pack: the class held, and the joint pair that shows it
    (sign +1: the held pose is where that pair is lowest in the image, -1: highest)."""

    pack: str
    pose: str
    joints: str
    sign: float


# A rep's bottom: squats lower the hips, push-ups the shoulders.
BOTTOMS = {
    "squat": HoldKind("squat", "down", "mid_hip", 1.0),
    "pushup": HoldKind("pushup", "down", "neck", 1.0),
}
HOLDS = {
    "wall_sit": HoldKind("squat", "down", "mid_hip", 1.0),
    "plank": HoldKind("pushup", "up", "neck", -1.0),
}
# Real exercise clips (../shared/data/exercise_videos) and the hold each one's turning
# points make.
CLIPS = [
    ("squat_side_3.mp4", "wall_sit"),
    ("goblet_squat_front_6.mp4", "wall_sit"),
    ("pushup_side_4.mp4", "plank"),
    ("pushup_front_3.mp4", "plank"),
]


@dataclass(frozen=True)
class HeldClip:
    order: list[int]  # the track's frame indices, in stream order
    first_s: float  # where the inserted stretch starts and ends, stream time
    last_s: float
    truth_s: float  # how long the body is in the held half of its travel around it


def depth_of(track: KeypointTrack, kind: HoldKind) -> np.ndarray:
    """How far into the held pose each frame is (image pixels; NaN: nobody)."""
    pair = np.array([JOINT[name] for name in MIDPOINTS[kind.joints]])
    y = kind.sign * track.landmarks[:, pair, 1].mean(1)
    return np.where(track.present, y, np.nan)


def turning_points(depth: np.ndarray) -> tuple[list[tuple[int, int]], float]:
    """Each rep's turning point, as the frames within 10% of its travel of its extreme;
    and the depth halfway between the start pose and the deepest point."""
    rest, deepest = np.nanpercentile(depth, 10), np.nanmax(depth)
    half = rest + 0.5 * (deepest - rest)
    deep = np.nan_to_num(depth, nan=rest) > half
    blocks, i = [], 0
    while i < len(deep):
        if not deep[i]:
            i += 1
            continue
        j = i
        while j < len(deep) and deep[j]:
            j += 1
        peak = i + int(np.nanargmax(depth[i:j]))
        near = depth[peak] - 0.1 * (depth[peak] - rest)
        lo, hi = peak, peak + 1
        while lo > i and depth[lo - 1] >= near:
            lo -= 1
        while hi < j and depth[hi] >= near:
            hi += 1
        blocks.append((lo, hi))
        i = j
    return blocks, float(half)


def held_clips(track: KeypointTrack, kind: HoldKind, hold_s: float) -> list[HeldClip]:
    """One stream per turning point of the track: that turning point held for hold_s."""
    depth = depth_of(track, kind)
    blocks, half = turning_points(depth)
    clips = []
    for lo, hi in blocks:
        block = list(range(lo, hi)) + list(range(hi - 2, lo, -1))
        n = round(hold_s * track.fps)
        order = [
            *range(lo),
            *[block[k % len(block)] for k in range(n)],
            *range(hi, track.num_frames),
        ]
        deep = np.nan_to_num(depth[order], nan=-np.inf) >= half
        a, b = lo, lo + n
        while a > 0 and deep[a - 1]:
            a -= 1
        while b < len(order) and deep[b]:
            b += 1
        clips.append(HeldClip(order, lo / track.fps, (lo + n) / track.fps, (b - a) / track.fps))
    return clips


def shrinking_reps(
    track: KeypointTrack, kind: HoldKind, which: int, shares: list[float]
) -> KeypointTrack:
    """The track's rep number `which` (from the top before it to the top after it), once
    per share: cut to that share of its travel (1: whole)."""
    depth = depth_of(track, kind)
    rest, deepest = np.nanpercentile(depth, 10), np.nanmax(depth)
    d = np.nan_to_num(depth, nan=rest)
    half = rest + 0.5 * (deepest - rest)
    runs, i = [], 0
    while i < len(d):
        if d[i] <= half:
            i += 1
            continue
        j = i
        while j < len(d) and d[j] > half:
            j += 1
        runs.append((i, j))
        i = j
    i, j = runs[which]
    a = runs[which - 1][1] + int(np.argmin(d[runs[which - 1][1] : i])) if which else 0
    b = j + int(np.argmin(d[j : runs[which + 1][0]])) if which + 1 < len(runs) else len(d)
    peak = i + int(np.argmax(d[i:j]))
    order: list[int] = []
    for share in shares:
        cut = rest + share * (d[peak] - rest)
        lo, hi = peak, peak + 1
        while lo > a and d[lo - 1] > cut:
            lo -= 1
        while hi < b and d[hi] > cut:
            hi += 1
        order += [k for k in range(a, b) if share >= 1 or not lo <= k < hi]
    index = np.array(order)
    return KeypointTrack(
        track.landmarks[index], track.world[index], track.present[index], track.fps,
        track.width, track.height,
    )  # fmt: skip
