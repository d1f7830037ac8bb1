"""The rep-counting pieces on their own: embedding, k-NN votes, smoothing, hysteresis."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.counting.counter import RepCounter
from edge.counting.knn import KnnPoseClassifier
from edge.counting.smoothing import EmaSmoother
from edge.features.embedding import EMBEDDING_PAIRS, SIZE_JOINTS, PoseEmbedder, mirror
from edge.skeleton import BODY_25, COCO_17, JOINT, to_blazepose


def random_pose(seed: int = 0) -> np.ndarray:
    """A plausible-sized (33, 4) pose in pixels: x, y, z, visibility."""
    rng = np.random.default_rng(seed)
    pose = np.empty((33, 4))
    pose[:, :2] = rng.uniform(100, 400, size=(33, 2))
    pose[:, 2] = rng.uniform(-100, 100, size=33)
    pose[:, 3] = rng.uniform(0, 1, size=33)
    return pose


def reference_embedding(pose: np.ndarray) -> np.ndarray:
    """A literal, loop-by-name port of FullBodyPoseEmbedder (size over SIZE_JOINTS)."""
    pts = {name: pose[i, :3].astype(np.float64) for name, i in JOINT.items()}
    centre = (pts["left_hip"] + pts["right_hip"]) * 0.5
    pts = {k: v - centre for k, v in pts.items()}
    torso = np.linalg.norm(((pts["left_shoulder"] + pts["right_shoulder"]) * 0.5)[:2])
    reach = max(np.linalg.norm(pts[n][:2]) for n in SIZE_JOINTS)
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
    assert len(SIZE_JOINTS) == 12


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
    assert knn.classify(pose, embedder).tolist() == [10.0, 0.0]


def test_smoother_weights_are_exact():
    smoother = EmaSmoother(window_size=3, alpha=0.5)
    out = [smoother(np.array([v, 10.0 - v]))[0] for v in (10.0, 0.0, 0.0, 0.0, 4.0)]
    # weights newest-first: 1, 0.5, 0.25 over at most 3 frames, normalised
    assert out == pytest.approx([10.0, 5.0 / 1.5, 2.5 / 1.75, 0.0, 4.0 / 1.75])
    smoother.reset()
    assert smoother(np.array([3.0, 7.0])) == pytest.approx([3.0, 7.0])


def test_smoother_default_matches_reference_formula():
    smoother = EmaSmoother()
    seq = np.arange(15, dtype=float)
    got = [smoother(np.array([v]))[0] for v in seq][-1]
    window = seq[::-1][:10]
    w = 0.8 ** np.arange(10)
    assert got == pytest.approx((window * w).sum() / w.sum())


def test_counter_hysteresis_ignores_noise_near_thresholds():
    counter = RepCounter(enter_threshold=6.0, exit_threshold=4.0)
    signal = [0, 2, 5.9, 6.1, 5.5, 6.5, 4.5, 6.2, 4.1, 3.9, 4.2, 3.8, 5.0, 5.9, 0]
    completed = [i for i, v in enumerate(signal) if counter.update(v)]
    assert completed == [9]  # one dip in, one rep; wobble on either side is ignored
    assert counter.count == 1
    for v in (9, 9, 1):
        counter.update(v)
    assert counter.count == 2
    counter.reset()
    assert counter.count == 0 and not counter.entered


def test_counter_entering_frame_cannot_exit():
    counter = RepCounter()
    assert not counter.update(7.0)
    assert counter.update(0.0)


confidences = st.lists(st.floats(0.0, 10.0, allow_nan=False), max_size=200)


@given(confidences)
def test_counter_counts_exactly_the_down_to_up_transitions(signal):
    """Reps == times the signal goes from above enter to below exit, band values ignored."""
    counter = RepCounter(6.0, 4.0)
    counted = sum(counter.update(v) for v in signal)
    levels = [1 if v > 6.0 else -1 for v in signal if v > 6.0 or v < 4.0]
    downs_then_ups = sum(a == 1 and b == -1 for a, b in itertools.pairwise(levels))
    assert counted == counter.count == downs_then_ups
    assert counted <= sum(v > 6.0 for v in signal)


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
    completed = [t for v, t in signal if counter.update(v, t)]
    assert completed == [2.0]
    assert counter.count == 1 and counter.too_short == 1
    with pytest.raises(ValueError, match="min_hold_s"):
        RepCounter(min_hold_s=-1.0)


@given(confidences, st.floats(0.0, 2.0))
def test_counter_counts_only_visits_held_long_enough(signal, min_hold_s):
    """At 30 fps: reps == visits (above enter, later below exit) lasting >= min_hold_s."""
    counter = RepCounter(6.0, 4.0, min_hold_s)
    counted = sum(counter.update(v, i / 30) for i, v in enumerate(signal))
    visits, entered_at = [], None
    for i, v in enumerate(signal):
        if entered_at is None and v > 6.0:
            entered_at = i
        elif entered_at is not None and v < 4.0:
            visits.append(i / 30 - entered_at / 30)  # as the counter subtracts times
            entered_at = None
    assert counted == counter.count == sum(held >= min_hold_s for held in visits)
    assert counter.too_short == sum(held < min_hold_s for held in visits)


@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=30))
def test_smoother_stays_within_the_window_range(values):
    smoother = EmaSmoother(window_size=10, alpha=0.2)
    for t, v in enumerate(values):
        out = smoother(np.array([v]))[0]
        window = values[max(0, t - 9) : t + 1]
        assert min(window) - 1e-9 <= out <= max(window) + 1e-9
