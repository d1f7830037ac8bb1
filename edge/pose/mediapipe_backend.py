"""MediaPipe's own pipeline (mp.solutions.pose), kept as the reference we must agree with.

Only model_complexity=1 works offline: the 0.10.18 wheel ships pose_landmark_full.tflite
alone, and complexities 0 and 2 try to download their models at run time.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.errors import UserError
from edge.pose.result import PoseResult
from edge.sources.frame import Frame


class MediaPipeUnavailable(UserError, RuntimeError):
    """mediapipe is not installed, or asked for something it cannot do offline."""


def build() -> MediaPipePoseEstimator:
    """The plug-in's entry (edge.pose.backends): it reads no [pose] key (the bundled full
    model, mediapipe's own threads)."""
    return MediaPipePoseEstimator()


class MediaPipePoseEstimator:
    name = "mediapipe"

    def __init__(self, model_complexity: int = 1) -> None:
        if model_complexity != 1:
            raise MediaPipeUnavailable(
                f"mediapipe model_complexity={model_complexity} downloads its model at run "
                "time and cannot work offline; use model_complexity=1 (the bundled full model)"
            )
        try:
            import mediapipe as mp
        except ImportError as exc:
            raise MediaPipeUnavailable(
                "the mediapipe backend needs the reference extra: "
                "pip install -e '.[mediapipe]' (mediapipe 0.10.18)"
            ) from exc
        self._solution = mp.solutions.pose
        self._pose = None
        self.reset()

    def reset(self) -> None:
        self.close()
        self._pose = self._solution.Pose(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def process(self, frame: Frame) -> list[PoseResult]:
        """The people in `frame`: today at most one, person 0."""
        person = self._one(frame)
        return [] if person is None else [person]

    def _one(self, frame: Frame) -> PoseResult | None:
        assert self._pose is not None
        # The legacy wrapper stamps every frame 33,333 us after the last whatever the
        # clip's rate; feed it the frame's real time so its One Euro filters see the same
        # clock as ours (the attribute is the wrapper's own counter, read before use).
        stamp_us = round(frame.timestamp_s * 1e6)
        if hasattr(self._pose, "_simulated_timestamp"):
            self._pose._simulated_timestamp = stamp_us - 33333
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        output = self._pose.process(rgb)
        if output.pose_landmarks is None:
            return None
        height, width = frame.image.shape[:2]
        landmarks = np.array(
            [(p.x * width, p.y * height, p.z * width, p.visibility)
             for p in output.pose_landmarks.landmark],
            np.float32,
        )  # fmt: skip
        world = np.array(
            [(p.x, p.y, p.z) for p in output.pose_world_landmarks.landmark], np.float32
        )
        return PoseResult(
            landmarks=landmarks,
            world=world,
            presence=1.0,  # the legacy API reports presence only as "a person or None"
            frame_index=frame.index,
            timestamp_s=frame.timestamp_s,
        )
