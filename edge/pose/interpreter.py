"""Load a TFLite model on whichever LiteRT interpreter this machine has.

ai-edge-litert is the maintained package (x86_64 and aarch64 wheels); tflite-runtime 2.14
is the fallback for images that only carry that one. Both expose the same Interpreter API.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.pose.model_files import ModelFileError
from edge.stderr_filter import dropping_lines

# TFLite's INFO lines ("Created TensorFlow Lite XNNPACK delegate for CPU.", and
# tflite-runtime's "Initialized TensorFlow Lite runtime.") say nothing a user acts on;
# its WARNING and ERROR lines still show.
TFLITE_CHATTER = (b"INFO: ",)


def _interpreter_class() -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as exc:
            raise ModelFileError(
                "no TFLite interpreter installed; run `pip install ai-edge-litert` "
                "(or `pip install tflite-runtime` where LiteRT has no wheel)"
            ) from exc
    return Interpreter


def load_interpreter(
    model_path: Path, num_threads: int, rewrite: Callable[[bytes], bytes] | None = None
) -> Any:
    """An allocated interpreter for `model_path`, or one clear ModelFileError line.
    rewrite: applied to the model's bytes first (edge/pose/graph_prune.py); a model it
    cannot parse is loaded as it is, so a corrupt file is reported as one."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelFileError(f"model {model_path} is missing; run `make models`")
    interpreter_class = _interpreter_class()
    try:
        with dropping_lines(TFLITE_CHATTER):
            if rewrite is None:
                interpreter = interpreter_class(model_path=str(model_path), num_threads=num_threads)
            else:
                content = _rewritten(model_path.read_bytes(), rewrite)
                interpreter = interpreter_class(model_content=content, num_threads=num_threads)
                interpreter._dancepose_model = content  # the interpreter reads these bytes
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(
            f"model {model_path} could not be loaded ({first_line}); "
            "it is corrupt or not a TFLite model: delete it and run `make models`"
        ) from exc
    return interpreter


def _rewritten(model: bytes, rewrite: Callable[[bytes], bytes]) -> bytes:
    try:
        return rewrite(model)
    except Exception:  # not a model it can parse: the interpreter says what is wrong
        return model
