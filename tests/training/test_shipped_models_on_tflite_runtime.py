"""Every shipped .tflite runs on tflite-runtime 2.14 (the fallback interpreter for boards
where ai-edge-litert has no wheel) and gives what ai-edge-litert gives."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import REPO

tflite_runtime = pytest.importorskip("tflite_runtime.interpreter")
litert = pytest.importorskip("ai_edge_litert.interpreter")

SHIPPED = sorted((REPO / "models").glob("*/*.tflite")) + sorted(
    (REPO / "models" / "packs").glob("*/*.tflite")
)


def run(interpreter_class: type, path, inputs: np.ndarray) -> np.ndarray:
    interpreter = interpreter_class(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], inputs.astype(detail["dtype"]))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loads_and_agrees(path):
    probe = litert.Interpreter(model_path=str(path))
    shape = tuple(probe.get_input_details()[0]["shape"])
    rng = np.random.default_rng(0)
    inputs = rng.normal(0, 1, shape).astype(np.float32)
    if shape == (1, 33, 3):  # a pack: landmarks in pixels, a plausible standing pose
        from edge.counting.pack import load_pack

        inputs = load_pack(path.parent).load_samples()[0][:1]
    ours = run(tflite_runtime.Interpreter, path, inputs)
    reference = run(litert.Interpreter, path, inputs)
    assert ours.shape == reference.shape
    assert np.allclose(ours, reference, atol=0.02), (ours, reference)
