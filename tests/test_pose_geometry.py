"""The BlazePose building blocks, each checked against what it must do on its own."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.pose.detector import ssd_anchor_centers, weighted_nms
from edge.pose.landmark_model import refine_with_heatmap
from edge.pose.one_euro import LandmarkSmoother, OneEuroFilter
from edge.pose.roi import (
    Roi,
    alignment_roi,
    crop,
    normalize_radians,
    project_to_image,
    scaled_square,
)


def test_anchor_layout_matches_the_detector_output():
    anchors = ssd_anchor_centers()
    assert anchors.shape == (2254, 2)
    # stride 8: a 28x28 grid, 2 anchors per cell, first centre at half a cell
    assert anchors[0] == pytest.approx([0.5 / 28, 0.5 / 28])
    assert anchors[1] == pytest.approx(anchors[0])
    assert anchors[2] == pytest.approx([1.5 / 28, 0.5 / 28])
    # the three stride-32 layers share a 7x7 grid with 6 anchors per cell
    assert np.allclose(anchors[-6:], [6.5 / 7, 6.5 / 7])
    assert anchors.min() > 0 and anchors.max() < 1


def test_alignment_roi_is_upright_for_a_standing_person():
    hips, head_direction = np.array([100.0, 200.0]), np.array([100.0, 120.0])
    roi = alignment_roi(hips, head_direction)
    assert roi.rotation == pytest.approx(0.0)
    assert roi.width == pytest.approx(160.0)
    assert (roi.center_x, roi.center_y) == (100.0, 200.0)
    # lying down, head to the right: the ROI turns a quarter
    lying = alignment_roi(hips, np.array([180.0, 200.0]))
    assert abs(lying.rotation) == pytest.approx(math.pi / 2)
    assert scaled_square(roi).width == pytest.approx(200.0)


def test_normalize_radians_wraps_into_one_turn():
    for angle in (-7.0, -math.pi, 0.3, math.pi, 9.0):
        wrapped = normalize_radians(angle)
        assert -math.pi <= wrapped < math.pi
        assert math.isclose(math.cos(wrapped), math.cos(angle), abs_tol=1e-9)


@pytest.mark.parametrize("rotation", [0.0, 0.4, -1.2, 2.5])
def test_crop_and_projection_are_inverse(rotation):
    """A bright dot found in the rotated crop projects back onto where it is in the frame."""
    image = np.zeros((480, 640, 3), np.uint8)
    dot = (400, 150)
    cv2.circle(image, dot, 3, (255, 255, 255), -1)
    roi = Roi(360.0, 220.0, 300.0, 300.0, rotation)
    patch = crop(image, roi, 256)
    ys, xs = np.nonzero(patch[:, :, 0] > 128)
    assert len(xs) > 0, "dot left the crop"
    in_patch = np.array([[(xs.mean() + 0.5) / 256, (ys.mean() + 0.5) / 256]])
    back = project_to_image(in_patch, roi)[0]
    assert np.hypot(*(back - dot)) < 2.0


def test_weighted_nms_merges_overlaps_and_keeps_the_separate_one():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    keypoints = np.array([[[0, 0]] * 4, [[2, 2]] * 4, [[9, 9]] * 4], np.float32)
    scores = np.array([0.9, 0.3, 0.6])
    kept = weighted_nms(boxes, keypoints, scores)
    assert kept == [0, 2]
    assert boxes[0, 0] == pytest.approx(0.3 / 1.2)  # score-weighted mean of 0 and 1
    assert keypoints[0, 0, 0] == pytest.approx(2 * 0.3 / 1.2)
    assert np.allclose(boxes[2], [50, 50, 60, 60])


def test_one_euro_smooths_jitter_but_follows_fast_motion():
    rng = np.random.default_rng(0)
    still = OneEuroFilter(min_cutoff=0.05, beta=80.0, derivative_cutoff=1.0)
    noisy = 100 + rng.normal(0, 0.5, 120)  # half-pixel jitter on a 400-pixel person
    smoothed = [still.apply(np.array([v]), i / 30, 1 / 400)[0] for i, v in enumerate(noisy)]
    assert np.std(smoothed[30:]) < 0.5 * np.std(noisy[30:])
    moving = OneEuroFilter(min_cutoff=0.05, beta=80.0, derivative_cutoff=1.0)
    ramp = np.arange(60) * 10.0
    out = [moving.apply(np.array([v]), i / 30, value_scale=1 / 200)[0] for i, v in enumerate(ramp)]
    assert ramp[-1] - out[-1] < 15  # lags by less than two frames of motion


def test_one_euro_passes_out_of_order_samples_and_resets():
    f = OneEuroFilter(0.05, 80.0, 1.0)
    f.apply(np.array([0.0]), 1.0)
    assert f.apply(np.array([5.0]), 1.0)[0] == 5.0  # same timestamp: untouched
    f.reset()
    assert f.apply(np.array([42.0]), 0.5)[0] == 42.0  # first sample after reset


def test_visibility_low_pass():
    smoother = LandmarkSmoother(0.05, 80.0, visibility_alpha=0.1)
    _, v0 = smoother.apply(np.zeros((1, 3)), np.array([1.0]), 0.0)
    _, v1 = smoother.apply(np.zeros((1, 3)), np.array([0.0]), 1 / 30)
    assert v0[0] == 1.0 and v1[0] == pytest.approx(0.9)


def test_heatmap_refinement_moves_to_the_confident_peak():
    heatmap = np.full((64, 64, 2), -10.0, np.float32)
    heatmap[20, 30, 0] = 10.0  # confident peak near landmark 0
    xy = np.array([[31.5 / 64, 21.5 / 64], [10 / 64, 10 / 64]], np.float32)
    out = refine_with_heatmap(xy, heatmap)
    assert out[0] == pytest.approx([30 / 64, 20 / 64], abs=1e-3)
    assert np.allclose(out[1], xy[1])  # nothing confident there: unchanged
    outside = refine_with_heatmap(np.array([[1.5, 0.5], [0.5, 0.5]], np.float32), heatmap)
    assert outside[0, 0] == 1.5
