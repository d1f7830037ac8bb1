"""One backend, in a process of its own, over a list of clips: time and peak memory.

Run by training.bench.pose, once per backend, so each backend's RSS is its own and neither
warms the other's caches. Writes JSON timings and an npz of landmarks for agreement.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from edge.pose.estimator import create_estimator
from edge.skeleton import NUM_LANDMARKS
from edge.sources import open_source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--landmark-model", type=Path)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--landmarks", type=Path, required=True)
    parser.add_argument("clips", nargs="+", type=Path)
    args = parser.parse_args(argv)

    # What every configuration pays before its backend exists (Python, numpy, OpenCV):
    # reported so the backends' own memory can be compared without it.
    baseline_mib = int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20
    estimator = create_estimator(args.backend, args.threads, landmark_model=args.landmark_model)
    clips: dict[str, dict[str, float]] = {}
    landmarks: dict[str, np.ndarray] = {}
    for clip in args.clips:
        estimator.reset()
        source = open_source(str(clip))
        # Landmarks go straight into one array: keeping per-frame result objects would add
        # the harness's own memory to both backends' peaks and blur their ratio.
        clip_landmarks = np.full((max(source.frame_count, 1), NUM_LANDMARKS, 4), np.nan, np.float32)
        times = []
        for frame in source.frames():
            start = time.perf_counter()
            result = estimator.process(frame)
            times.append(time.perf_counter() - start)
            if frame.index >= len(clip_landmarks):
                clip_landmarks = np.concatenate(
                    [clip_landmarks, np.full_like(clip_landmarks, np.nan)]
                )
            if result:
                clip_landmarks[frame.index] = result[0].landmarks
        source.close()
        ms = 1000 * np.array(times)
        clips[clip.name] = {
            "frames": len(ms),
            "mean_ms": float(ms.mean()),
            "median_ms": float(np.median(ms)),
            "p90_ms": float(np.percentile(ms, 90)),
        }
        landmarks[clip.name] = clip_landmarks[: len(times)]
    estimator.close()
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    args.json.write_text(
        json.dumps({"clips": clips, "peak_rss_mib": peak_rss_mib, "baseline_rss_mib": baseline_mib})
    )
    np.savez_compressed(args.landmarks, **landmarks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
