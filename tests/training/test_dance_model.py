"""The dance LSTM on real AIST++ keypoints: trains, exports to TFLite, runs on LiteRT.

Runs in .venv-train (TensorFlow). One k=4 model is trained and exported once per module on
the held-out split of ../shared/data/aistpp_small, and every test reads it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training tests run in .venv-train")

import keras
from ai_edge_litert.interpreter import Interpreter

from edge.dance.metadata import FORMAT_VERSION, DanceMetadata
from edge.features.dance import FEATURE_VERSION
from edge.skeleton import COCO_17, JOINT
from tests.conftest import shared_path
from training.dance import cli
from training.dance.export import QUANTIZATIONS, run_tflite, to_tflite
from training.dance.model import UnrolledLSTM, baseline, train_lstm
from training.dance.windows import (
    dataset,
    genres_of,
    load_sequences,
    split_tail,
    stack,
    track_windows,
)
from training.datasets import aistpp

K = 4


@pytest.fixture(scope="module")
def sequences() -> list[aistpp.Sequence]:
    return aistpp.load_small(shared_path("data", "aistpp_small"))


@pytest.fixture(scope="module")
def exported(sequences: list[aistpp.Sequence]) -> dict:
    train, test = aistpp.hold_out_one_choreography_per_genre(sequences)
    genres = genres_of(sequences)
    x_tr, y_tr, x_val, y_val = split_tail(dataset(train, K, genres), K)
    x_test, y_test = stack(dataset(test, K, genres))
    model = train_lstm(x_tr, y_tr, x_val, y_val, K, len(genres), epochs=25)
    flat = {q: to_tflite(model, K, q, x_tr) for q in QUANTIZATIONS}
    return {"model": model, "flat": flat, "x_tr": x_tr, "y_tr": y_tr, "x_test": x_test,
            "y_test": y_test, "genres": genres}  # fmt: skip


def test_windows_come_from_every_real_sequence(exported: dict) -> None:
    assert exported["x_tr"].shape[1:] == (K, 252)
    assert set(exported["y_tr"]) == set(exported["y_test"]) == {0, 1, 2}
    assert exported["genres"] == ("gMH", "gHO", "gKR")  # AIST order, not file order


@pytest.mark.parametrize("quantization", ["float32", "int8"])
def test_both_exports_load_and_run_in_litert(exported: dict, quantization: str) -> None:
    interpreter = Interpreter(model_content=exported["flat"][quantization])
    interpreter.allocate_tensors()
    (source,), (sink,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert tuple(source["shape"]) == (1, K, 252) and source["dtype"] == np.float32
    assert tuple(sink["shape"]) == (1, 3) and sink["dtype"] == np.float32
    probs, median_ms = run_tflite(exported["flat"][quantization], exported["x_test"])
    assert probs.shape == (len(exported["x_test"]), 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=0.02)
    assert 0 < median_ms < 50


def test_float32_export_equals_keras(exported: dict) -> None:
    probs, _ = run_tflite(exported["flat"]["float32"], exported["x_test"][:40])
    keras_probs = exported["model"].predict(exported["x_test"][:40], verbose=0)
    np.testing.assert_allclose(probs, keras_probs, atol=1e-4)


def test_int8_is_a_third_of_float32_or_less(exported: dict) -> None:
    assert len(exported["flat"]["int8"]) <= len(exported["flat"]["float32"]) / 3


def test_int8_weights_and_activations_are_integers(exported: dict) -> None:
    """Only the input, its standardisation and the output are float (to_tflite says why)."""
    interpreter = Interpreter(model_content=exported["flat"]["int8"])
    interpreter.allocate_tensors()
    details = interpreter.get_tensor_details()
    floats = [d for d in details if d["dtype"] == np.float32]
    assert len(floats) <= 6, [tuple(d["shape"]) for d in floats]
    kernels = [d for d in details if tuple(d["shape"]) in ((256, 252), (256, 64))]
    assert kernels and all(d["dtype"] == np.int8 for d in kernels)


def test_int8_export_is_the_same_bytes_every_time(exported: dict) -> None:
    """The int8 quantizer once gave one of several files per call for one model (11 float
    tensors about one time in five; model.UnrolledLSTM says why). Every export here must be
    the module's one, byte for byte."""
    again = [to_tflite(exported["model"], K, "int8", exported["x_tr"]) for _ in range(4)]
    assert {hashlib.sha256(b).hexdigest() for b in again} == {
        hashlib.sha256(exported["flat"]["int8"]).hexdigest()
    }


def test_unrolled_lstm_is_keras_lstm(exported: dict) -> None:
    """Same weights, same numbers: only the graph of the first step differs."""
    layer = exported["model"].get_layer("lstm")
    reference = keras.layers.LSTM(64, unroll=True)
    x = exported["model"].get_layer("standardise")(exported["x_test"][:64])
    reference(x)  # build
    reference.set_weights(layer.get_weights())
    assert isinstance(layer, UnrolledLSTM)
    np.testing.assert_allclose(layer(x), reference(x), atol=1e-6)


def test_int8_agrees_with_float32_on_most_windows(exported: dict) -> None:
    f32, _ = run_tflite(exported["flat"]["float32"], exported["x_test"])
    int8, _ = run_tflite(exported["flat"]["int8"], exported["x_test"])
    agreement = np.mean(f32.argmax(1) == int8.argmax(1))
    assert agreement >= 0.9, agreement
    assert np.mean(int8.argmax(1) == exported["y_test"]) > 0.5  # 3 genres: chance is 1/3


def test_a_clip_shorter_than_one_window_is_a_clear_error(sequences: list) -> None:
    track = sequences[0].track
    short = dataclasses.replace(
        track, landmarks=track.landmarks[:70], world=track.world[:70],
        present=track.present[:70],
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"1.17 s \(3 units.*needs k=4 units \(1.33 s\)"):
        track_windows(short, K)
    assert track_windows(short, 3).shape == (1, 3, 252)


def test_bad_export_requests_are_refused(exported: dict) -> None:
    with pytest.raises(ValueError, match="quantization must be one of"):
        to_tflite(exported["model"], K, "float16")
    with pytest.raises(ValueError, match="representative_windows"):
        to_tflite(exported["model"], K, "int8")


def test_baseline_trains_on_flattened_windows(exported: dict) -> None:
    x_tr, x_test = exported["x_tr"], exported["x_test"]
    linear = baseline(x_tr.reshape(len(x_tr), -1), exported["y_tr"])
    assert np.mean(linear.predict(x_tr.reshape(len(x_tr), -1)) == exported["y_tr"]) > 0.95
    assert np.mean(linear.predict(x_test.reshape(len(x_test), -1)) == exported["y_test"]) > 0.5


def test_training_is_deterministic(exported: dict) -> None:
    x, y = exported["x_tr"][:96], exported["y_tr"][:96]
    runs = [train_lstm(x, y, x[:16], y[:16], K, 3, epochs=2, seed=3) for _ in "ab"]
    for a, b in zip(runs[0].get_weights(), runs[1].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_command_writes_what_the_edge_loads(tmp_path: Path) -> None:
    """`train` on the real data -> models/dance layout; the edge's loader accepts it."""
    from edge.dance.model import DanceModel

    data = shared_path("data", "aistpp_small")
    bench = tmp_path / "absent.json"
    argv = ["train", "--data", str(data), "--k", "2", "--out", str(tmp_path), "--bench", str(bench)]
    assert cli.main(argv) == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "dance_k2_int8.tflite", "dance_k2_float32.tflite", "metadata.json",
    }  # fmt: skip
    meta = DanceMetadata.read(tmp_path)  # the edge's reader: versions and types checked
    assert meta.codes == ("gMH", "gHO", "gKR") and meta.units_per_window == 2
    assert [g.name for g in meta.genres] == ["middle hip-hop", "house", "krump"]
    assert (meta.format_version, meta.feature_version) == (FORMAT_VERSION, FEATURE_VERSION)
    assert meta.fps == 60.0 and meta.unit_s == pytest.approx(1 / 3)
    assert meta.model_file == "dance_k2_int8.tflite"
    assert len(meta.training_data["sequences"]) == 9
    raw = json.loads((tmp_path / "metadata.json").read_text())
    assert raw["genres"][1] == {"code": "gHO", "name": "house"} and "k" not in raw
    model = DanceModel(tmp_path)
    window = track_windows(aistpp.load_small(data)[0].track, 2)[0]
    assert model.probabilities(window).sum() == pytest.approx(1.0, abs=0.02)


def test_the_release_layout_loads(tmp_path: Path, sequences: list[aistpp.Sequence]) -> None:
    """keypoints2d/<seq>.pkl + split lists (the full AIST++ set), built from the real tracks."""
    import pickle

    (tmp_path / "keypoints2d").mkdir()
    (tmp_path / "splits").mkdir()
    for seq in sequences[:2]:
        coco = seq.track.landmarks[:, [JOINT[name] for name in COCO_17]]
        points = np.concatenate([coco[..., :2], np.ones_like(coco[..., :1])], axis=-1)
        with (tmp_path / "keypoints2d" / f"{seq.name}.pkl").open("wb") as handle:
            pickle.dump({"keypoints2d": np.repeat(points[None], 9, axis=0)}, handle)
    names = [s.name for s in sequences[:2]]
    (tmp_path / "splits" / "crossmodal_train.txt").write_text(f"{names[0]}\n{names[1]}\n")
    (tmp_path / "splits" / "crossmodal_test.txt").write_text("")
    (tmp_path / "splits" / "ignore_list.txt").write_text(f"{names[1]}\n")
    loaded = load_sequences(tmp_path)
    assert [(s.name, s.genre, s.dancer, s.choreography) for s in loaded] == [
        (names[0], "gHO", "d19", "ch01")
    ]
    np.testing.assert_allclose(
        track_windows(loaded[0].track, K),
        track_windows(sequences[0].track, K), atol=1e-5,
    )  # fmt: skip
