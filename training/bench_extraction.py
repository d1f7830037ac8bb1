"""`make bench` (extraction): keypoint extraction speed against the 5.6 fps baseline.

The AIST Dance DB paper's features came from OpenPose on 60 fps video; a user reported
600 frames in 107 s (5.6 fps), ~35 h for the paper's 210 videos. This extracts every real
clip under ../shared/data/{exercise,dance}_videos with a few worker/thread/stride mixes
(fresh cache each) and reports frames per second and the ratio to that baseline.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from training.extract import extract, find_videos

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BASELINE_FPS = 600 / 107
CONFIGS = (  # (workers, threads per worker, stride)
    (1, 2, 1),
    (2, 1, 1),
    (2, 1, 2),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "extraction")
    args = parser.parse_args(argv)
    videos = find_videos([DATA / "exercise_videos", DATA / "dance_videos"])
    rows = []
    for workers, threads, stride in CONFIGS:
        with tempfile.TemporaryDirectory() as cache:
            report = extract(videos, Path(cache), workers, threads, stride)
        rows.append({
            "workers": workers, "threads": threads, "stride": stride, "videos": report.done,
            "failed": len(report.failed), "frames": report.frames, "seconds": report.seconds,
            "fps": report.fps, "vs_baseline": report.fps / BASELINE_FPS,
        })  # fmt: skip
    lines = [
        "# Keypoint extraction speed",
        "",
        f"{len(videos)} real clips from `../shared/data/`, LiteRT BlazePose (full model), "
        "a fresh cache per row, on this 2-core machine. Frames = frames processed "
        f"(after stride). Baseline: OpenPose at {BASELINE_FPS:.1f} fps (600 frames in "
        "107 s). Acceptance: at least 10x. Written by `make bench`.",
        "",
        "| workers | threads each | stride | frames | seconds | fps | x baseline |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r['workers']} | {r['threads']} | {r['stride']} | {r['frames']} | "
            f"{r['seconds']:.1f} | {r['fps']:.1f} | {r['vs_baseline']:.1f} |"
            for r in rows
        ],
        "",
        "With stride 2 every second frame is processed (the AIST++ data is 60 fps; a unit "
        "of 1/3 s still holds 10 frames); fps counts processed frames only.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=2))
    args.out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
