"""BlazePose landmark model: a 256x256 ROI patch -> 39 landmarks, world landmarks, presence.

Decoding follows MediaPipe's
mediapipe/modules/pose_landmark/tensors_to_pose_landmarks_and_segmentation.pbtxt
(TensorsToLandmarksCalculator num_landmarks 39, input 256x256, SIGMOID visibility and
presence; RefineLandmarksFromHeatmapCalculator; WorldLandmarkProjectionCalculator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.pose.graph_prune import drop_outputs
from edge.pose.interpreter import load_interpreter
from edge.pose.roi import Roi, crop, project_to_image, to_tensor
from edge.skeleton import NUM_LANDMARKS

INPUT_SIZE = 256
NUM_OUTPUT_LANDMARKS = 39  # 33 body + 2 auxiliary (ROI) + 4 unused
NUM_BODY = NUM_LANDMARKS  # the model's first landmarks are the body's, in our order
AUX_SLICE = slice(NUM_BODY, NUM_BODY + 2)
NUM_USED = AUX_SLICE.stop  # the body's and the ROI's; the 4 unused ones are not decoded
# The graph config says kernel_size 7, but the 0.10.18 binary's landmarks match a 9x9
# window (shared/notes/blazepose-on-litert.md: 0.14% vs 0.62% median error).
HEATMAP_KERNEL = 9
MIN_CONFIDENCE_TO_REFINE = 0.5  # RefineLandmarksFromHeatmapCalculatorOptions default
_OFFSETS = np.arange(-(HEATMAP_KERNEL // 2), HEATMAP_KERNEL // 2 + 1)  # a window's rows, cols


@dataclass(frozen=True)
class RawLandmarks:
    """One landmark-model pass, projected to the frame, before temporal smoothing."""

    points: np.ndarray  # (33, 3) x, y, z in pixels
    visibility: np.ndarray  # (33,)
    aux: np.ndarray  # (2, 3) hip centre and size/rotation point, pixels
    world: np.ndarray  # (33, 3) metres
    presence: float


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-x) is inf for the model's large negative logits, and 1 / inf is the right 0; the
    # tanh form gives the same within an ulp, but an ulp moves the next frame's crop.
    # Callers silence the overflow (np.errstate(over="ignore")), once where they can.
    return 1.0 / (1.0 + np.exp(-x))


def refine_with_heatmap(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Replace each (x, y) in [0,1] by the sigmoid-weighted centroid of its heatmap window
    (landmark i's in the heatmap's channel i; channels past len(xy) are not read).

    Only where the window's peak confidence reaches MIN_CONFIDENCE_TO_REFINE; windows
    shrink at the heatmap edge (a zero border). Centres truncate toward zero, as the C++
    int conversion does.
    """
    rows_n, cols_n, channels = heatmap.shape
    col = np.trunc(xy[:, 0] * cols_n).astype(np.int64)
    row = np.trunc(xy[:, 1] * rows_n).astype(np.int64)
    inside = (col >= 0) & (col < cols_n) & (row >= 0) & (row < rows_n)
    win_rows = row[:, None] + _OFFSETS  # (N, K)
    win_cols = col[:, None] + _OFFSETS
    valid = ((win_rows >= 0) & (win_rows < rows_n))[:, :, None] & (
        (win_cols >= 0) & (win_cols < cols_n)
    )[:, None, :]
    # The windows' values by flat index into the (rows, cols, channels) heatmap: one take
    # instead of indexing with three broadcast index arrays (the same values, sooner).
    at_row = np.minimum(np.maximum(win_rows, 0), rows_n - 1) * (cols_n * channels)
    at_col = np.minimum(np.maximum(win_cols, 0), cols_n - 1) * channels
    flat = at_row[:, :, None] + at_col[:, None, :] + np.arange(len(xy))[:, None, None]
    values = np.ravel(heatmap).take(flat)
    with np.errstate(over="ignore"):
        confidence = np.where(valid, _sigmoid(values), 0.0)
    total = confidence.sum(axis=(1, 2))
    refine = inside & (confidence.max(axis=(1, 2)) >= MIN_CONFIDENCE_TO_REFINE) & (total > 0)
    safe_total = np.where(total > 0, total, 1.0)
    mean_col = (confidence * win_cols[:, None, :]).sum(axis=(1, 2)) / safe_total
    mean_row = (confidence * win_rows[:, :, None]).sum(axis=(1, 2)) / safe_total
    out = xy.copy()
    out[refine, 0] = mean_col[refine] / cols_n
    out[refine, 1] = mean_row[refine] / rows_n
    return out


def _is_segmentation(shape: tuple[int, ...]) -> bool:
    """The mask output: (1, 256, 256, 1) (the heatmap has a channel per landmark)."""
    return len(shape) == 4 and shape[-1] == 1 and shape[1] == INPUT_SIZE


def _without_segmentation(model: bytes) -> bytes:
    return drop_outputs(model, _is_segmentation)


class LandmarkModel:
    """Runs pose_landmark_{lite,full,heavy}.tflite on one ROI of a frame."""

    def __init__(self, model_path: Path, num_threads: int = 2) -> None:
        # The segmentation mask, the one output never read, goes with the ops only it needs
        # (edge/pose/graph_prune.py): 40% of the full model's invoke.
        self._interpreter = load_interpreter(model_path, num_threads, _without_segmentation)
        # The input and outputs are read and written in place (Interpreter.tensor views):
        # set_tensor and get_tensor copy 0.8 MB in and the 0.6 MB heatmap out per person.
        # A view must not outlive its use: the interpreter refuses to invoke while one does.
        self._input = self._interpreter.tensor(self._interpreter.get_input_details()[0]["index"])
        # Tell outputs apart by shape, not name: .task bundles name them differently.
        self._outputs: dict[str, int] = {}
        for detail in self._interpreter.get_output_details():
            shape = tuple(int(d) for d in detail["shape"])
            size = int(np.prod(shape))
            if size == NUM_OUTPUT_LANDMARKS * 5:
                self._outputs["landmarks"] = detail["index"]
            elif size == NUM_OUTPUT_LANDMARKS * 3:
                self._outputs["world"] = detail["index"]
            elif size == 1:
                self._outputs["presence"] = detail["index"]
            elif len(shape) == 4 and shape[-1] == NUM_OUTPUT_LANDMARKS:
                self._outputs["heatmap"] = detail["index"]
        missing = {"landmarks", "world", "presence", "heatmap"} - set(self._outputs)
        if missing:
            raise ValueError(f"{model_path} is not a BlazePose landmark model (no {missing})")

    def crop(self, image_bgr: np.ndarray, roi: Roi) -> np.ndarray:
        """`roi` of the frame as the model sees it (BGR, replicated border): `run`'s patch."""
        return crop(image_bgr, roi, INPUT_SIZE)

    def run(self, image_bgr: np.ndarray, roi: Roi, patch: np.ndarray | None = None) -> RawLandmarks:
        """Crop `roi` (or take `patch`, its crop made earlier), infer, and project back to
        frame pixels."""
        # Swap to RGB (what the model was trained on) on the small patch: a reversed view
        # of the whole frame would make OpenCV copy every pixel (~4 ms at 720p).
        if patch is None:
            patch = self.crop(image_bgr, roi)
        to_tensor(patch, 1.0 / 255.0, 0.0, self._input()[0])  # output_tensor_float_range 0..1
        self._interpreter.invoke()
        return self._decode(roi)

    def _decode(self, roi: Roi) -> RawLandmarks:
        """The outputs of the last invoke, read in place, projected to frame pixels."""

        def get(name: str) -> np.ndarray:
            return self._interpreter.tensor(self._outputs[name])()

        raw = get("landmarks").reshape(NUM_OUTPUT_LANDMARKS, 5)[:NUM_USED]
        # The presence flag is already a probability in these models: a second sigmoid
        # would keep tracking alive forever (shared/notes/blazepose-on-litert.md).
        presence = float(get("presence").ravel()[0])
        heatmap = get("heatmap")[0]
        world_raw = get("world").reshape(NUM_OUTPUT_LANDMARKS, 3)

        normalized = raw[:, :3] / INPUT_SIZE
        normalized[:, :2] = refine_with_heatmap(normalized[:, :2], heatmap)
        projected = project_to_image(normalized, roi)
        projected[:, 2] = normalized[:, 2] * roi.width  # z scales like x
        with np.errstate(over="ignore"):
            visibility = _sigmoid(raw[:NUM_BODY, 3])

        cos_r, sin_r = math.cos(roi.rotation), math.sin(roi.rotation)
        world = world_raw[:NUM_BODY].copy()
        world[:, 0] = cos_r * world_raw[:NUM_BODY, 0] - sin_r * world_raw[:NUM_BODY, 1]
        world[:, 1] = sin_r * world_raw[:NUM_BODY, 0] + cos_r * world_raw[:NUM_BODY, 1]
        return RawLandmarks(
            points=projected[:NUM_BODY],
            visibility=visibility,
            aux=projected[AUX_SLICE],
            world=world,
            presence=presence,
        )
