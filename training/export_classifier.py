"""Export an exercise's pose classifier to TFLite, measure each variant, pick one for the edge.

The graph takes raw landmarks (1, 33, 3) float32 pixels and returns votes (1, n_classes):
the embedding runs inside it by calling `edge.features.embedding.embed` with
`tf.experimental.numpy`, so the edge and the numpy reference share one implementation.

Variants: the exact k-NN (MediaPipe's two-pass vote) as float32, float16 constants, and
int8; and a small dense network trained on the same samples, for comparison. Every
candidate is run on the real LiteRT interpreter against the numpy k-NN reference.
The issue's rule: ship a quantized k-NN when it agrees on at least 99% of decisions.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tensorflow.experimental.numpy as tnp
from ai_edge_litert.interpreter import Interpreter

from edge.counting.knn import KnnPoseClassifier
from edge.counting.pack import PackSpec
from edge.features.embedding import SCALE, EmbeddingOptions, embed, mirror, xyz
from edge.skeleton import NUM_LANDMARKS

QUANTIZATIONS = ("float32", "float16", "int8")
MIN_AGREEMENT_PCT = 99.0
SIGNATURE = [tf.TensorSpec([1, NUM_LANDMARKS, 3], tf.float32, name="landmarks")]


def _sample_embeddings(landmarks: np.ndarray, spec: PackSpec) -> np.ndarray:
    """(N, P, 3) float64: the numpy reference's own sample embeddings."""
    return embed(xyz(landmarks), spec.embedding)


def knn_function(landmarks: np.ndarray, labels: np.ndarray, spec: PackSpec) -> Any:
    """The reference k-NN as a tf.function: landmarks (1, 33, 3) -> votes (1, n_classes).

    Samples are embedded once in float64 (as the reference does) and baked in as
    constants; `top_k` keeps the lower index on ties, like the reference's stable sort.
    """
    samples = tf.constant(_sample_embeddings(landmarks, spec), tf.float32)
    one_hot = tf.constant(np.eye(len(spec.class_names), dtype=np.float32)[labels])
    weights = tf.constant(spec.knn.axes_weights, tf.float32)
    top_max, top_mean = spec.knn.top_n_by_max_distance, spec.knn.top_n_by_mean_distance
    options = spec.embedding

    @tf.function(input_signature=SIGNATURE)
    def votes(points: tf.Tensor) -> tf.Tensor:
        direct = tf.abs(samples - embed(points, options, tnp)) * weights  # (N, P, 3)
        flipped = tf.abs(samples - embed(mirror(points, tnp), options, tnp)) * weights
        max_dist = tf.minimum(
            tf.reduce_max(direct, axis=[1, 2]), tf.reduce_max(flipped, axis=[1, 2])
        )
        _, kept = tf.math.top_k(-max_dist, k=min(top_max, samples.shape[0]))
        mean_dist = tf.minimum(
            tf.reduce_mean(tf.gather(direct, kept), axis=[1, 2]),
            tf.reduce_mean(tf.gather(flipped, kept), axis=[1, 2]),
        )
        _, nearest = tf.math.top_k(-mean_dist, k=min(top_mean, top_max, samples.shape[0]))
        return tf.reduce_sum(tf.gather(one_hot, tf.gather(kept, nearest)), axis=0)[None]

    return votes


class Embedding(keras.layers.Layer):
    """Landmarks (B, 33, 3) -> flattened embedding / SCALE (about +-1), via the shared code."""

    def __init__(self, options: EmbeddingOptions, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.width = len(options.pair_indices()) * 3

    def call(self, points: Any) -> Any:
        return tf.reshape(embed(points, self.options, tnp) / SCALE, [-1, self.width])


def train_dense(landmarks: np.ndarray, labels: np.ndarray, spec: PackSpec, seed: int = 0) -> Any:
    """A small softmax network on the embedding, as votes on the k-NN's 0..top-n scale.

    Mirrored copies augment the samples because the k-NN scores both facings too.
    """
    keras.utils.set_random_seed(seed)
    points = xyz(landmarks).astype(np.float32)
    x = np.concatenate([points, mirror(points)])
    y = np.concatenate([labels, labels]).astype(np.int64)
    model = keras.Sequential(
        [
            keras.Input((33, 3)),
            Embedding(spec.embedding),
            keras.layers.Dense(48, activation="relu"),
            keras.layers.Dense(len(spec.class_names), activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=150, batch_size=64, shuffle=True, verbose=0)
    scale = float(spec.knn.top_n_by_mean_distance)

    @tf.function(input_signature=SIGNATURE)
    def votes(points: tf.Tensor) -> tf.Tensor:
        return model(points, training=False) * scale

    votes.model = model  # the tf.function holds its variables weakly; keep them alive
    return votes


def _representative(landmarks: np.ndarray) -> Callable[[], Iterator[list[np.ndarray]]]:
    points = xyz(landmarks).astype(np.float32)

    def dataset() -> Iterator[list[np.ndarray]]:
        for pose in np.concatenate([points, mirror(points)]):
            yield [pose[None]]

    return dataset


def to_tflite(fn: Any, quantization: str, representative: np.ndarray | None = None) -> bytes:
    """Convert a (1, 33, 3) -> votes tf.function; float I/O whatever the quantization.

    int8 is full-integer with float I/O where the representative landmarks are given and
    the ops allow it, else dynamic-range (weights only).
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    # No trackable_obj on purpose: with one, TF 2.21 keeps Keras 3 variables as
    # uninitialised READ_VARIABLE ops (garbage votes); without, it freezes them.
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()])
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if representative is not None:
            converter.representative_dataset = _representative(representative)
            try:
                with warnings.catch_warnings():  # float I/O is meant: no input statistics
                    warnings.filterwarnings("ignore", "Statistics for quantized inputs")
                    return converter.convert()
            except Exception:  # some op has no int8 kernel: weights-only int8 instead
                return to_tflite(fn, "int8", None)
    return converter.convert()


@dataclass
class ExportCandidate:
    variant: str
    model: bytes
    size_bytes: int
    median_invoke_ms: float
    decision_agreement_pct: float
    votes_equal_pct: float


def _run(model: bytes, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """Votes for every (33, 3) query on the real LiteRT interpreter, and median invoke ms."""
    interpreter = Interpreter(model_content=model, num_threads=1)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    sink = interpreter.get_output_details()[0]["index"]
    votes, times = [], []
    for pose in queries.astype(np.float32):
        interpreter.set_tensor(source, pose[None])
        start = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - start)
        votes.append(interpreter.get_tensor(sink)[0].astype(np.float64))
    return np.array(votes), float(np.median(times) * 1e3)


def reference_votes(
    landmarks: np.ndarray, labels: np.ndarray, spec: PackSpec, queries: np.ndarray
) -> np.ndarray:
    """The numpy k-NN (what the edge's NumpyKnn computes) on every query pose."""
    knn = KnnPoseClassifier(_sample_embeddings(landmarks, spec), labels, spec.class_names, spec.knn)
    points = xyz(queries)
    direct, flipped = embed(points, spec.embedding), embed(mirror(points), spec.embedding)
    return np.array([knn.votes(d, f) for d, f in zip(direct, flipped, strict=True)])


def export_candidates(
    landmarks: np.ndarray, labels: np.ndarray, spec: PackSpec,
    more_queries: np.ndarray | None = None,
) -> list[ExportCandidate]:  # fmt: skip
    """Convert every variant and score it on each sample pose, on `more_queries` (other
    poses of the exercise, e.g. landmark CSVs of the same photos), and their x-mirrors."""
    labels = np.asarray(labels, dtype=np.int64)
    points = xyz(landmarks if more_queries is None else np.concatenate([landmarks, more_queries]))
    queries = np.concatenate([points, mirror(points)])
    expected = reference_votes(landmarks, labels, spec, queries)
    knn, dense = knn_function(landmarks, labels, spec), train_dense(landmarks, labels, spec)
    plan = [(f"knn-{q}", knn, q) for q in QUANTIZATIONS]
    plan += [(f"dense-{q}", dense, q) for q in ("float32", "int8")]
    candidates = []
    for variant, fn, quantization in plan:
        try:
            model = to_tflite(fn, quantization, landmarks)
        except Exception as exc:  # a variant that will not convert is reported, not fatal
            if variant == "knn-float32":
                raise
            print(f"{spec.name}: {variant} did not convert ({exc})", file=sys.stderr)
            continue
        votes, median_ms = _run(model, queries)
        candidates.append(
            ExportCandidate(
                variant,
                model,
                len(model),
                median_ms,
                100.0 * float(np.mean(votes.argmax(1) == expected.argmax(1))),
                100.0 * float(np.mean((votes == expected).all(1))),
            )
        )
    return candidates


def choose(candidates: list[ExportCandidate]) -> ExportCandidate:
    """The smallest quantized k-NN agreeing on >= 99% of decisions AND of vote vectors,
    else knn-float32.

    The counter's enter/exit thresholds act on the smoothed vote values, not only on the
    top class, so a variant whose votes drift (int8 distances reorder near-ties) would
    change counts while keeping "decisions". Only k-NN variants qualify; the dense net is
    reported for comparison.
    """
    by_name = {c.variant: c for c in candidates}
    quantized = [
        c
        for c in candidates
        if c.variant.startswith("knn-")
        and c.variant != "knn-float32"
        and c.decision_agreement_pct >= MIN_AGREEMENT_PCT
        and c.votes_equal_pct >= MIN_AGREEMENT_PCT
    ]
    return min(quantized, key=lambda c: c.size_bytes) if quantized else by_name["knn-float32"]


def render_report(name: str, candidates: list[ExportCandidate]) -> str:
    """A Markdown section: one row per variant, as docs/bench/packs.md shows them."""
    lines = [
        f"## {name}",
        "",
        "| variant | size KB | median invoke ms | decision agreement % | votes equal % |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.variant} | {c.size_bytes / 1024:.1f} | {c.median_invoke_ms:.3f} "
        f"| {c.decision_agreement_pct:.1f} | {c.votes_equal_pct:.1f} |"
        for c in candidates
    ]
    return "\n".join(lines) + "\n"
