"""Label ONE recorded set of reps as "up"/"down" k-NN samples, with no hand labelling.

A gym adds an exercise by filming about ten reps; whatever the exercise, the reps are the
clip's dominant periodic motion:

1. usable frames: a person, and one body side shows the embedded joint families with
   visibility >= `min_visibility` (what the counter requires before classifying);
2. signal: the embeddings on their leading principal components. The period is that of
   the most periodic one (normally the first); the signal is then the direction of those
   PCs that repeats best at it, so a one-off motion (walking in or out, turning to the
   camera) cannot take it over however large. Short gaps filled, lightly smoothed;
3. period: the autocorrelation's shortest strong repeat in 0.6-8 s; `reps_seen` counts
   the "down" extremes that are left again (a rep: into one state and back out);
4. labels: frames in the top and bottom `band` of each cycle's own range (so drift between
   reps does not matter) whose pose is typical of that state; the ambiguous middle is
   dropped, as its poses would blur the k-NN boundary.

"down" is the extreme where the torso centre (mean of shoulder and hip centres) sits lower
in the image: the bottom of a squat, push-up or lunge, lying back in a sit-up. Symmetric
exercises (jumping jacks, curls) get an arbitrary but consistent naming; counting works.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from edge.features.embedding import EmbeddingOptions, PoseEmbedder
from edge.skeleton import BODY_INDEX, JOINT, MIN_VISIBILITY, mid_hip, neck, torso_length

MIN_PERIOD_S, MAX_PERIOD_S = 0.6, 8.0  # shorter is jitter, longer is not a rep
MAX_GAP_S = 0.5  # longer gaps (nobody, joints hidden) stay NaN rather than being invented
SMOOTH_S = 0.07  # Gaussian sigma: removes keypoint jitter, keeps a 0.6 s rep's shape
MIN_STRENGTH = 0.5  # autocorrelation at the period; real reps >= 0.79, still + noise <= 0.4
MIN_PROMINENCE = 0.3  # a cycle must span this share of the signal's 5-95% range
MIN_APART = 25.0  # embedding units (pose size 100) between the two states: beyond jitter
Z_WEIGHT = 0.2  # BlazePose depth is noisy; the k-NN weighs it 0.2 too
PC_SHARE, MAX_PCS = 0.9, 4  # leading PCs searched for the reps: 90% of variance, 4 at most
DEFAULT_OPTIONS = EmbeddingOptions()


@dataclass
class VideoLabels:
    """Labelled frames of one clip. `signal` is oriented so that larger is more "down"."""

    frame_indices: np.ndarray  # (M,) int, the frames that became samples
    labels: np.ndarray  # (M,) int, 0 = "up", 1 = "down"
    period_s: float
    reps_seen: int
    signal: np.ndarray  # (T,) the 1-D motion signal, NaN where unusable


def usable_frames(landmarks: np.ndarray, options: EmbeddingOptions, min_vis: float) -> np.ndarray:
    """(T,) bool: every embedded joint located and one side's families visible enough."""
    located = np.isfinite(landmarks[:, BODY_INDEX, :2]).all(axis=(1, 2))
    visibility = np.nan_to_num(landmarks[:, :, 3], nan=0.0)
    sides = [[JOINT[f"{side}_{f}"] for f in options.joints] for side in ("left", "right")]
    return located & np.stack([(visibility[:, s] >= min_vis).all(axis=1) for s in sides]).any(0)


def _fill_and_smooth(values: np.ndarray, fps: float) -> np.ndarray:
    """Interpolate gaps up to MAX_GAP_S, then a NaN-aware Gaussian smoothing."""
    out = values.copy()
    for a, b in itertools.pairwise(np.flatnonzero(np.isfinite(values))):
        if 1 < b - a <= MAX_GAP_S * fps + 1:
            out[a : b + 1] = np.linspace(values[a], values[b], b - a + 1)
    sigma = max(SMOOTH_S * fps, 0.5)
    kernel = np.exp(-0.5 * (np.arange(-3 * sigma, 3 * sigma + 1) / sigma) ** 2)
    known = np.isfinite(out)
    weight = np.convolve(known.astype(float), kernel, "same")
    smooth = np.convolve(np.where(known, out, 0.0), kernel, "same") / np.maximum(weight, 1e-9)
    return np.where(known, smooth, np.nan)


def _period(signal: np.ndarray, fps: float) -> tuple[int, float]:
    """(period in frames, best autocorrelation); period 0 when nothing repeats.

    Per-lag Pearson correlation over the frames both ends know, so gaps and slow drift do
    not matter. The shortest strong repeat wins: multiples of a period correlate as well."""
    lags = np.arange(max(int(MIN_PERIOD_S * fps), 1), int(MAX_PERIOD_S * fps) + 1)
    lags = lags[lags < len(signal) // 2]  # at least two cycles must fit
    corr = np.full(len(lags), -1.0)
    for i, lag in enumerate(lags):
        a, b = signal[:-lag], signal[lag:]
        both = np.isfinite(a) & np.isfinite(b)
        if both.sum() > lag and a[both].std() > 0 and b[both].std() > 0:
            corr[i] = np.corrcoef(a[both], b[both])[0, 1]
    maxima = np.flatnonzero((corr[1:-1] >= corr[:-2]) & (corr[1:-1] > corr[2:])) + 1
    if maxima.size == 0:
        return 0, float(corr.max(initial=-1.0))
    best = float(corr[maxima].max())
    return int(lags[maxima[corr[maxima] >= best - 0.2 * abs(best)][0]]), best


def _periodic_direction(scores: np.ndarray, lag: int) -> np.ndarray:
    """The direction in PC space minimising var(z[t + lag] - z[t]) / var(z): what repeats.

    A one-off motion carries much variance but changes a lot over one period; the reps
    change little. Solved as a generalised eigenproblem, whitening by the PC covariance."""
    pairs = scores[lag:] - scores[:-lag]
    pairs = pairs[np.isfinite(pairs).all(axis=1)]
    whiten = np.linalg.inv(np.linalg.cholesky(np.cov(scores[np.isfinite(scores[:, 0])].T)))
    change = whiten @ (pairs.T @ pairs / len(pairs)) @ whiten.T
    return whiten.T @ np.linalg.eigh(change)[1][:, 0]


def _extremes(x: np.ndarray, lag: int, min_rise: float) -> tuple[np.ndarray, np.ndarray]:
    """(peaks, troughs) of the oriented signal: the "down" and "up" extremes.

    Peaks: the highest local maxima at least 0.6 period apart that rise `min_rise` above
    the higher of the minima within a period either side; a side cut by the clip's edge
    is ignored when the other is whole, as a clip may start at the bottom. Troughs: the
    lowest frame between consecutive peaks, and before the first or after the last peak
    the lowest within a period if it lies `min_rise` below that peak (a real turn)."""
    filled = np.where(np.isfinite(x), x, -np.inf)
    local = np.flatnonzero((filled[1:-1] >= filled[:-2]) & (filled[1:-1] > filled[2:])) + 1
    chosen: list[int] = []
    for p in local[np.argsort(-filled[local], kind="stable")]:
        if any(abs(p - q) < 0.6 * lag for q in chosen):
            continue
        sides = ((x[max(p - lag, 0) : p], p >= lag), (x[p + 1 : p + lag + 1], p + lag < len(x)))
        seen = [(s, whole) for s, whole in sides if np.isfinite(s).any()]
        bases = [np.nanmin(s) for s, whole in seen if whole] or [np.nanmin(s) for s, _ in seen]
        if bases and x[p] - max(bases) >= min_rise:
            chosen.append(int(p))
    peaks = np.array(sorted(chosen), dtype=int)
    troughs: list[int] = []
    if peaks.size:
        first, last = (
            (max(peaks[0] - lag, 0), peaks[0]),
            (peaks[-1], min(peaks[-1] + lag, len(x) - 1)),
        )
        for i, (a, b) in enumerate([first, *itertools.pairwise(peaks), last]):
            if np.isfinite(x[a : b + 1]).any():
                t = a + int(np.nanargmin(x[a : b + 1]))
                if 0 < i < len(peaks) or x[peaks[0 if i == 0 else -1]] - x[t] >= min_rise:
                    troughs.append(t)
    return peaks, np.array(troughs, dtype=int)


def _typical_poses(
    poses: np.ndarray, troughs: np.ndarray, peaks: np.ndarray
) -> tuple[float, Callable[[np.ndarray, int], np.ndarray]]:
    """(distance between the two states' median poses, near(frames, state) -> bool).

    Every rep passes through the same two poses; a walk into or out of the frame does not.
    A frame is off-pattern for a state (0 up, 1 down) when nearer the other state's median
    pose, or farther from its own than the two are apart and than twice the usual distance
    of that state's extremes. NaN poses (interpolated frames) pass."""
    typical = [np.nanmedian(poses[i], axis=0) for i in (troughs, peaks)]

    def distance(frames: np.ndarray, state: int) -> np.ndarray:
        return np.linalg.norm(poses[frames] - typical[state], axis=1)

    apart = float(np.linalg.norm(typical[1] - typical[0]))
    limit = [max(apart, 2 * np.nanmedian(distance(f, i))) for i, f in enumerate((troughs, peaks))]

    def near(frames: np.ndarray, state: int) -> np.ndarray:
        own = distance(frames, state)
        return ~((own > limit[state]) | (own > distance(frames, 1 - state)))

    return apart, near


def label_from_track(
    landmarks: np.ndarray,
    fps: float,
    options: EmbeddingOptions = DEFAULT_OPTIONS,
    min_visibility: float = MIN_VISIBILITY,
    band: float = 0.25,
) -> VideoLabels:
    """Find the reps of one clip and label frames near their two extremes (module doc).

    Raises ValueError, naming what was found, when there is no dominant periodic motion."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    usable = usable_frames(landmarks, options, min_visibility)
    if usable.sum() < 2 * MIN_PERIOD_S * fps:
        raise ValueError(
            f"only {usable.sum()} of {len(landmarks)} frames show the joints "
            f"{options.joints} with visibility >= {min_visibility}; film the whole body"
        )
    flat = PoseEmbedder(options)(landmarks[usable]) * np.array([1.0, 1.0, Z_WEIGHT])
    poses = np.full((len(landmarks), flat[0].size), np.nan)
    poses[usable] = flat.reshape(len(flat), -1) - np.median(flat.reshape(len(flat), -1), axis=0)
    _, sv, axes = np.linalg.svd(poses[usable], full_matrices=False)
    share = np.cumsum(sv**2) / max(float((sv**2).sum()), 1e-12)
    scores = poses @ axes[: int(min(np.searchsorted(share, PC_SHARE) + 1, MAX_PCS))].T
    found = [_period(_fill_and_smooth(pc, fps), fps) for pc in scores.T]
    lag, strength = max(found, key=lambda f: f[1] if f[0] else -1.0)
    if lag:  # pass 2: the direction of the leading PCs that repeats best at that period
        direction = _periodic_direction(scores, lag) if len(found) > 1 else np.ones(1)
        signal = _fill_and_smooth(scores @ direction, fps)
        lag, strength = _period(signal, fps)
    if not lag or strength < MIN_STRENGTH:
        what = f"autocorrelation {strength:.3f} < {MIN_STRENGTH}" if lag else "nothing repeats"
        raise ValueError(
            f"no periodic motion between {MIN_PERIOD_S} and {MAX_PERIOD_S} s in "
            f"{usable.sum()} usable frames ({what}); is this a set of at least two reps?"
        )
    height = (neck(landmarks)[:, 1] + mid_hip(landmarks)[:, 1]) / 2  # image y grows down
    height /= np.nanmedian(torso_length(landmarks[usable]))
    known = np.isfinite(signal) & np.isfinite(height)
    if np.corrcoef(signal[known], height[known])[0, 1] < 0:
        signal = -signal

    spread = np.nanpercentile(signal, 95) - np.nanpercentile(signal, 5)
    peaks, troughs = _extremes(signal, lag, MIN_PROMINENCE * spread)
    apart, near = _typical_poses(poses, troughs, peaks) if troughs.size else (np.nan, None)
    if near is not None and not apart >= MIN_APART:
        raise ValueError(
            f"a motion repeating every {lag / fps:.2f} s, but its two extremes differ by "
            f"{apart:.0f} embedding units (body size 100; reps need {MIN_APART:.0f}): "
            "jitter or a small motion (walking, swaying), not a set of reps"
        )
    if near is not None:
        peaks, troughs = peaks[near(peaks, 1)], troughs[near(troughs, 0)]
    reps = sum(bool((troughs > p).any()) for p in peaks)  # into "down" and back out
    if near is None or reps < 2:
        raise ValueError(
            f"a motion repeating every {lag / fps:.2f} s (autocorrelation {strength:.2f}), "
            f"but only {reps} complete cycle(s) stand out; record at least two reps"
        )
    frames = np.arange(len(signal))
    bottom = np.interp(frames, troughs, signal[troughs])
    level = (signal - bottom) / np.maximum(np.interp(frames, peaks, signal[peaks]) - bottom, 1e-9)
    inside = (frames >= min(troughs[0], peaks[0])) & (frames <= max(troughs[-1], peaks[-1]))
    indices = np.flatnonzero(inside & usable & ((level >= 1 - band) | (level <= band)))
    labels = (level[indices] >= 1 - band).astype(int)
    kept = np.where(labels == 1, near(indices, 1), near(indices, 0))
    return VideoLabels(indices[kept], labels[kept], lag / fps, reps, signal)


def samples_from_labels(
    landmarks: np.ndarray, labels: VideoLabels
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled frames as k-NN samples: ((M, 33, 3) pixel landmarks, (M,) labels)."""
    points = np.asarray(landmarks)[labels.frame_indices, :, :3].astype(np.float32)
    return points, labels.labels.copy()
