"""The exported TFLite classifiers against the numpy k-NN, on the real pose samples.

Runs in .venv-train (TensorFlow). Exporting is slow, so each exercise is exported once per
module and every test reads the same candidates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training tests run in .venv-train")

from edge.counting.classifier import NumpyKnn, TfliteVotes
from edge.counting.pack import PackSpec, load_pack, write_pack
from edge.features.embedding import EmbeddingOptions, mirror, xyz
from edge.keypoints_io import read_pose_csv
from tests.conftest import shared_path
from training.export_classifier import (
    ExportCandidate,
    choose,
    export_candidates,
    knn_function,
    reference_votes,
    render_report,
    to_tflite,
)

PUSHUP = PackSpec(
    name="pushup",
    embedding=EmbeddingOptions(upright=True, joints=("shoulder", "elbow", "wrist", "hip")),
)
SPECS = {"squats": PackSpec(name="squat"), "pushups": PUSHUP}


def samples(exercise: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 33, 3) landmarks and labels (up=0, down=1) from the real MediaPipe CSVs."""
    parts, labels = [], []
    for label, state in enumerate(("up", "down")):
        _, points = read_pose_csv(shared_path("data", "pose_samples", f"{exercise}_{state}.csv"))
        parts.append(points)
        labels.append(np.full(len(points), label))
    return np.concatenate(parts), np.concatenate(labels)


@pytest.fixture(scope="module", params=sorted(SPECS))
def exported(request: pytest.FixtureRequest) -> tuple[str, list[ExportCandidate]]:
    landmarks, labels = samples(request.param)
    candidates = export_candidates(landmarks, labels, SPECS[request.param])
    print(f"\n{render_report(request.param, candidates)}")
    return request.param, candidates


def by_variant(candidates: list[ExportCandidate]) -> dict[str, ExportCandidate]:
    return {c.variant: c for c in candidates}


def test_knn_float32_votes_equal_the_numpy_reference(
    exported: tuple[str, list[ExportCandidate]],
) -> None:
    exercise, candidates = exported
    knn = by_variant(candidates)["knn-float32"]
    print(f"{exercise}: knn-float32 votes equal on {knn.votes_equal_pct:.2f}%")
    assert knn.votes_equal_pct >= 99.5
    assert knn.decision_agreement_pct >= 99.5


def test_chosen_variant_agrees_on_99_percent(exported: tuple[str, list[ExportCandidate]]) -> None:
    _, candidates = exported
    chosen = choose(candidates)
    assert chosen.variant.startswith("knn-")
    assert chosen.decision_agreement_pct >= 99.0
    assert chosen.size_bytes <= by_variant(candidates)["knn-float32"].size_bytes


def test_dense_model_mostly_agrees(exported: tuple[str, list[ExportCandidate]]) -> None:
    exercise, candidates = exported
    dense = by_variant(candidates)["dense-float32"]
    print(f"{exercise}: dense-float32 decision agreement {dense.decision_agreement_pct:.1f}%")
    assert dense.decision_agreement_pct >= 90.0


def test_every_variant_is_small_and_reported(exported: tuple[str, list[ExportCandidate]]) -> None:
    exercise, candidates = exported
    assert {"knn-float32", "knn-float16", "dense-float32", "dense-int8"} <= set(
        by_variant(candidates)
    )
    report = render_report(exercise, candidates)
    for c in candidates:
        assert c.size_bytes == len(c.model) < 512 * 1024, c.variant
        assert c.median_invoke_ms > 0
        assert f"| {c.variant} |" in report


def test_choose_falls_back_to_float32_when_quantized_disagree() -> None:
    def fake(variant: str, size: int, agreement: float) -> ExportCandidate:
        return ExportCandidate(variant, b"", size, 0.1, agreement, agreement)

    float32 = fake("knn-float32", 300, 100.0)
    assert choose([float32, fake("knn-float16", 200, 98.9), fake("dense-int8", 10, 100.0)]) is (
        float32
    )
    int8 = fake("knn-int8", 100, 99.0)
    assert choose([float32, fake("knn-float16", 200, 100.0), int8]) is int8
    drifting = ExportCandidate("knn-int8", b"", 100, 0.1, 100.0, 94.0)  # same top class only
    float16 = fake("knn-float16", 200, 100.0)
    assert choose([float32, float16, drifting]) is float16


def test_int8_without_representative_is_dynamic_range() -> None:
    """The fallback when full-integer conversion fails still converts and runs."""
    from ai_edge_litert.interpreter import Interpreter

    landmarks, labels = samples("pushups")
    model = to_tflite(knn_function(landmarks, labels, PUSHUP), "int8")
    interpreter = Interpreter(model_content=model)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], landmarks[:1])
    interpreter.invoke()
    votes = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert votes.shape == (1, 2)
    assert votes.sum() == PUSHUP.knn.top_n_by_mean_distance


def test_tflite_runs_in_the_edge_classifier(tmp_path: Path) -> None:
    """A pack written from this export loads in the edge's TfliteVotes and votes alike."""
    landmarks, labels = samples("squats")
    spec = SPECS["squats"]
    model = to_tflite(knn_function(landmarks, labels, spec), "float32")
    pack = load_pack(write_pack(tmp_path / "squat", spec, model, landmarks, labels).folder)
    edge, numpy_knn = TfliteVotes(pack), NumpyKnn(pack)
    queries = np.concatenate([xyz(landmarks), mirror(xyz(landmarks))])[::7]
    expected = reference_votes(landmarks, labels, spec, queries)
    got = np.array([edge.votes(q) for q in queries])
    assert np.array_equal(got, expected)
    assert np.array_equal(expected, np.array([numpy_knn.votes(q) for q in queries]))
