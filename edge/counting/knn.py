"""k-NN pose classification, as MediaPipe's pose-classification Colab does it.

Two passes, both over the pose and its mirror: a max-distance pass first drops samples
with even one badly mismatched vector (outliers a mean would hide), then a mean-distance
pass ranks what is left. The smaller z weight reflects BlazePose's noisy depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KnnParams:
    """The k-NN's settings (a pack's "knn" table); the defaults are the reference's."""

    top_n_by_max_distance: int = 30
    top_n_by_mean_distance: int = 10
    axes_weights: tuple[float, float, float] = (1.0, 1.0, 0.2)


class KnnPoseClassifier:
    """Votes of the nearest labelled samples; `votes[i]` counts class `class_names[i]`."""

    def __init__(
        self,
        sample_embeddings: np.ndarray,
        sample_labels: np.ndarray,
        class_names: Sequence[str],
        params: KnnParams = KnnParams(),
    ) -> None:
        self.samples = np.asarray(sample_embeddings, dtype=np.float64)
        self.labels = np.asarray(sample_labels, dtype=np.int64)
        self.class_names = list(class_names)
        if self.samples.ndim != 3 or self.samples.shape[0] != self.labels.shape[0]:
            raise ValueError(
                f"need (N, P, 3) embeddings and N labels, got {self.samples.shape} "
                f"and {self.labels.shape}"
            )
        if self.labels.size and not 0 <= self.labels.min() <= self.labels.max() < len(
            self.class_names
        ):
            raise ValueError("sample labels must index class_names")
        self.top_n_by_max_distance = params.top_n_by_max_distance
        self.top_n_by_mean_distance = params.top_n_by_mean_distance
        self.axes_weights = np.asarray(params.axes_weights, dtype=np.float64)

    def votes(self, embedding: np.ndarray, mirrored_embedding: np.ndarray) -> np.ndarray:
        """(n_classes,) vote counts among the final `top_n_by_mean_distance` samples."""
        if not (np.isfinite(embedding).all() and np.isfinite(mirrored_embedding).all()):
            raise ValueError("embedding has missing joints; skip the frame instead")
        direct = np.abs(self.samples - embedding) * self.axes_weights
        flipped = np.abs(self.samples - mirrored_embedding) * self.axes_weights
        max_dist = np.minimum(direct.max(axis=(1, 2)), flipped.max(axis=(1, 2)))
        # Stable sorts break ties by sample order, as the reference's sorted() does.
        kept = np.argsort(max_dist, kind="stable")[: self.top_n_by_max_distance]
        mean_dist = np.minimum(direct[kept].mean(axis=(1, 2)), flipped[kept].mean(axis=(1, 2)))
        nearest = kept[np.argsort(mean_dist, kind="stable")[: self.top_n_by_mean_distance]]
        counts = np.bincount(self.labels[nearest], minlength=len(self.class_names))
        return counts.astype(np.float64)
