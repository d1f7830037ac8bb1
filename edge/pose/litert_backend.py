"""BlazePose on LiteRT: detector when lost, landmark model on a tracked ROI, smoothing.

The frame loop is MediaPipe's pose_landmark_cpu.pbtxt:
  no ROI from the previous frame -> run the detector, ROI from its alignment points;
  run the landmark model on the ROI; presence below the tracking threshold -> nobody,
  filters reset, detector again on the next frame;
  smooth landmarks (pose_landmark_filtering.pbtxt), and the next ROI comes from the
  smoothed auxiliary landmarks.
Several people (max_people > 1), as MediaPipe's Tasks pose landmarker (num_poses) does it:
each person has their own ROI and filters; the detector keeps up to max_people after NMS
and runs while fewer are tracked (every frame with nobody; else on the frame after someone
is lost, as the one-person loop does, and every DETECT_EVERY frames for newcomers, one of
its views at a time); a detection whose ROI is centred on a tracked person's is that
person. Ids come from edge/pose/people.py. With max_people = 1 this is the one-person
loop above, frame for frame. When everyone's landmark runs do not fit the frame budget,
only some people's run on a frame, taking turns (edge/pose/budget.py); the others keep
their ROI and show their last landmarks, not fresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edge.pose.budget import PersonQuota
from edge.pose.detector import PoseDetector
from edge.pose.landmark_model import LandmarkModel
from edge.pose.model_files import resolve_models
from edge.pose.one_euro import LandmarkSmoother
from edge.pose.people import PersonIds, duplicates, same_person
from edge.pose.result import PoseResult
from edge.pose.roi import Roi, alignment_roi, scaled_square
from edge.pose.settle import settle
from edge.skeleton import NUM_LANDMARKS
from edge.sources.frame import Frame

MIN_TRACKING_PRESENCE = 0.5  # Pose(min_tracking_confidence=0.5), ThresholdingCalculator
# With room for more people than are tracked, the detector looks for newcomers every this
# many frames (with nobody tracked, every frame, as for one person): a third of a second
# at 30 fps, for a fraction of the detector's cost per frame.
DETECT_EVERY = 10


def build(
    threads: int = 2,
    detector_model: Path | None = None,
    landmark_model: Path | None = None,
    task: Path | None = None,
    max_people: int = 1,
    people_per_frame: int = 0,
    frame_budget_ms: float | None = None,
) -> LiteRtPoseEstimator:
    """The plug-in's entry (edge.pose.backends): its [pose] keys are these parameters. Model
    paths left out are `make models`' output; a .task bundle replaces both."""
    paths = resolve_models(detector=detector_model, landmark=landmark_model, task=task)
    return LiteRtPoseEstimator(
        paths.detector, paths.landmark, num_threads=threads, max_people=max_people,
        quota=PersonQuota(people_per_frame, frame_budget_ms),
    )  # fmt: skip


def roi_box(roi: Roi) -> np.ndarray:
    """The ROI's axis-aligned extent [x0, y0, x1, y1] (its rotation left out)."""
    half_w, half_h = roi.width / 2.0, roi.height / 2.0
    return np.array(
        [roi.center_x - half_w, roi.center_y - half_h, roi.center_x + half_w, roi.center_y + half_h]
    )


@dataclass
class _Person:
    """One tracked person: their id, the ROI for the next frame and their own filters
    (pose_landmark_filtering.pbtxt, MediaPipe 0.10: One Euro parameters per stream)."""

    person: int
    roi: Roi
    body: LandmarkSmoother = field(default_factory=lambda: LandmarkSmoother(0.05, 80.0))
    aux: LandmarkSmoother = field(default_factory=lambda: LandmarkSmoother(0.01, 10.0))
    world: LandmarkSmoother = field(default_factory=lambda: LandmarkSmoother(0.1, 40.0))
    last: PoseResult | None = None  # their latest landmarks


class LiteRtPoseEstimator:
    """The default backend: two TFLite models and a few hundred lines of numpy."""

    name = "litert"

    def __init__(
        self, detector_model: Path, landmark_model: Path, num_threads: int = 2,
        min_detection_score: float = 0.5, min_tracking_presence: float = MIN_TRACKING_PRESENCE,
        max_people: int = 1, quota: PersonQuota | None = None,
    ) -> None:  # fmt: skip
        """quota: whose landmarks run on each frame (None: everyone's, always)."""
        if max_people < 1:
            raise ValueError(f"max_people must be at least 1, got {max_people}")
        self._detector = PoseDetector(detector_model, num_threads, min_detection_score)
        self._landmarks = LandmarkModel(landmark_model, num_threads)
        self.min_tracking_presence = min_tracking_presence
        self.max_people = max_people
        self.quota = PersonQuota() if quota is None else quota
        self._ids = PersonIds(max_people)
        self._people: list[_Person] = []  # oldest first
        self._since_detection = 0
        self._lost_one = False  # someone was lost on the last frame
        self._view = 0  # the detector's view the next search for newcomers looks at
        self.detector_runs = 0

    def reset(self) -> None:
        self._people = []
        self._ids.reset()
        self.quota.reset()
        self._since_detection = 0
        self._lost_one = False
        self._view = 0

    def close(self) -> None:
        self._people = []

    def process(self, frame: Frame) -> list[PoseResult]:
        """The people in `frame`, oldest track first, each with their id."""
        image = frame.image  # BGR; the model wrappers swap to RGB on their small patches
        t = frame.timestamp_s
        if self._needs_detection():
            # nobody tracked, or someone lost who may come back as themselves: every view;
            # else a search for newcomers: one view a time, in turns (on a wide frame each
            # view is a detector run, and all of them every DETECT_EVERY frames made that
            # frame five times a tracking frame's cost)
            everywhere = not self._people or self._lost_one or self._ids.awaited(t)
            self._detect(image, t, None if everywhere else self._next_view())
        else:
            self._since_detection += 1
        results: list[PoseResult] = []
        kept: list[_Person] = []
        self._lost_one = False
        chosen = self.quota.choose([person.person for person in self._people])
        start, runs = time.perf_counter(), 0
        # Everyone's crop before the first landmark run (someone just found runs too): a
        # crop and a run back to back evict each other's data from the caches.
        patches = {
            person.person: self._landmarks.crop(image, person.roi)
            for person in self._people
            if person.person in chosen or person.last is None
        }
        new: set[int] = set()  # indices in kept of people found on this frame
        for person in self._people:
            if person.person not in patches:  # not their turn: kept, last landmarks
                results.append(replace(person.last, fresh=False))
                kept.append(person)
                continue
            first = person.last is None
            result = person.last = self._landmark(person, frame, patches.pop(person.person))
            runs += 1
            if result is None:
                self._ids.lose(person.person, roi_box(person.roi), t)
                self._lost_one = True
            else:
                if first:
                    new.add(len(kept))
                results.append(result)
                kept.append(person)
        self.quota.measured(1000 * (time.perf_counter() - start), runs)
        # Two ROIs that slid onto one body, or one body read twice: the older stays.
        if len(kept) > 1:
            boxes = [roi_box(person.roi) for person in kept]
            twice = duplicates(boxes, [r.landmarks for r in results], new)
            for index in twice - new:  # free to come back, should they (newcomers: never seen)
                self._ids.lose(kept[index].person, boxes[index], t)
            results = [r for i, r in enumerate(results) if i not in twice]
            kept = [p for i, p in enumerate(kept) if i not in twice]
        self._people = kept
        return results

    def _needs_detection(self) -> bool:
        """Nobody tracked; or room for more and someone was lost on the last frame (the
        one-person rule, per person) or DETECT_EVERY frames have passed."""
        if not self._people:
            return True
        if len(self._people) >= self.max_people:
            return False
        return self._lost_one or self._since_detection + 1 >= DETECT_EVERY

    def _next_view(self) -> int:
        view, self._view = self._view, self._view + 1
        return view

    def _detect(self, image: np.ndarray, t: float, view: int | None = None) -> None:
        """New people from the detector: those not already tracked, up to max_people;
        `view`: only that one of the detector's views (detector.views)."""
        self.detector_runs += 1
        self._since_detection = 0
        tracked = [roi_box(person.roi) for person in self._people]
        for detection in self._detector.detect_all(image, self.max_people, view):
            if len(self._people) >= self.max_people:
                break
            hip_center, body_point = detection.keypoints[0], detection.keypoints[1]
            roi = scaled_square(alignment_roi(hip_center, body_point))
            box = roi_box(roi)
            if any(same_person(box, other) for other in tracked):
                continue
            if self.max_people > 1:  # a wide frame's detections are rough (settle.py)
                roi = settle(self._landmarks, image, roi, self.min_tracking_presence)
                box = roi_box(roi)
                if any(same_person(box, other) for other in tracked):
                    continue
            self._people.append(_Person(self._ids.start(box, t, tracked), roi))
            tracked.append(box)

    def _landmark(self, person: _Person, frame: Frame, patch: np.ndarray) -> PoseResult | None:
        """One person's landmarks on `patch`, their ROI's crop, smoothed; their next ROI.
        None: lost."""
        raw = self._landmarks.run(frame.image, person.roi, patch)
        if raw.presence < self.min_tracking_presence:
            return None
        t = frame.timestamp_s
        # Velocities are divided by the person's size (the unscaled alignment box side),
        # so one set of filter parameters suits near and far subjects.
        object_scale = alignment_roi(raw.aux[0], raw.aux[1]).width
        value_scale = 1.0 / object_scale if object_scale > 1e-6 else 1.0
        aux, _ = person.aux.apply(raw.aux, None, t, value_scale)
        points, visibility = person.body.apply(raw.points, raw.visibility, t, value_scale)
        world, _ = person.world.apply(raw.world, None, t)
        person.roi = scaled_square(alignment_roi(aux[0], aux[1]))

        landmarks = np.empty((NUM_LANDMARKS, 4), np.float32)
        landmarks[:, :3] = points
        landmarks[:, 3] = visibility
        return PoseResult(
            landmarks=landmarks,
            world=world.astype(np.float32),
            presence=raw.presence,
            frame_index=frame.index,
            timestamp_s=t,
            person=person.person,
        )
