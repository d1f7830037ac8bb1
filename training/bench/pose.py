"""`make bench` (pose): litert vs mediapipe, same frames, same clips, one run.

Each configuration runs in its own process (training.bench.pose_worker) one after the other,
so timings do not fight for the two cores and peak RSS is the backend's own. Writes
<out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge.paths import REPO, SHARED_DATA_DIR, SHARED_DIR
from edge.skeleton import MIN_VISIBILITY, NUM_LANDMARKS
from training.bench.agreement import compare
from training.bench.report import write_report

DEFAULT_CLIPS = SHARED_DATA_DIR / "exercise_videos"
LITE_MODEL = SHARED_DIR / "models" / "blazepose" / "pose_landmark_lite.tflite"


def run_worker(
    name: str,
    backend: str,
    threads: int,
    clips: list[Path],
    tmp: Path,
    landmark_model: Path | None = None,
) -> tuple[dict, dict[str, np.ndarray]]:
    json_path, npz_path = tmp / f"{name}.json", tmp / f"{name}.npz"
    command = [
        sys.executable,
        "-m",
        "training.bench.pose_worker",
        "--backend",
        backend,
        "--threads",
        str(threads),
        "--json",
        str(json_path),
        "--landmarks",
        str(npz_path),
    ]
    if landmark_model is not None:
        command += ["--landmark-model", str(landmark_model)]
    print(f"bench pose: {name} ...", file=sys.stderr, flush=True)
    subprocess.run([*command, *map(str, clips)], check=True, cwd=REPO)
    with np.load(npz_path) as data:
        landmarks = {k: data[k] for k in data.files}
    return json.loads(json_path.read_text()), landmarks


def mean_ms(result: dict) -> float:
    """Frame-weighted mean time per frame over all clips."""
    clips = result["clips"].values()
    return sum(c["mean_ms"] * c["frames"] for c in clips) / sum(c["frames"] for c in clips)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "pose")
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    args = parser.parse_args(argv)
    clips = sorted(args.clips.glob("*.mp4"))
    if not clips:
        print(f"bench pose: no clips in {args.clips}; pass --clips DIR", file=sys.stderr)
        return 2

    configs = [
        ("litert_2t", "litert", 2, None),
        ("mediapipe", "mediapipe", 2, None),
        ("litert_1t", "litert", 1, None),
    ]
    if LITE_MODEL.is_file():
        configs.append(("litert_lite_2t", "litert", 2, LITE_MODEL))
    results, landmarks = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, backend, threads, model in configs:
            results[name], landmarks[name] = run_worker(
                name, backend, threads, clips, Path(tmp), model
            )

    reference = results["mediapipe"]
    agreement = [
        compare(c.name, landmarks["litert_2t"][c.name], landmarks["mediapipe"][c.name])
        for c in clips
    ]
    summary = {
        name: {
            "mean_ms_per_frame": mean_ms(r),
            "fps": 1000.0 / mean_ms(r),
            "ratio_to_mediapipe": mean_ms(r) / mean_ms(reference),
            "peak_rss_mib": r["peak_rss_mib"],
            "rss_ratio_to_mediapipe": r["peak_rss_mib"] / reference["peak_rss_mib"],
            "backend_rss_mib": r["peak_rss_mib"] - r["baseline_rss_mib"],
            "backend_rss_ratio_to_mediapipe": (r["peak_rss_mib"] - r["baseline_rss_mib"])
            / (reference["peak_rss_mib"] - reference["baseline_rss_mib"]),
        }
        for name, r in results.items()
    }
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "clips": [c.name for c in clips],
        "summary": summary,
        "per_clip": {name: r["clips"] for name, r in results.items()},
        "agreement_litert_vs_mediapipe": [a.as_dict() for a in agreement],
    }
    write_report(args.out, report, render_markdown(report))
    return 0


def render_markdown(report: dict) -> str:
    lines = [
        "# Pose backends: time, memory, agreement",
        "",
        f"Generated {report['generated']} by `make bench` on {report['machine']}, "
        f"{len(report['clips'])} clips from `../shared/data/exercise_videos/`. Every "
        "configuration ran in its own process, one after the other, on the same frames. "
        "Time is `PoseEstimator.process()` per frame (decoding excluded); RSS is the "
        "process's peak. Absolute times on a shared machine are noisy: read the ratios.",
        "",
        "| configuration | ms / frame | fps | time vs mediapipe | peak RSS MiB "
        "| RSS vs mediapipe | RSS over baseline MiB | that vs mediapipe |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in report["summary"].items():
        lines.append(
            f"| {name} | {s['mean_ms_per_frame']:.2f} | {s['fps']:.1f} | "
            f"{s['ratio_to_mediapipe']:.2f} | {s['peak_rss_mib']:.0f} | "
            f"{s['rss_ratio_to_mediapipe']:.2f} | {s['backend_rss_mib']:.0f} | "
            f"{s['backend_rss_ratio_to_mediapipe']:.2f} |"
        )
    lines += [
        "",
        "`litert_lite_2t` runs the lite landmark model from `../shared/models/` "
        "(a different model: its landmarks are not expected to match the full model's).",
        "",
        "## Per clip, ms per frame",
        "",
    ]
    names = list(report["per_clip"])
    lines.append("| clip | frames | " + " | ".join(names) + " | litert_2t / mediapipe |")
    lines.append("|---|---:|" + "---:|" * (len(names) + 1))
    for clip in report["clips"]:
        row = [report["per_clip"][n][clip]["mean_ms"] for n in names]
        ratio = (
            report["per_clip"]["litert_2t"][clip]["mean_ms"]
            / report["per_clip"]["mediapipe"][clip]["mean_ms"]
        )
        frames = report["per_clip"]["litert_2t"][clip]["frames"]
        lines.append(
            f"| {clip} | {frames} | " + " | ".join(f"{v:.2f}" for v in row) + f" | {ratio:.2f} |"
        )
    lines += [
        "",
        "## Agreement, litert (2 threads) vs mediapipe",
        "",
        f"Median distance over the {NUM_LANDMARKS} joints visible (> {MIN_VISIBILITY:g}) in "
        "both, as % of the torso length (shoulder-midpoint to hip-midpoint); recall = % of "
        "frames where one found the person that the other found too. Acceptance: median <= "
        "3%, recall >= 95%.",
        "",
        "| clip | frames | litert found | mediapipe found | median error % torso "
        "| litert recall % | mediapipe recall % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for a in report["agreement_litert_vs_mediapipe"]:
        lines.append(
            f"| {a['clip']} | {a['frames']} | {a['found_candidate']} | {a['found_reference']} | "
            f"{a['median_error_pct_torso']:.2f} | {a['candidate_recall_pct']:.1f} | "
            f"{a['reference_recall_pct']:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
