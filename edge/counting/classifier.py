"""Per-frame pose classifiers behind one call: landmarks in, votes per class out.

`TfliteVotes` runs a pack's classifier.tflite (the embedding is inside the graph);
`NumpyKnn` is the reference k-NN computed from the pack's samples, for tests and for
checking a converted model.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from edge.counting.knn import KnnPoseClassifier
from edge.counting.pack import ExercisePack
from edge.features.embedding import PoseEmbedder, xyz
from edge.pose.interpreter import load_interpreter


class VoteClassifier(Protocol):
    def votes(self, landmarks: np.ndarray) -> np.ndarray:
        """(33, C>=3) landmarks in pixels -> (n_classes,) votes out of top-n."""
        ...


class TfliteVotes:
    def __init__(self, pack: ExercisePack, num_threads: int = 1) -> None:
        self._interpreter = load_interpreter(pack.model_path, num_threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def votes(self, landmarks: np.ndarray) -> np.ndarray:
        points = xyz(landmarks).astype(np.float32)[None]
        self._interpreter.set_tensor(self._input, points)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0].astype(np.float64)


class NumpyKnn:
    def __init__(self, pack: ExercisePack) -> None:
        landmarks, labels = pack.load_samples()
        self._embedder = PoseEmbedder(pack.spec.embedding)
        embeddings = self._embedder(landmarks)
        self._knn = KnnPoseClassifier(embeddings, labels, pack.spec.class_names, pack.spec.knn)

    def votes(self, landmarks: np.ndarray) -> np.ndarray:
        return self._knn.votes(*self._embedder.both(landmarks))
