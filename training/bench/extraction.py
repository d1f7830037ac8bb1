"""`make bench` (extraction): keypoint extraction speed against the 5.6 fps baseline.

The AIST Dance DB paper's features came from OpenPose on 60 fps video; a user reported
600 frames in 107 s (5.6 fps), ~35 h for the paper's 210 videos. This extracts every real
clip under ../shared/data/{exercise,dance}_videos with a few worker/thread/stride mixes
(fresh cache each) and reports frames per second and the ratio to that baseline: on local
worker processes, and as Ray tasks (training.extract --ray) on a Ray instance started here
with as many CPUs as the pool has workers. Ray is in the training extra: run it from
.venv-train (make bench does); elsewhere the Ray row says why it is missing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from edge.paths import REPO, SHARED_DATA_DIR
from training.bench.report import write_report
from training.extract import ExtractionReport, extract, find_videos

DATA = SHARED_DATA_DIR
BASELINE_FPS = 600 / 107
CONFIGS = (  # (runner, workers or Ray CPUs, threads per worker, stride)
    ("local", 1, 2, 1),
    ("local", 2, 1, 1),
    ("local", 2, 1, 2),
    ("ray", 2, 1, 1),
)


def _ray_run(
    videos: list[Path], cache: Path, cpus: int, threads: int, stride: int
) -> tuple[ExtractionReport, float]:
    """Extraction as Ray tasks on a local instance of `cpus` CPUs (loopback only); the
    instance's start-up seconds apart, as a standing cluster would not pay them per run."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # one machine: loopback
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             logging_level="WARNING")  # fmt: skip
    try:
        startup = time.perf_counter() - started
        report = extract(videos, cache, cpus, threads, stride, ray="auto")
    finally:
        ray.shutdown()
    return report, startup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "extraction")
    args = parser.parse_args(argv)
    videos = find_videos([DATA / "exercise_videos", DATA / "dance_videos"])
    rows, notes = [], []
    load_before = os.getloadavg()[0]
    for runner, workers, threads, stride in CONFIGS:
        row: dict[str, object] = {"runner": runner, "workers": workers, "threads": threads,
                                  "stride": stride}  # fmt: skip
        with tempfile.TemporaryDirectory() as cache:
            if runner == "local":
                report = extract(videos, Path(cache), workers, threads, stride)
            else:
                try:
                    report, row["startup_s"] = _ray_run(videos, Path(cache), workers, threads,
                                                        stride)  # fmt: skip
                except ImportError:
                    notes.append("Ray row: Ray is not installed here; run from .venv-train.")
                    continue
        rows.append(row | {
            "videos": report.done, "failed": len(report.failed), "frames": report.frames,
            "seconds": report.seconds, "fps": report.fps, "vs_baseline": report.fps / BASELINE_FPS,
        })  # fmt: skip
    names = {"local": "local processes", "ray": "Ray tasks"}
    lines = [
        "# Keypoint extraction speed",
        "",
        f"{len(videos)} real clips from `../shared/data/`, LiteRT BlazePose (full model), "
        "a fresh cache per row, on this 2-core machine. Frames = frames processed "
        f"(after stride). Baseline: OpenPose at {BASELINE_FPS:.1f} fps (600 frames in "
        f"107 s). Acceptance: at least 10x. Written by `make bench`. {os.cpu_count()} CPUs, "
        f"1-min load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
        "(above 2, other jobs shared the cores and every row is slower).",
        "",
        "| runner | workers (Ray: CPUs) | threads each | stride | frames | seconds | fps "
        "| x baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {names[r['runner']]} | {r['workers']} | {r['threads']} | {r['stride']} | "
            f"{r['frames']} | {r['seconds']:.1f} | {r['fps']:.1f} | {r['vs_baseline']:.1f} |"
            for r in rows
        ],
        "",
        "With stride 2 every second frame is processed (the AIST++ data is 60 fps; a unit "
        "of 1/3 s still holds 10 frames); fps counts processed frames only.",
        "",
        "Ray tasks: `training.extract --ray` on a Ray instance started by the bench on this "
        "machine (`ray.init(num_cpus=2)`, loopback), one task per video with the video's "
        "bytes in and its keypoints out, the cache written by the driver; the seconds "
        "count from the first task to the last npz, as on a cluster that is already up "
        + "".join(
            f"(starting this instance took {r['startup_s']:.1f} s more)"
            for r in rows
            if "startup_s" in r
        )
        + ". On one machine it can only match the pool; its use is more machines.",
        *notes,
        "",
    ]
    machine = {"cpus": os.cpu_count(), "load_1min_before": load_before,
               "load_1min_after": os.getloadavg()[0]}  # fmt: skip
    write_report(args.out, {"rows": rows, "machine": machine}, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
