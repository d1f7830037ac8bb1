"""MediaPipe's pose embedding for k-NN pose classification, written once for two engines.

`FullBodyPoseEmbedder` from MediaPipe's pose-classification Colab: centre the pose on the
hips, scale it by its size, describe it by 23 difference vectors between joints. The
functions take an array namespace `xp`: numpy on the device and in tests, TensorFlow's
`tf.experimental.numpy` when training/ exports the classifier to TFLite, so the graph
computes exactly this code and no second copy exists.

Per-exercise options (`EmbeddingOptions`), measured on the real clips (docs/counting.md):
- `upright`: rotate the pose about the hips so hips->shoulders points up. Floor push-ups
  then look like the wall push-ups the samples show; squats keep their torso lean.
- `joints`: keep only the pairs between these joint families (e.g. push-ups ignore the
  legs, which side views often hallucinate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.skeleton import BODY_FAMILIES, BODY_INDEX, JOINT, MIDPOINTS, NUM_LANDMARKS, mid_hip, neck

# Pseudo-joints, in the reference's names: the torso runs between these midpoints.
CENTRES: dict[str, tuple[str, str]] = {
    "hips_centre": MIDPOINTS["mid_hip"],
    "shoulders_centre": MIDPOINTS["neck"],
}

# (from, to) pairs in the reference's order; each gives the vector `to - from`.
# "left_hip"->"left_wrist" and its right twin appear twice, as in the reference: the
# duplicate doubles their weight in the k-NN distances.
EMBEDDING_PAIRS: tuple[tuple[str, str], ...] = (
    ("hips_centre", "shoulders_centre"),
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("right_hip", "right_knee"),
    ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
    ("left_shoulder", "left_wrist"), ("right_shoulder", "right_wrist"),
    ("left_hip", "left_ankle"), ("right_hip", "right_ankle"),
    ("left_hip", "left_wrist"), ("right_hip", "right_wrist"),
    ("left_shoulder", "left_ankle"), ("right_shoulder", "right_ankle"),
    ("left_hip", "left_wrist"), ("right_hip", "right_wrist"),
    ("left_elbow", "right_elbow"), ("left_knee", "right_knee"),
    ("left_wrist", "right_wrist"), ("left_ankle", "right_ankle"),
)  # fmt: skip

# The pairs are built from the body joints (edge.skeleton's families, both sides); the pose
# size is measured over these only, so COCO-17 and BODY_25 skeletons (NaN for face and hand
# detail) embed exactly like BlazePose ones.
_AUGMENTED = {**JOINT, "hips_centre": NUM_LANDMARKS, "shoulders_centre": NUM_LANDMARKS + 1}
TORSO_SIZE_MULTIPLIER = 2.5
SCALE = 100.0  # the reference multiplies by 100; sample distances are tuned to it


@dataclass(frozen=True)
class EmbeddingOptions:
    upright: bool = False
    joints: tuple[str, ...] = BODY_FAMILIES  # families whose pairs are kept

    def pair_indices(self) -> np.ndarray:
        """Indices into EMBEDDING_PAIRS whose both ends lie in the kept families."""
        unknown = set(self.joints) - set(BODY_FAMILIES)
        if unknown:
            raise ValueError(f"unknown joint families {sorted(unknown)}; use {BODY_FAMILIES}")
        kept = {f"{side}_{f}" for f in self.joints for side in ("left", "right")}
        kept |= {c for c, (a, b) in CENTRES.items() if a in kept and b in kept}
        return np.array([i for i, (a, b) in enumerate(EMBEDDING_PAIRS) if {a, b} <= kept])

    def as_dict(self) -> dict[str, Any]:
        return {"upright": self.upright, "joints": list(self.joints)}


def xyz(landmarks: np.ndarray) -> np.ndarray:
    """(..., 33, C) -> (..., 33, 3) float64: drop visibility, give 2D input a zero z."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape[-1] < 2 or points.shape[-2] != len(JOINT):
        raise ValueError(f"landmarks must be (..., 33, C>=2), got shape {points.shape}")
    if points.shape[-1] == 2:
        return np.concatenate([points, np.zeros_like(points[..., :1])], axis=-1)
    return points[..., :3]


def mirror(points: Any, xp: Any = np) -> Any:
    """x negated, labels kept: the reference also scores this flip, so a sample recorded
    facing left matches a pose facing right."""
    return xp.concatenate([-points[..., :1], points[..., 1:]], axis=-1)


def rotate_upright(points: Any, xp: Any = np) -> Any:
    """Rotate (..., 33, 3) in the image plane about the hip centre so hips->shoulders is up."""
    hips, shoulders = mid_hip(points), neck(points)
    torso = shoulders - hips
    angle = xp.arctan2(torso[..., 0], -torso[..., 1])  # from "up", clockwise in image
    cos_a, sin_a = xp.cos(angle)[..., None], xp.sin(angle)[..., None]
    x = points[..., 0] - hips[..., None, 0]
    y = points[..., 1] - hips[..., None, 1]
    rotated_x = cos_a * x + sin_a * y + hips[..., None, 0]
    rotated_y = -sin_a * x + cos_a * y + hips[..., None, 1]
    return xp.stack([rotated_x, rotated_y, points[..., 2]], axis=-1)


def embed(points: Any, options: EmbeddingOptions = EmbeddingOptions(), xp: Any = np) -> Any:
    """(..., 33, 3) landmarks in pixels -> (..., P, 3) difference vectors (P <= 23)."""
    if options.upright:
        points = rotate_upright(points, xp)
    hips, shoulders = mid_hip(points), neck(points)
    centred = points - hips[..., None, :]
    torso = xp.sqrt(xp.sum((shoulders - hips)[..., :2] ** 2, axis=-1))
    used = xp.take(centred, BODY_INDEX, axis=-2)
    reach = xp.max(xp.sqrt(xp.sum(used[..., :2] ** 2, axis=-1)), axis=-1)
    # max(2.5 x torso, farthest joint): neither a folded torso (squat bottom) nor an
    # outstretched limb blows up the scale.
    size = xp.maximum(TORSO_SIZE_MULTIPLIER * torso, reach)
    scaled = centred * (SCALE / size)[..., None, None]
    augmented = xp.concatenate(
        [
            scaled,
            xp.zeros_like(scaled[..., :1, :]),
            ((shoulders - hips) * (SCALE / size)[..., None])[..., None, :],
        ],
        axis=-2,
    )
    pairs = options.pair_indices()
    starts = np.array([_AUGMENTED[EMBEDDING_PAIRS[i][0]] for i in pairs])
    ends = np.array([_AUGMENTED[EMBEDDING_PAIRS[i][1]] for i in pairs])
    return xp.take(augmented, ends, axis=-2) - xp.take(augmented, starts, axis=-2)


class PoseEmbedder:
    """numpy convenience: landmarks (33, C) or (N, 33, C) -> (P, 3) or (N, P, 3)."""

    def __init__(self, options: EmbeddingOptions = EmbeddingOptions()) -> None:
        self.options = options

    def __call__(self, landmarks: np.ndarray) -> np.ndarray:
        return embed(xyz(landmarks), self.options)

    def both(self, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The embedding of the pose and of its mirror image, as the k-NN scores both."""
        points = xyz(landmarks)
        return embed(points, self.options), embed(mirror(points), self.options)
