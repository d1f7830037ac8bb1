"""`make bench` (people_speed): what each person costs, on one core.

Every measurement runs in its own process pinned to one core (`taskset -c 1`), one after
the other, and is read as CPU time of that process (time.process_time: on a shared,
busy machine wall time mostly measures the others; CPU time is what a Pi's core would
spend). Wall time is reported beside it.

1. ms per frame of PoseEstimator.process for 1, 2, 3, 4 people: composites of 1-4 real
   clips side by side (training/bench/people_composite.py), --people = the tiles.
   Marginal cost per person = the slope of ms per frame over people found per frame
   (least squares), against the bare landmark-model invoke (the model alone, same
   process, same input size): the target is <= 1.2x. The 1-4 people take turns ROUNDS
   times; the ratio is each round's slope of ms per frame in units of the bare invoke
   timed during that process's run (every BARE_EVERY frames, 3 invokes between two
   frames: a shared machine's speed drifts, by 25% between processes in one run here,
   and cancels so), the median of the rounds. The same slope over the tracking frames
   alone (those the detector did not run on): the steady cost of a frame, without the
   arrivals (the detector, and settle.py's landmark passes for each newcomer: a one-off
   that grows with the people arriving, reported as the cost of a detector frame). Beside
   it the whole model's invoke
   (its segmentation branch kept: the model as shipped by MediaPipe, which the target was
   set against before edge/pose/graph_prune.py took 40% off it), and where a tracked
   person's time goes: one more run of the 4-person composite with each stage timed (crop,
   input, invoke, decode, the rest) on its tracking frames.
2. `pose` on one real clip, full model, one person: decode + process per frame, LiteRT vs
   MediaPipe (target <= 0.75x), and the floor, decode + the bare landmark invoke.
   `--baseline-tree DIR` also runs an older checkout's edge/ (e.g. `git archive`) on the
   same clip, for "max_people = 1 is not slower than before".

Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from edge.paths import REPO, SHARED_DATA_DIR
from training.bench.report import write_report

EXERCISE = SHARED_DATA_DIR / "exercise_videos"
PEOPLE_CLIPS = ("squat_side_3.mp4", "pushup_front_3.mp4", "curl_3.mp4", "wall_pushup_side_3.mp4")
POSE_CLIP = EXERCISE / "goblet_squat_front_6.mp4"
FRAMES = 240  # per composite (8 s at 30 fps)
INVOKES = 200  # bare invokes timed
POSE_FRAMES = 360  # of POSE_CLIP, per round
ROUNDS = 3
CORE = "1"
BARE_EVERY = 8  # frames: the bare invoke is timed again during a people run this often


def invoke_ms(interpreter: Any, repeats: int = INVOKES) -> dict[str, float]:
    """`interpreter`'s invoke alone (CPU and wall ms, median of `repeats`), on the input
    it holds."""
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        interpreter.invoke()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"cpu_ms": 1000 * float(np.median(cpu)), "wall_ms": 1000 * float(np.median(wall))}


def bare_invoke_ms(estimator: object, repeats: int = INVOKES) -> dict[str, float]:
    """The landmark model's invoke alone, on the input the estimator last gave it."""
    return invoke_ms(estimator._landmarks._interpreter, repeats)  # type: ignore[attr-defined]


def whole_invoke_ms() -> float:
    """The unpruned landmark model's bare invoke (CPU ms, median), on a fixed input."""
    from edge.pose.interpreter import load_interpreter
    from edge.pose.model_files import resolve_models

    interpreter = load_interpreter(resolve_models().landmark, 1)
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.full(detail["shape"], 0.5, np.float32))
    return invoke_ms(interpreter)["cpu_ms"]


STAGES = ("crop", "input", "invoke", "decode")


def timed_stages(estimator: object) -> dict[str, float]:
    """Wrap the landmark model's steps of `estimator` so each one's CPU seconds add up in
    the returned dict (STAGES)."""
    model = estimator._landmarks  # type: ignore[attr-defined]
    interpreter = model._interpreter
    spent = dict.fromkeys(STAGES, 0.0)

    def timed(stage: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            c = time.process_time()
            result = call(*args, **kwargs)
            spent[stage] += time.process_time() - c
            return result

        return run

    import edge.pose.landmark_model as landmark_model

    model.crop = timed("crop", model.crop)
    model._decode = timed("decode", model._decode)
    interpreter.invoke = timed("invoke", interpreter.invoke)
    landmark_model.to_tensor = timed("input", landmark_model.to_tensor)
    return spent


def worker(spec: dict) -> dict:
    """One measurement (run in its own pinned process): see the module's docstring."""
    from edge.pose.estimator import create_estimator
    from edge.sources import open_source

    # max_people only when above 1: an older checkout (--baseline-tree) has no such key
    count = spec.get("people", 1)
    options = {"max_people": count} if count > 1 else {}
    estimator = create_estimator(spec["backend"], 1, **options)
    # the bare invokes between frames would count as the loop's own invoke stage
    assert not (spec.get("stages") and spec.get("bare_during")), "one or the other"
    stages = timed_stages(estimator) if spec.get("stages") else None
    source = open_source(spec["video"])
    decode_cpu, decode_wall, cpu, wall, found = [], [], [], [], []
    detected: list[bool] = []  # the detector ran on the frame (someone arrived or was lost)
    tracking_stages = dict.fromkeys(stages, 0.0) if stages is not None else None
    during: list[float] = []  # bare invokes between frames (spec "bare_during")
    frames = source.frames()
    limit = spec.get("frames") or 10**9
    while len(cpu) < limit:
        c, w = time.process_time(), time.perf_counter()
        frame = next(frames, None)
        if frame is None:
            break
        decode_cpu.append(time.process_time() - c)
        decode_wall.append(time.perf_counter() - w)
        runs_before = getattr(estimator, "detector_runs", 0)
        spent_before = dict(stages) if stages is not None else {}
        c, w = time.process_time(), time.perf_counter()
        people = estimator.process(frame)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        found.append(len(people))
        detected.append(getattr(estimator, "detector_runs", 0) != runs_before)
        if tracking_stages is not None and not detected[-1]:
            for key in tracking_stages:
                tracking_stages[key] += stages[key] - spent_before[key]
        if spec.get("bare_during") and len(cpu) % BARE_EVERY == 0:
            during.append(bare_invoke_ms(estimator, 3)["cpu_ms"])
    source.close()
    result = {
        "frames": len(cpu),
        "process_cpu_ms": 1000 * float(np.mean(cpu)),
        "process_wall_ms": 1000 * float(np.mean(wall)),
        "decode_cpu_ms": 1000 * float(np.mean(decode_cpu)),
        "decode_wall_ms": 1000 * float(np.mean(decode_wall)),
        "people_per_frame": float(np.mean(found)),
    }
    tracking = ~np.array(detected)
    if tracking.any() and hasattr(estimator, "detector_runs"):
        result["tracking_frames"] = int(tracking.sum())
        result["tracking_cpu_ms"] = 1000 * float(np.mean(np.array(cpu)[tracking]))
        result["tracking_people_per_frame"] = float(np.mean(np.array(found)[tracking]))
        # the first frame at least: everyone arrives on it
        result["detector_frame_cpu_ms"] = 1000 * float(np.mean(np.array(cpu)[~tracking]))
    if during:
        result["bare_invoke_during_cpu_ms"] = float(np.median(during))
    if tracking_stages is not None:  # stages were timed
        people = max(float(np.sum(np.array(found)[tracking])), 1.0)
        per = {k: 1000 * v / people for k, v in tracking_stages.items()}
        per["rest"] = 1000 * float(np.sum(np.array(cpu)[tracking])) / people - sum(per.values())
        result["stages_ms_per_person"] = per
    if spec["backend"] == "litert" and spec.get("bare", True):
        result["bare_invoke"] = bare_invoke_ms(estimator)
        if spec.get("stages"):
            result["bare_invoke"]["whole_cpu_ms"] = whole_invoke_ms()
    estimator.close()
    return result


def run_worker(spec: dict, tree: Path | None = None) -> dict:
    env = dict(os.environ)
    if tree is not None:  # `-m` puts the working folder first: the older edge/ from there,
        env["PYTHONPATH"] = str(REPO)  # training/ from here
    command = ["taskset", "-c", CORE, sys.executable, "-m", "training.bench.people_speed"]
    done = subprocess.run(
        [*command, "--worker", json.dumps(spec)], check=True, cwd=tree or REPO, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


# A people run's figures besides median_of's (the medians of its rounds)
PER_RUN = (
    "people_per_frame", "tracking_cpu_ms", "tracking_people_per_frame", "tracking_frames",
    "detector_frame_cpu_ms",
)  # fmt: skip


def round_slope(runs: dict[int, list[dict]], index: int, found: str, ms: str) -> float:
    """Round `index`'s least-squares slope of ms per frame (`ms`, in units of the bare
    invoke timed during each run) over people found per frame (`found`)."""
    return float(np.polyfit(
        [runs[n][index][found] for n in runs],
        [runs[n][index][ms] / runs[n][index]["bare_invoke_during_cpu_ms"] for n in runs],
        1,
    )[0])  # fmt: skip


def median_of(results: list[dict]) -> dict:
    """Per key, the median over rounds (bare_invoke too); totals = decode + process."""
    merged: dict = {"rounds": len(results), "frames": results[0]["frames"]}
    for key in ("process_cpu_ms", "process_wall_ms", "decode_cpu_ms", "decode_wall_ms"):
        merged[key] = float(np.median([r[key] for r in results]))
        merged[key + "_rounds"] = [round(r[key], 2) for r in results]
    if "bare_invoke" in results[0]:
        merged["bare_invoke"] = {
            k: float(np.median([r["bare_invoke"][k] for r in results]))
            for k in ("cpu_ms", "wall_ms")
        }
    merged["total_cpu_ms"] = merged["decode_cpu_ms"] + merged["process_cpu_ms"]
    merged["total_wall_ms"] = merged["decode_wall_ms"] + merged["process_wall_ms"]
    return merged


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "people_speed")
    parser.add_argument("--baseline-tree", type=Path, help="an older checkout holding edge/")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    from training.bench.people_composite import Tile, write_composite

    load_before = load_average()
    runs: dict[int, list[dict]] = {count: [] for count in (1, 2, 3, 4)}
    with tempfile.TemporaryDirectory() as tmp:
        videos = {
            count: write_composite(
                [Tile(EXERCISE / name) for name in PEOPLE_CLIPS[:count]], Path(tmp) / f"{count}.avi"
            )
            for count in runs
        }
        # 1, 2, 3, 4 people take turns, ROUNDS times, as the pose runs below do
        for round_index in range(ROUNDS):
            for count, video in videos.items():
                print(
                    f"bench people_speed: {count} people, round {round_index + 1} ...",
                    file=sys.stderr, flush=True,
                )  # fmt: skip
                spec = {"backend": "litert", "video": str(video), "people": count}
                runs[count].append(run_worker(spec | {"frames": FRAMES, "bare_during": True}))
        print("bench people_speed: 4 people, each stage timed ...", file=sys.stderr, flush=True)
        stages = run_worker(spec | {"frames": FRAMES, "stages": True})
    people = {count: median_of(results) | {
        key: float(np.median([r[key] for r in results])) for key in PER_RUN
    } for count, results in runs.items()}  # fmt: skip
    found = np.array([people[n]["people_per_frame"] for n in people])
    ms = np.array([people[n]["process_cpu_ms"] for n in people])
    slope, intercept = np.polyfit(found, ms, 1)
    bare = float(np.median([people[n]["bare_invoke"]["cpu_ms"] for n in people]))
    # Per round, each process's ms per frame in units of the bare invoke timed during its
    # run: the machine's speed, which drifts on a shared machine, cancels in the ratio.
    ratios = [round_slope(runs, i, "people_per_frame", "process_cpu_ms") for i in range(ROUNDS)]
    # The same on the frames the detector did not run on: what each frame costs while
    # everyone is tracked, without a person's arrival (the detector, then settle.py's
    # landmark passes: one-off, and more of them the more people arrive).
    tracking_ratios = [
        round_slope(runs, i, "tracking_people_per_frame", "tracking_cpu_ms") for i in range(ROUNDS)
    ]
    tracking_found = [people[n]["tracking_people_per_frame"] for n in people]
    tracking_ms = [people[n]["tracking_cpu_ms"] for n in people]
    tracking_slope, tracking_intercept = np.polyfit(tracking_found, tracking_ms, 1)

    # The configurations take turns, ROUNDS times: load that comes and goes then falls on
    # each alike; each figure is the median of its rounds.
    configs = [("litert", None), ("mediapipe", None)]
    if args.baseline_tree:
        configs.append(("litert", args.baseline_tree.resolve()))
    rounds: dict[str, list[dict]] = {}
    for round_index in range(ROUNDS):
        for backend, tree in configs:
            name = backend if tree is None else f"{backend} (baseline {tree.name})"
            print(f"bench people_speed: pose {name}, round {round_index + 1} ...", file=sys.stderr)
            spec = {"backend": backend, "video": str(POSE_CLIP), "frames": POSE_FRAMES}
            rounds.setdefault(name, []).append(run_worker(spec | {"bare": tree is None}, tree))
    pose = {name: median_of(results) for name, results in rounds.items()}
    litert, mediapipe = pose["litert"], pose["mediapipe"]
    floor = litert["decode_cpu_ms"] + litert["bare_invoke"]["cpu_ms"]
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "core": CORE,
        "people": {str(n): r for n, r in people.items()},
        "marginal_ms_per_person": float(slope),
        "fixed_ms_per_frame": float(intercept),
        "bare_invoke_cpu_ms": bare,
        "marginal_vs_bare_invoke_of_medians": float(slope / bare),
        "marginal_vs_bare_invoke_rounds": ratios,
        "marginal_vs_bare_invoke": float(np.median(ratios)),
        "tracking_marginal_ms_per_person": float(tracking_slope),
        "tracking_fixed_ms_per_frame": float(tracking_intercept),
        "tracking_marginal_vs_bare_invoke_rounds": tracking_ratios,
        "tracking_marginal_vs_bare_invoke": float(np.median(tracking_ratios)),
        "stages_ms_per_person": stages["stages_ms_per_person"],
        "stages_bare_invoke_cpu_ms": stages["bare_invoke"]["cpu_ms"],
        "whole_model_invoke_cpu_ms": stages["bare_invoke"]["whole_cpu_ms"],
        "marginal_vs_whole_model_invoke": float(slope / stages["bare_invoke"]["whole_cpu_ms"]),
        "pose_clip": POSE_CLIP.name,
        "pose": pose,
        "litert_vs_mediapipe_total_cpu": litert["total_cpu_ms"] / mediapipe["total_cpu_ms"],
        "litert_vs_mediapipe_total_wall": litert["total_wall_ms"] / mediapipe["total_wall_ms"],
        "floor_decode_plus_invoke_cpu_ms": floor,
        "litert_overhead_cpu_ms": litert["total_cpu_ms"] - floor,
    }
    baseline = next((r for name, r in pose.items() if "baseline" in name), None)
    if baseline is not None:
        report["litert_vs_baseline_process_cpu"] = (
            litert["process_cpu_ms"] / baseline["process_cpu_ms"]
        )
    write_report(args.out, report, render_markdown(report))
    return 0


def render_markdown(report: dict) -> str:
    lines = [
        "# What each person costs, on one core",
        "",
        f"Generated {report['generated']} by `make bench` (training/bench/people_speed.py) on "
        f"{report['machine']} ({report['cpus']} CPUs, shared: load average "
        f"{report['load_average_before']} before, {report['load_average_after']} after). "
        f"Every figure comes from its own process pinned to core {report['core']} "
        "(`taskset`), LiteRT with 1 interpreter thread, full landmark model. Times are the "
        "process's CPU time per frame (what one core spends; wall time on a busy machine "
        "mostly measures the others), wall time beside it.",
        "",
        "## Per person",
        "",
        "| people (tiles, --people) | frames | people found / frame | process CPU ms / frame "
        "| wall ms | tracking frames | people / tracking frame | CPU ms / tracking frame "
        "| CPU ms / detector frame | bare landmark invoke CPU ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in report["people"].items():
        lines.append(
            f"| {n} | {r['frames']} | {r['people_per_frame']:.2f} | {r['process_cpu_ms']:.2f} | "
            f"{r['process_wall_ms']:.2f} | {r['tracking_frames']:.0f} | "
            f"{r['tracking_people_per_frame']:.2f} | {r['tracking_cpu_ms']:.2f} | "
            f"{r['detector_frame_cpu_ms']:.2f} | {r['bare_invoke']['cpu_ms']:.2f} |"
        )
    rounds = ", ".join(f"{v:.2f}" for v in report["marginal_vs_bare_invoke_rounds"])
    tracking_rounds = ", ".join(
        f"{v:.2f}" for v in report["tracking_marginal_vs_bare_invoke_rounds"]
    )
    lines += [
        "",
        "While everyone is tracked (the frames the detector did not run on: a frame's "
        "steady cost, without anyone's arrival, which runs the detector and settle.py's "
        "landmark passes once per newcomer), each person costs "
        f"**{report['tracking_marginal_ms_per_person']:.2f} ms** per frame, "
        f"**{report['tracking_marginal_vs_bare_invoke']:.2f}x** the bare landmark invoke "
        f"(rounds {tracking_rounds}; target <= 1.2x); fixed part "
        f"{report['tracking_fixed_ms_per_frame']:.2f} ms per frame.",
        "",
        f"Over all frames, arrivals included: medians of {ROUNDS} rounds, the people counts "
        "taking turns. Marginal cost per "
        f"person (least-squares slope over people found): "
        f"**{report['marginal_ms_per_person']:.2f} ms**; against the bare landmark invoke, "
        f"each round in units of the bare invoke timed during each run: "
        f"**{report['marginal_vs_bare_invoke']:.2f}x** (rounds {rounds}; target <= 1.2x; "
        f"the medians' slope over the median invoke, {report['bare_invoke_cpu_ms']:.2f} ms: "
        f"{report['marginal_vs_bare_invoke_of_medians']:.2f}x); fixed part "
        f"{report['fixed_ms_per_frame']:.2f} ms per frame (negative: the arrivals on the "
        "first frame cost more the more people arrive, and the slope takes them in).",
        "",
        f"The same model with its segmentation branch (as MediaPipe ships it, the invoke "
        f"the target was set against; edge/pose/graph_prune.py drops that branch): "
        f"{report['whole_model_invoke_cpu_ms']:.2f} ms, so a person costs "
        f"{report['marginal_vs_whole_model_invoke']:.2f}x that model's invoke alone.",
        "",
        "Where a person's time goes while tracked (the 4-person composite once more, each "
        "stage's CPU time per person on the frames without the detector; the bare invoke in "
        "that process "
        f"{report['stages_bare_invoke_cpu_ms']:.2f} ms):",
        "",
        "| " + " | ".join(report["stages_ms_per_person"]) + " |",
        "|" + "---:|" * len(report["stages_ms_per_person"]),
        "| " + " | ".join(f"{v:.2f}" for v in report["stages_ms_per_person"].values()) + " |",
        "",
        f"## `pose`, one person, {report['pose_clip']}",
        "",
        f"The first {report['pose']['litert']['frames']} frames, {ROUNDS} rounds, the "
        "configurations taking turns; medians (process CPU ms of each round in brackets).",
        "",
        "| backend | decode CPU ms | process CPU ms (rounds) | total CPU ms | total wall ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in report["pose"].items():
        each = ", ".join(f"{v:.2f}" for v in r["process_cpu_ms_rounds"])
        lines.append(
            f"| {name} | {r['decode_cpu_ms']:.2f} | {r['process_cpu_ms']:.2f} ({each}) | "
            f"{r['total_cpu_ms']:.2f} | {r['total_wall_ms']:.2f} |"
        )
    lines += [
        "",
        f"LiteRT / MediaPipe, decode + pose, CPU: "
        f"**{report['litert_vs_mediapipe_total_cpu']:.3f}** (target <= 0.75); wall: "
        f"{report['litert_vs_mediapipe_total_wall']:.3f}. Floor (decode + bare landmark "
        f"invoke): {report['floor_decode_plus_invoke_cpu_ms']:.2f} ms; LiteRT spends "
        f"{report['litert_overhead_cpu_ms']:.2f} ms per frame beyond it (the detector on "
        "frames where the person was lost, the crop, decoding the outputs, smoothing).",
    ]
    if "litert_vs_baseline_process_cpu" in report:
        lines += [
            "",
            "`max_people = 1` against the baseline checkout (process CPU, medians): "
            f"**{report['litert_vs_baseline_process_cpu']:.3f}x**.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
