"""BlazePose on LiteRT: detector when lost, landmark model on a tracked ROI, smoothing.

The frame loop is MediaPipe's pose_landmark_cpu.pbtxt:
  no ROI from the previous frame -> run the detector, ROI from its alignment points;
  run the landmark model on the ROI; presence below the tracking threshold -> nobody,
  filters reset, detector again on the next frame;
  smooth landmarks (pose_landmark_filtering.pbtxt), and the next ROI comes from the
  smoothed auxiliary landmarks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.pose.detector import PoseDetector
from edge.pose.landmark_model import LandmarkModel
from edge.pose.model_files import resolve_models
from edge.pose.one_euro import LandmarkSmoother
from edge.pose.result import PoseResult
from edge.pose.roi import Roi, alignment_roi, scaled_square
from edge.sources.frame import Frame

MIN_TRACKING_PRESENCE = 0.5  # Pose(min_tracking_confidence=0.5), ThresholdingCalculator


def build(
    threads: int = 2,
    detector_model: Path | None = None,
    landmark_model: Path | None = None,
    task: Path | None = None,
) -> LiteRtPoseEstimator:
    """The plug-in's entry (edge.pose.backends): its [pose] keys are these parameters. Model
    paths left out are `make models`' output; a .task bundle replaces both."""
    paths = resolve_models(detector=detector_model, landmark=landmark_model, task=task)
    return LiteRtPoseEstimator(paths.detector, paths.landmark, num_threads=threads)


class LiteRtPoseEstimator:
    """The default backend: two TFLite models and a few hundred lines of numpy."""

    name = "litert"

    def __init__(
        self, detector_model: Path, landmark_model: Path, num_threads: int = 2,
        min_detection_score: float = 0.5, min_tracking_presence: float = MIN_TRACKING_PRESENCE,
    ) -> None:  # fmt: skip
        self._detector = PoseDetector(detector_model, num_threads, min_detection_score)
        self._landmarks = LandmarkModel(landmark_model, num_threads)
        self.min_tracking_presence = min_tracking_presence
        # pose_landmark_filtering.pbtxt (MediaPipe 0.10): One Euro parameters per stream.
        self._body_filter = LandmarkSmoother(min_cutoff=0.05, beta=80.0)
        self._aux_filter = LandmarkSmoother(min_cutoff=0.01, beta=10.0)
        self._world_filter = LandmarkSmoother(min_cutoff=0.1, beta=40.0)
        self._tracked_roi: Roi | None = None
        self.detector_runs = 0

    def reset(self) -> None:
        self._tracked_roi = None
        for smoother in (self._body_filter, self._aux_filter, self._world_filter):
            smoother.reset()

    def close(self) -> None:
        self._tracked_roi = None

    def process(self, frame: Frame) -> list[PoseResult]:
        """The people in `frame`: today at most one, person 0."""
        person = self._one(frame)
        return [] if person is None else [person]

    def _one(self, frame: Frame) -> PoseResult | None:
        image = frame.image  # BGR; the model wrappers swap to RGB on their small patches
        roi = self._tracked_roi
        self._tracked_roi = None
        if roi is None:
            self.detector_runs += 1
            detection = self._detector.detect(image)
            if detection is None:
                self.reset()
                return None
            hip_center, body_point = detection.keypoints[0], detection.keypoints[1]
            roi = scaled_square(alignment_roi(hip_center, body_point))
        raw = self._landmarks.run(image, roi)
        if raw.presence < self.min_tracking_presence:
            self.reset()
            return None

        t = frame.timestamp_s
        # Velocities are divided by the person's size (the unscaled alignment box side),
        # so one set of filter parameters suits near and far subjects.
        object_scale = alignment_roi(raw.aux[0], raw.aux[1]).width
        value_scale = 1.0 / object_scale if object_scale > 1e-6 else 1.0
        aux, _ = self._aux_filter.apply(raw.aux, None, t, value_scale)
        points, visibility = self._body_filter.apply(raw.points, raw.visibility, t, value_scale)
        world, _ = self._world_filter.apply(raw.world, None, t)
        self._tracked_roi = scaled_square(alignment_roi(aux[0], aux[1]))

        landmarks = np.empty((33, 4), np.float32)
        landmarks[:, :3] = points
        landmarks[:, 3] = visibility
        return PoseResult(
            landmarks=landmarks,
            world=world.astype(np.float32),
            presence=raw.presence,
            frame_index=frame.index,
            timestamp_s=t,
        )
