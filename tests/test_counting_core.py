"""The rep-counting pieces on their own: embedding, k-NN votes, smoothing, hysteresis."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.counting.counter import RepCounter, Step
from edge.counting.knn import KnnPoseClassifier
from edge.counting.smoothing import EmaSmoother, seconds_from_frames
from edge.features.embedding import EMBEDDING_PAIRS, PoseEmbedder, mirror
from edge.skeleton import BODY_25, BODY_JOINTS, COCO_17, JOINT, to_blazepose


def random_pose(seed: int = 0) -> np.ndarray:
    """A plausible-sized (33, 4) pose in pixels: x, y, z, visibility."""
    rng = np.random.default_rng(seed)
    pose = np.empty((33, 4))
    pose[:, :2] = rng.uniform(100, 400, size=(33, 2))
    pose[:, 2] = rng.uniform(-100, 100, size=33)
    pose[:, 3] = rng.uniform(0, 1, size=33)
    return pose


def reference_embedding(pose: np.ndarray) -> np.ndarray:
    """A literal, loop-by-name port of FullBodyPoseEmbedder (size over BODY_JOINTS)."""
    pts = {name: pose[i, :3].astype(np.float64) for name, i in JOINT.items()}
    centre = (pts["left_hip"] + pts["right_hip"]) * 0.5
    pts = {k: v - centre for k, v in pts.items()}
    torso = np.linalg.norm(((pts["left_shoulder"] + pts["right_shoulder"]) * 0.5)[:2])
    reach = max(np.linalg.norm(pts[n][:2]) for n in BODY_JOINTS)
    size = max(2.5 * torso, reach)
    pts = {k: v / size * 100 for k, v in pts.items()}
    pts["hips_centre"] = (pts["left_hip"] + pts["right_hip"]) * 0.5
    pts["shoulders_centre"] = (pts["left_shoulder"] + pts["right_shoulder"]) * 0.5
    return np.array([pts[b] - pts[a] for a, b in EMBEDDING_PAIRS])


def test_pairs_follow_the_reference():
    assert len(EMBEDDING_PAIRS) == 23
    assert EMBEDDING_PAIRS[0] == ("hips_centre", "shoulders_centre")
    # hip->wrist is listed twice on purpose (double weight), as in the reference
    assert EMBEDDING_PAIRS.count(("left_hip", "left_wrist")) == 2
    assert EMBEDDING_PAIRS.count(("right_hip", "right_wrist")) == 2
    assert len(BODY_JOINTS) == 12


def test_embedding_matches_a_literal_port():
    pose = random_pose(1)
    assert PoseEmbedder()(pose) == pytest.approx(reference_embedding(pose))


def test_embedding_is_translation_and_scale_invariant():
    pose = random_pose(2)
    moved = pose.copy()
    moved[:, :3] = moved[:, :3] * 3.7 + np.array([250.0, -80.0, 40.0])
    embedder = PoseEmbedder()
    assert embedder(moved) == pytest.approx(embedder(pose))


def test_batch_visibility_and_2d_inputs():
    poses = np.stack([random_pose(s) for s in range(4)])
    embedder = PoseEmbedder()
    batch = embedder(poses)
    assert batch.shape == (4, 23, 3)
    for i in range(4):
        assert batch[i] == pytest.approx(embedder(poses[i, :, :3]))  # visibility ignored
    flat = embedder(poses[0, :, :2])
    assert flat[:, 2] == pytest.approx(np.zeros(23))
    assert flat[:, :2] == pytest.approx(batch[0, :, :2])  # z never enters the scale


def test_mirror_negates_x_and_keeps_labels():
    pose = random_pose(3)
    flipped = mirror(pose)
    assert flipped[:, 0] == pytest.approx(-pose[:, 0])
    assert flipped[:, 1:] == pytest.approx(pose[:, 1:])
    assert mirror(flipped) == pytest.approx(pose)
    embedder = PoseEmbedder()
    direct, mirrored = embedder(pose), embedder(flipped)
    # Left stays left: each vector just has its x negated; nothing swaps rows.
    assert mirrored[:, 0] == pytest.approx(-direct[:, 0])
    assert mirrored[:, 1:] == pytest.approx(direct[:, 1:])


@pytest.mark.parametrize("layout", ["coco17", "body25"])
def test_other_layouts_give_the_blazepose_embedding(layout):
    names = {"coco17": COCO_17, "body25": BODY_25}[layout]
    pose = random_pose(4)
    pose[JOINT["nose"], :2] = (-2000.0, -2000.0)  # far-off unused joints must not matter
    pose[JOINT["left_index"], :2] = (5000.0, 5000.0)
    theirs = np.full((len(names), 4), 7.0)
    for i, name in enumerate(names):
        if name in JOINT:
            theirs[i] = pose[JOINT[name]]
    mapped = to_blazepose(theirs, layout)
    assert np.isnan(mapped[JOINT["left_index"]]).all()
    assert PoseEmbedder()(mapped) == pytest.approx(PoseEmbedder()(pose), rel=1e-5, abs=1e-3)


def reference_votes(samples, labels, emb, memb, weights=(1.0, 1.0, 0.2)):
    """Loop port of PoseClassifier.__call__, for comparison."""
    w = np.array(weights)
    heap = []
    for i, s in enumerate(samples):
        d = min(np.max(np.abs(s - emb) * w), np.max(np.abs(s - memb) * w))
        heap.append([d, i])
    heap = sorted(heap, key=lambda x: x[0])[:30]
    heap2 = []
    for _, i in heap:
        s = samples[i]
        d = min(np.mean(np.abs(s - emb) * w), np.mean(np.abs(s - memb) * w))
        heap2.append([d, i])
    heap2 = sorted(heap2, key=lambda x: x[0])[:10]
    return np.bincount([labels[i] for _, i in heap2], minlength=3)


def test_knn_matches_a_loop_port_of_the_reference():
    rng = np.random.default_rng(5)
    samples = rng.normal(size=(200, 23, 3)) * 10
    labels = rng.integers(0, 3, size=200)
    knn = KnnPoseClassifier(samples, labels, ["a", "b", "c"])
    for _ in range(20):
        emb, memb = rng.normal(size=(23, 3)) * 10, rng.normal(size=(23, 3)) * 10
        assert knn.votes(emb, memb) == pytest.approx(reference_votes(samples, labels, emb, memb))


def test_knn_votes_on_a_toy_set_and_uses_the_mirror():
    rng = np.random.default_rng(6)
    up, down = np.zeros((23, 3)), np.full((23, 3), 20.0)
    samples = np.concatenate(
        [up + rng.normal(size=(15, 23, 3)), down + rng.normal(size=(15, 23, 3))]
    )
    labels = np.array([0] * 15 + [1] * 15)
    knn = KnnPoseClassifier(samples, labels, ["up", "down"])
    assert knn.votes(up, up).tolist() == [10.0, 0.0]
    assert knn.votes(down + 0.5, down + 0.5).tolist() == [0.0, 10.0]
    # Only the mirrored view resembles "down": it still wins, as in the reference.
    assert knn.votes(np.full((23, 3), -50.0), down).tolist() == [0.0, 10.0]
    with pytest.raises(ValueError):
        knn.votes(np.full((23, 3), np.nan), up)


def test_knn_classify_end_to_end_with_a_mirrored_sample():
    embedder = PoseEmbedder()
    pose = random_pose(7)
    other = random_pose(8)
    samples = embedder(np.stack([mirror(pose)] * 12 + [other] * 12))
    knn = KnnPoseClassifier(samples, np.array([0] * 12 + [1] * 12), ["pose", "other"])
    assert knn.votes(*embedder.both(pose)).tolist() == [10.0, 0.0]


def test_smoother_weights_are_exact():
    smoother = EmaSmoother(*seconds_from_frames(3, 0.5, fps=10.0))
    values = (10.0, 0.0, 0.0, 0.0, 4.0)
    out = [smoother(np.array([v, 10.0 - v]), i / 10)[0] for i, v in enumerate(values)]
    # weights newest-first: 1, 0.5, 0.25 over the last 0.3 s (3 frames), normalised
    assert out == pytest.approx([10.0, 5.0 / 1.5, 2.5 / 1.75, 0.0, 4.0 / 1.75])
    smoother.reset()
    assert smoother(np.array([3.0, 7.0]), 5.0) == pytest.approx([3.0, 7.0])


def test_smoother_default_is_mediapipes_recipe_at_30_fps():
    smoother = EmaSmoother()
    seq = np.arange(15, dtype=float)
    got = [smoother(np.array([v]), i / 30)[0] for i, v in enumerate(seq)][-1]
    window = seq[::-1][:10]
    w = 0.8 ** np.arange(10)
    assert got == pytest.approx((window * w).sum() / w.sum())


@pytest.mark.parametrize("fps", [15.0, 25.0, 60.0, 90.0])
def test_smoother_follows_a_step_in_seconds_whatever_the_frame_rate(fps):
    """Votes jump from 0 to 10 at t = 1 s: at every rate the smoothed value crosses the
    counter's thresholds at nearly the same stream time (within a frame or so)."""

    def crossing(rate: float, level: float) -> float:
        smoother = EmaSmoother()
        for i in range(int(3 * rate)):
            t = i / rate
            if smoother(np.array([10.0 if t >= 1.0 else 0.0]), t)[0] > level:
                return t
        raise AssertionError("never crossed")

    for level in (4.0, 6.0):
        assert abs(crossing(fps, level) - crossing(30.0, level)) <= 1.5 / min(fps, 30.0)


def test_smoother_forgets_votes_older_than_its_window():
    smoother = EmaSmoother(window_s=0.5, tau_s=10.0)
    smoother(np.array([10.0]), 0.0)
    assert smoother(np.array([0.0]), 0.4)[0] > 4.0  # both inside 0.5 s
    assert smoother(np.array([0.0]), 0.6)[0] == pytest.approx(0.0)  # the 10 is 0.6 s old
    with pytest.raises(ValueError, match="positive seconds"):
        EmaSmoother(window_s=0.0)


def test_counter_hysteresis_ignores_noise_near_thresholds():
    counter = RepCounter(enter_threshold=6.0, exit_threshold=4.0)
    signal = [0, 2, 5.9, 6.1, 5.5, 6.5, 4.5, 6.2, 4.1, 3.9, 4.2, 3.8, 5.0, 5.9, 0]
    completed = [i for i, v in enumerate(signal) if counter.update(v) is Step.REP]
    assert completed == [9]  # one dip in, one rep; wobble on either side is ignored
    assert counter.count == 1
    for v in (9, 9, 1):
        counter.update(v)
    assert counter.count == 2
    counter.reset()
    assert counter.count == 0 and not counter.entered


def test_counter_entering_frame_cannot_exit():
    counter = RepCounter()
    assert counter.update(7.0) is Step.NONE
    assert counter.update(0.0) is Step.REP


confidences = st.lists(st.floats(0.0, 10.0, allow_nan=False), max_size=200)


@given(confidences)
def test_counter_counts_exactly_the_down_to_up_transitions(signal):
    """Every visit held equally deep: reps == times the signal goes from above enter to
    below exit, band values ignored."""
    signal = [9.0 if v > 6.0 else v for v in signal]
    counter = RepCounter(6.0, 4.0)
    counted = sum(counter.update(v) is Step.REP for v in signal)
    levels = [1 if v > 6.0 else -1 for v in signal if v > 6.0 or v < 4.0]
    downs_then_ups = sum(a == 1 and b == -1 for a, b in itertools.pairwise(levels))
    assert counted == counter.count == downs_then_ups
    assert counted <= sum(v > 6.0 for v in signal)


@given(confidences)
def test_every_down_to_up_transition_is_a_rep_or_a_partial_rep(signal):
    counter = RepCounter(6.0, 4.0)
    steps = [counter.update(v) for v in signal]
    levels = [1 if v > 6.0 else -1 for v in signal if v > 6.0 or v < 4.0]
    downs_then_ups = sum(a == 1 and b == -1 for a, b in itertools.pairwise(levels))
    assert steps.count(Step.REP) == counter.count <= downs_then_ups
    assert counter.count + counter.partial >= downs_then_ups
    assert steps.count(Step.PARTIAL) == counter.partial


@given(confidences, st.lists(st.tuples(st.integers(0, 200), st.floats(4.0, 6.0)), max_size=50))
def test_counter_is_unmoved_by_values_inside_the_band(signal, inserts):
    noisy = list(signal)
    for where, value in inserts:
        noisy.insert(min(where, len(noisy)), value)
    a, b = RepCounter(6.0, 4.0), RepCounter(6.0, 4.0)
    for v in signal:
        a.update(v)
    for v in noisy:
        b.update(v)
    assert a.count == b.count


def test_counter_drops_a_visit_shorter_than_min_hold():
    counter = RepCounter(6.0, 4.0, min_hold_s=0.5)
    # 30 fps: in at 0.0 s, out at 0.3 s (a transition pose), then a 1 s bottom
    signal = [(7.0, 0.0), (7.0, 0.2), (1.0, 0.3), (9.0, 1.0), (9.0, 1.5), (1.0, 2.0)]
    completed = [t for v, t in signal if counter.update(v, t) is Step.REP]
    assert completed == [2.0]
    assert counter.count == 1 and counter.too_short == 1
    with pytest.raises(ValueError, match="min_hold_s"):
        RepCounter(min_hold_s=-1.0)


@given(confidences, st.floats(0.0, 2.0))
def test_counter_counts_only_visits_held_long_enough(signal, min_hold_s):
    """At 30 fps: reps == visits (above enter, later below exit) lasting >= min_hold_s."""
    signal = [9.0 if v > 6.0 else v for v in signal]  # every visit equally deep
    counter = RepCounter(6.0, 4.0, min_hold_s)
    counted = sum(counter.update(v, i / 30) is Step.REP for i, v in enumerate(signal))
    visits, entered_at = [], None
    for i, v in enumerate(signal):
        if entered_at is None and v > 6.0:
            entered_at = i
        elif entered_at is not None and v < 4.0:
            visits.append(i / 30 - entered_at / 30)  # as the counter subtracts times
            entered_at = None
    assert counted == counter.count == sum(held >= min_hold_s for held in visits)
    assert counter.too_short == sum(held < min_hold_s for held in visits)


@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=30), st.floats(10.0, 120.0))
def test_smoother_stays_within_the_window_range(values, fps):
    smoother = EmaSmoother()
    for i, v in enumerate(values):
        out = smoother(np.array([v]), i / fps)[0]
        window = [x for j, x in enumerate(values[: i + 1]) if (i - j) / fps < smoother.window_s]
        assert min(window) - 1e-9 <= out <= max(window) + 1e-9


def test_a_cycle_that_stops_short_is_a_partial_rep_not_a_rep():
    """30 fps votes for the down state: two full reps, then one that rises past the
    midpoint of exit..enter but never enters, then one that barely enters (peak 6.5 where
    the reps peaked at 9-10), then a full rep. A shallow cycle before any rep is not
    reported: there is no typical rep yet to fall short of (getting into position)."""

    def cycle(peak: float) -> list[float]:
        return [1.0, 3.0, peak, peak, 3.0, 1.0]

    signal = cycle(5.5) + cycle(9.0) + cycle(10.0) + cycle(5.5) + cycle(6.5) + cycle(9.5)
    counter = RepCounter(6.0, 4.0)
    steps = [counter.update(v, i / 30) for i, v in enumerate(signal)]
    done = [(i // 6, step) for i, step in enumerate(steps) if step is not Step.NONE]
    assert done == [(1, Step.REP), (2, Step.REP), (3, Step.PARTIAL), (4, Step.PARTIAL),
                    (5, Step.REP)]  # fmt: skip
    assert counter.count == 3 and counter.partial == 2
    assert counter.typical_peak == pytest.approx(9.5)
    # a wobble that stays below the midpoint is nothing at all
    assert all(counter.update(v) is Step.NONE for v in cycle(4.9))
    assert counter.partial == 2
