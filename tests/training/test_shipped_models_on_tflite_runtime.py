"""Every shipped .tflite runs on tflite-runtime 2.14 (the fallback interpreter for boards
where ai-edge-litert has no wheel) and gives what ai-edge-litert gives.

tflite-runtime runs in a child process: in a process that has imported TensorFlow (the
other tests here), its interpreter fails to allocate ("vector::reserve").
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO

pytest.importorskip("tflite_runtime")
litert = pytest.importorskip("ai_edge_litert.interpreter")

SHIPPED = sorted((REPO / "models").glob("*/*.tflite")) + sorted(
    (REPO / "models" / "packs").glob("*/*.tflite")
)
CHILD = """
import json, sys
import numpy as np
from tflite_runtime.interpreter import Interpreter
path, inputs = sys.argv[1], np.array(json.loads(sys.stdin.read()), np.float32)
interpreter = Interpreter(model_path=path, num_threads=1)
interpreter.allocate_tensors()
interpreter.set_tensor(interpreter.get_input_details()[0]["index"], inputs)
interpreter.invoke()
print(json.dumps(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).tolist()))
"""


def inputs_for(path) -> np.ndarray:
    shape = tuple(litert.Interpreter(model_path=str(path)).get_input_details()[0]["shape"])
    if shape == (1, 33, 3):  # a pack: real sample landmarks in pixels
        from edge.counting.pack import load_pack

        return load_pack(path.parent).load_samples()[0][:1]
    return np.random.default_rng(0).normal(0, 1, shape).astype(np.float32)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loads_and_agrees(path):
    inputs = inputs_for(path)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], input=json.dumps(inputs.tolist()),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    ours = np.array(json.loads(child.stdout))
    interpreter = litert.Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], inputs)
    interpreter.invoke()
    reference = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert ours.shape == reference.shape
    assert np.allclose(ours, reference, atol=0.02), (ours, reference)
