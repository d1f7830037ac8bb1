"""edge/pose/graph_prune.py on the real landmark model: the mask output and its ops go,
the four outputs the pipeline reads stay the same to the bit."""

from __future__ import annotations

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from edge.pose.graph_prune import drop_outputs
from edge.pose.landmark_model import _is_segmentation


def outputs(interpreter: Interpreter) -> dict[str, np.ndarray]:
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}


def test_the_mask_goes_and_the_rest_is_unchanged(model_paths):
    whole = model_paths.landmark.read_bytes()
    pruned = drop_outputs(whole, _is_segmentation)
    image = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
    results = []
    for content in (whole, pruned):
        interpreter = Interpreter(model_content=content, num_threads=1)
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image)
        interpreter.invoke()
        ops = len(interpreter._get_ops_details())
        results.append((ops, outputs(interpreter)))
    (ops_whole, before), (ops_pruned, after) = results
    assert ops_pruned < ops_whole
    assert len(after) == len(before) - 1
    for name, value in after.items():
        assert np.array_equal(value, before[name]), name
    assert drop_outputs(pruned, _is_segmentation) == pruned  # nothing left to drop


def test_bytes_that_are_not_a_model_are_refused_by_the_parser():
    try:
        drop_outputs(b"not a model at all", _is_segmentation)
    except Exception:
        return  # load_interpreter then loads the bytes as they are, and reports them
    raise AssertionError("garbage parsed as a model")
