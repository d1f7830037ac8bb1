"""Keras model -> TFLite flatbuffer (float32 or int8), and running one on LiteRT."""

from __future__ import annotations

import time
import warnings

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from tensorflow.lite.tools import flatbuffer_utils

from training.dance.model import NORM
from training.dance.windows import DIMS

QUANTIZATIONS = ("float32", "int8")
CALIBRATION_WINDOWS = 500  # at most, evenly spaced over the training windows, in order


def _strip(model: bytes) -> bytes:
    """Drop tensor names: the unrolled graph has hundreds, up to a third of an int8 file."""
    tree = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    flatbuffer_utils.strip_strings(tree)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(tree))


def to_tflite(
    model: keras.Model, k: int, quantization: str, representative_windows: np.ndarray | None = None
) -> bytes:
    """Batch-1, fixed-k flatbuffer, float32 in and out; the same model gives the same bytes.

    int8: every weight and activation is int8 except the standardisation (a SUB and a MUL on
    the input, kept float). Quantized raw, the input shares one scale across features whose
    ranges differ 50-fold: unit-mean velocities got 1-2 levels, and int8 agreed with float32
    on ~88 % of windows (k=4) instead of ~99 %. Same bytes: training is seeded, calibration
    reads a fixed subset in a fixed order, and model.UnrolledLSTM avoids the graph on which
    the quantizer was not deterministic.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    spec = tf.TensorSpec([1, k, DIMS], tf.float32, name="window")
    serve = tf.function(lambda window: model(window, training=False), input_signature=[spec])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    if quantization == "float32":
        return _strip(converter.convert())
    if representative_windows is None or len(representative_windows) == 0:
        raise ValueError("int8 needs representative_windows (training windows)")
    rep = np.asarray(representative_windows, np.float32)
    rep = rep[np.linspace(0, len(rep) - 1, min(len(rep), CALIBRATION_WINDOWS)).astype(int)]
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([w[None]] for w in rep)
    with warnings.catch_warnings():  # float I/O is meant; the debugger's tf.lite interpreter
        warnings.simplefilter("ignore")  # is deprecated: neither is news
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=converter.representative_dataset
        )
        tensors = Interpreter(model_content=debugger.calibrated_model).get_tensor_details()
        names = [t["name"] for t in tensors if f"/{NORM}" in t["name"]]
        if not names:
            raise RuntimeError(f"no {NORM!r} layer in the graph; was it renamed?")
        debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=names)
        return _strip(debugger.get_nondebug_quantized_model())


def run_tflite(model: bytes, windows: np.ndarray) -> tuple[np.ndarray, float]:
    """Probabilities of every window on LiteRT (1 thread, as on the Pi), median invoke ms."""
    interpreter = Interpreter(model_content=model, num_threads=1)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    sink = interpreter.get_output_details()[0]["index"]
    probs, times = [], []
    for window in np.asarray(windows, np.float32):
        interpreter.set_tensor(source, window[None])
        start = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - start)
        probs.append(interpreter.get_tensor(sink)[0].copy())
    return np.array(probs), float(np.median(times) * 1e3)
