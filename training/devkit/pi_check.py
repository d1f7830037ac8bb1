"""`make pi-check`: the Pi path, checked on every change, in an arm64 Debian chroot.

(Over 400 lines: the Pi install's steps and the x86 comparison, one script a reader follows.)

The README's Pi install, step by step, in a bookworm arm64 chroot under qemu
(training.devkit.pi_chroot): a venv with exactly edge/requirements.txt, the project, the model
files (copied in from `make models`; pip is told there is no index, so nothing downloads),
`dancepose check-config firmware_config/dancepose.toml`; then `dancepose pose` and
`dancepose count` on a real clip cut to 60 frames (emulation takes seconds per frame),
compared with the same commands on x86_64 on the same cut file. Passes when the landmarks
agree (median distance <= 1 % of torso), the person is found on the same frames (within 2),
the rep count is the same, and not zero, and LiteRT runs XNNPACK on both sides (as a Pi
does). Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from edge.errors import UserError
from edge.keypoints_io import load_npz
from edge.pose.model_files import DEFAULT_MODEL_DIR, LANDMARK_NAME
from training.bench.agreement import compare, errors_pct_torso
from training.bench.report import write_report
from training.devkit import pi_chroot
from training.devkit.pi_chroot import VENV, Chroot, PiChrootError, Step

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "exercise_videos" / "squat_side_3.mp4"
# Frames 45-104 (1.5-3.5 s) of squat_side_3 hold its first rep whole: the squat pack counts
# 1 for starts from 40 to 60 on x86, so the cut is not balanced on a rep's edge.
DEFAULT_START = 45
DEFAULT_FRAMES = 60
DEFAULT_EXERCISE = "squat"
MAX_MEDIAN_PCT_TORSO = 1.0
MAX_FOUND_DIFFERENCE = 2
CONFIG = "firmware_config/dancepose.toml"
MODEL_DIRS = ("models/blazepose",)  # ignored by git, made by `make models`: copied in too
WORK = "/work"  # inside the chroot: the cut clip and arm64's outputs
# Versions of what decides the numbers, read on each side by --probe.
PROBED = ("ai-edge-litert", "numpy", "opencv-python-headless")


@dataclass(frozen=True)
class Verdict:
    """One acceptance line: the figure on each side, the limit, and whether it holds."""

    check: str
    x86: str
    arm64: str
    limit: str
    ok: bool


def cut_clip(source: Path, start: int, frames: int, out: Path) -> float:
    """Frames [start, start + frames) of source into out, FFV1 (lossless), read in order
    (no seeking): x86 and arm64 then decode the very same pixels. Returns the fps."""
    capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        raise UserError(f"pi-check: cannot open {source}; pass a readable video with --clip")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    try:
        for index in range(start + frames):
            ok, image = capture.read()
            if not ok:
                raise UserError(
                    f"pi-check: {source.name} has {index} frames, fewer than --start {start} + "
                    f"--frames {frames}; choose a window inside it"
                )
            if index < start:
                continue
            if writer is None:
                height, width = image.shape[:2]
                fourcc = cv2.VideoWriter_fourcc(*"FFV1")
                writer = cv2.VideoWriter(str(out), fourcc, fps, (width, height))
            writer.write(image)
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    return fps


# LiteRT says on fd 2 when it builds its XNNPACK delegate (the Pi's fast path; without a
# CPU it recognises, it stays on the slower reference kernels and says nothing).
XNNPACK_SNIPPET = (
    "from ai_edge_litert.interpreter import Interpreter; "
    "Interpreter(model_path={model!r}, num_threads=2).allocate_tensors()"
)


def xnnpack_delegate(model: Path) -> bool:
    """Whether LiteRT runs this model through XNNPACK on this machine (a child process: the
    message comes from C, on fd 2)."""
    snippet = XNNPACK_SNIPPET.format(model=str(model))
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True)
    return "XNNPACK delegate" in proc.stderr


def probe(video: Path) -> dict:
    """This side's view: sha256 of every decoded frame of the cut, XNNPACK, the versions."""
    capture = cv2.VideoCapture(str(video))
    digest, frames = hashlib.sha256(), 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        digest.update(np.ascontiguousarray(image).tobytes())
        frames += 1
    capture.release()
    versions = {name: importlib.metadata.version(name) for name in PROBED}
    return {
        "frames": frames,
        "frames_sha256": digest.hexdigest(),
        "xnnpack": xnnpack_delegate(DEFAULT_MODEL_DIR / LANDMARK_NAME),
        "machine": platform.machine(),
        "python": platform.python_version(),
        **versions,
    }


def judge(
    x86: np.ndarray, arm64: np.ndarray, reps_x86: int, reps_arm64: int
) -> tuple[list[Verdict], dict]:
    """The acceptance lines for two (T, 33, 4) landmark tracks and their rep counts."""
    agreement = compare("cut", arm64, x86)
    errors = errors_pct_torso(arm64, x86)
    median = agreement.median_error_pct_torso
    figures = {
        "median_pct_torso": median,
        "p95_pct_torso": float(np.percentile(errors, 95)) if errors.size else float("nan"),
        "max_pct_torso": float(errors.max()) if errors.size else float("nan"),
        "found_x86": agreement.found_reference,
        "found_arm64": agreement.found_candidate,
        "found_both": agreement.found_both,
    }
    found_gap = abs(agreement.found_candidate - agreement.found_reference)
    verdicts = [
        Verdict(
            "landmarks: median distance, % of torso",
            "reference",
            f"{median:.3f}",
            f"<= {MAX_MEDIAN_PCT_TORSO:g}",
            bool(median <= MAX_MEDIAN_PCT_TORSO),
        ),
        Verdict(
            "person found, frames",
            str(agreement.found_reference),
            str(agreement.found_candidate),
            f"within {MAX_FOUND_DIFFERENCE}",
            found_gap <= MAX_FOUND_DIFFERENCE,
        ),
        Verdict(
            "reps counted",
            str(reps_x86),
            str(reps_arm64),
            "equal, and not 0",
            reps_x86 == reps_arm64 and reps_x86 > 0,
        ),
    ]
    return verdicts, figures


def run_x86(clip: Path, out: Path, exercise: str) -> tuple[np.ndarray, dict, float]:
    """`dancepose pose` and `count` in this venv, as the tests run the CLI."""

    def dancepose(*argv: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "edge.cli", *argv],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    start = time.monotonic()
    dancepose("pose", str(clip), "--out", str(out))
    counted = json.loads(dancepose("count", str(out), "--exercise", exercise, "--json"))
    return load_npz(out).landmarks, counted, time.monotonic() - start


class Arm64Run:
    """The README's Pi install and the clip's run, each command timed, in the chroot."""

    def __init__(self, chroot: Chroot) -> None:
        self.chroot = chroot
        self.steps: list[Step] = []

    def add(self, step: Step) -> None:
        self.steps.append(step)
        if step.cached:
            print(
                f"pi-check: {step.name}: cached (built in {step.built_seconds:.0f} s)",
                file=sys.stderr,
            )

    def __call__(self, *argv: str, timeout: float = 600, **env: str) -> str:
        """One command in the venv (PIP, PY or DANCEPOSE first); its stdout."""
        name = " ".join(argv).replace(f"{VENV}/bin/", "").replace(f"{WORK}/", "")
        print(f"pi-check: arm64 $ {name}", file=sys.stderr)
        start = time.monotonic()
        out = self.chroot.check(argv, timeout, name, **env)
        self.add(Step(name, time.monotonic() - start))
        return out


PIP, PY, DANCEPOSE = (f"{VENV}/bin/{name}" for name in ("pip", "python", "dancepose"))


def run_arm64(args: argparse.Namespace, clip: Path, lock_name: str) -> tuple[list[Step], dict]:
    """Build or reuse the chroot, install as on the Pi, run the cut; outputs by name."""
    root, base = pi_chroot.build_base(args.cache, args.mirror)
    run = Arm64Run(Chroot(root, args.cpu))
    run.add(base)
    run.add(pi_chroot.install_edge(run.chroot, args.lock, lock_name))
    start = time.monotonic()
    pi_chroot.sync_tree(REPO, run.chroot, MODEL_DIRS)
    work = run.chroot.path(WORK)
    pi_chroot.remove_tree(work)
    work.mkdir()
    shutil.copyfile(clip, work / "clip.mkv")
    run.add(Step("copy the working tree and the cut in", time.monotonic() - start))
    run(PIP, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ".")
    # No index: were the copied models missing or wrong, fetching them fails here instead
    # of quietly downloading (nothing may download at run time).
    outputs = {"models": run(PY, "-m", "edge.pose.model_files", PIP_NO_INDEX="1")}
    run(DANCEPOSE, "check-config", CONFIG)
    run(DANCEPOSE, "pose", f"{WORK}/clip.mkv", "--out", f"{WORK}/arm64.npz", timeout=3600)
    count = run(DANCEPOSE, "count", f"{WORK}/arm64.npz", "--exercise", args.exercise, "--json")
    outputs["count"] = json.loads(count)
    outputs["probe"] = json.loads(
        run(PY, "-m", "training.devkit.pi_check", "--probe", f"{WORK}/clip.mkv")
    )
    outputs["landmarks"] = load_npz(work / "arm64.npz").landmarks
    return run.steps, outputs


def check(args: argparse.Namespace) -> int:
    began = time.monotonic()
    lock_name = str(args.lock.relative_to(REPO)) if args.lock.is_relative_to(REPO) else args.lock
    if not args.clip.is_file():
        raise UserError(
            f"pi-check: the clip {args.clip} is missing (../shared beside the repo holds it); "
            "pass another with --clip"
        )
    if missing := [d for d in MODEL_DIRS if not any((REPO / d).glob("*.tflite"))]:
        raise UserError(f"pi-check: no models in {missing[0]}; run `make models` first")
    pi_chroot.preflight()
    scratch = REPO / "out" / "pi-check"
    scratch.mkdir(parents=True, exist_ok=True)
    clip = scratch / "clip.mkv"
    fps = cut_clip(args.clip, args.start, args.frames, clip)
    x86_track, x86_count, x86_seconds = run_x86(clip, scratch / "x86.npz", args.exercise)
    x86_probe = probe(clip)
    steps, arm = run_arm64(args, clip, lock_name)

    verdicts, agreement = judge(
        x86_track, arm["landmarks"], x86_count["reps"], arm["count"]["reps"]
    )
    on = {True: "on", False: "off"}
    x86_xnn, arm_xnn = x86_probe["xnnpack"], arm["probe"]["xnnpack"]
    verdicts.append(Verdict("LiteRT's XNNPACK delegate", on[x86_xnn], on[arm_xnn], "on, both",
                            x86_xnn and arm_xnn))  # fmt: skip
    # Had check-config failed, run_arm64 would have raised with its line.
    verdicts.append(Verdict(f"check-config {CONFIG}", "", "ok", "ok", True))
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": all(v.ok for v in verdicts),
        "cold": not steps[0].cached,
        "total_seconds": round(time.monotonic() - began, 1),
        # The cold run's total, kept with the base it built, so a warm run reports both.
        "cold_run": pi_chroot.cold_run(
            args.cache, time.monotonic() - began if not steps[0].cached else None
        ),
        "chroot": {
            "release": pi_chroot.RELEASE,
            "key": pi_chroot.base_key(),
            "qemu_cpu": args.cpu,
            "qemu": qemu_version(),
            "lock": lock_name,
            "lock_sha256": pi_chroot.file_sha256(args.lock),
        },
        "clip": {
            "source": args.clip.name,
            "start_frame": args.start,
            "frames": args.frames,
            "fps": fps,
            "exercise": args.exercise,
            "frames_identical": x86_probe["frames_sha256"] == arm["probe"]["frames_sha256"],
        },
        "x86": {**x86_probe, "count": x86_count, "seconds": round(x86_seconds, 1)},
        "arm64": {**arm["probe"], "count": arm["count"]},
        "agreement": agreement,
        "verdicts": [asdict(v) for v in verdicts],
        "models": arm["models"].strip().splitlines(),
        "steps": [s.as_dict() for s in steps],
    }
    write_report(args.out, figures, markdown(figures))
    if not figures["passed"]:
        failed = next(v for v in verdicts if not v.ok)
        print(
            f"pi-check: FAILED: {failed.check}: x86 {failed.x86}, arm64 {failed.arm64}, "
            f"limit {failed.limit} (figures in {args.out}.md)",
            file=sys.stderr,
        )
        return 1
    print(f"pi-check: passed in {figures['total_seconds']:.0f} s", file=sys.stderr)
    return 0


def qemu_version() -> str:
    try:
        out = subprocess.run(
            ["qemu-aarch64-static", "--version"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return "unknown"
    return out.splitlines()[0].removeprefix("qemu-aarch64 version ") if out else "unknown"


def markdown(f: dict) -> str:
    clip, chroot, arm, x86 = f["clip"], f["chroot"], f["arm64"], f["x86"]
    last = clip["start_frame"] + clip["frames"] - 1
    pi = pi_chroot.PI_CPUS[chroot["qemu_cpu"]][-1]
    lines = [
        "# The Pi path: the edge install and a real run in an arm64 Debian chroot",
        "",
        f"`make pi-check`, {f['date']}: {'PASSED' if f['passed'] else 'FAILED'}. Debian "
        f"{chroot['release']} arm64 (Python {arm['python']}, {arm['machine']}) under qemu "
        f"{chroot['qemu']} emulating a {chroot['qemu_cpu']} ({pi}'s core), installed "
        f"from `{chroot['lock']}` as the README's Pi install does (ai-edge-litert "
        f"{arm['ai-edge-litert']}, numpy {arm['numpy']}, OpenCV {arm['opencv-python-headless']}"
        f"). The same commands on x86_64 (Python {x86['python']}) read the same cut: "
        f"{clip['source']} frames {clip['start_frame']}-{last} ({clip['frames']} frames, "
        f"{clip['fps']:g} fps), written once as lossless FFV1; both sides decoded identical "
        f"pixels: {'yes' if clip['frames_identical'] else 'NO'}. Counting: "
        f"`dancepose count --exercise {clip['exercise']}` on each side's keypoints.",
        "",
        "| check | x86_64 | arm64 (chroot) | limit | ok |",
        "|---|---:|---:|---|---|",
        *(
            f"| {v['check']} | {v['x86']} | {v['arm64']} | {v['limit']} | "
            f"{'yes' if v['ok'] else '**NO**'} |"
            for v in f["verdicts"]
        ),
        "",
        f"Landmark distance over {f['agreement']['found_both']} frames both found the person "
        f"(visible joints, % of x86's torso): median {f['agreement']['median_pct_torso']:.3f}, "
        f"95th percentile {f['agreement']['p95_pct_torso']:.3f}, max "
        f"{f['agreement']['max_pct_torso']:.3f}. Model files in the chroot (copied from "
        f"`make models`, sha256-checked, no index): "
        + "; ".join(f"`{m.split()[1]}`" for m in f["models"])
        + ".",
        "",
        "## Wall time",
        "",
        f"This run: {f['total_seconds']:.0f} s ({'cold' if f['cold'] else 'warm'}: the chroot "
        f"{'built from scratch' if f['cold'] else 'from the cache'}; x86 pose + count "
        f"{x86['seconds']:.0f} s). "
        + (
            f"The cold run that built this chroot ({f['cold_run']['date']}): "
            f"{f['cold_run']['seconds']:.0f} s. "
            if f["cold_run"] and not f["cold"]
            else ""
        )
        + "A cached step shows what building it took.",
        "",
        "| step (in the arm64 chroot) | seconds | |",
        "|---|---:|---|",
        *(
            f"| {s['name']} | {s['seconds']:.0f} | "
            + (f"cached (built in {s['built_seconds']:.0f} s)" if s["cached"] else "")
            + " |"
            for s in f["steps"]
        ),
        "",
        f"Pose under emulation: {pose_seconds(f) / clip['frames']:.1f} s per frame (a real Pi "
        "is far faster; this measures agreement, not speed).",
        "",
    ]
    return "\n".join(lines)


def pose_seconds(f: dict) -> float:
    return next(s["seconds"] for s in f["steps"] if s["name"].startswith("dancepose pose"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.devkit.pi_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "pi_check")
    parser.add_argument(
        "--cache",
        type=Path,
        default=REPO / "out" / "pi-chroot",
        help="where the chroot is kept between runs",
    )
    parser.add_argument(
        "--lock",
        type=Path,
        default=REPO / "edge" / "requirements.txt",
        help="the lock to install (default: the Pi's)",
    )
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--start", type=int, default=DEFAULT_START, help="first frame of the cut")
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help="frames in the cut")
    parser.add_argument("--exercise", default=DEFAULT_EXERCISE, help="for dancepose count")
    parser.add_argument("--mirror", default=pi_chroot.DEFAULT_MIRROR, help="Debian mirror")
    parser.add_argument(
        "--cpu",
        default=pi_chroot.DEFAULT_CPU,
        choices=pi_chroot.PI_CPUS,
        help="the core qemu emulates: a Pi 4's (default) or a Pi 5's",
    )
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)  # run inside the chroot
    args = parser.parse_args(argv)
    if args.probe is not None:
        print(json.dumps(probe(args.probe)))
        return 0
    args.lock, args.cache = args.lock.resolve(), args.cache.resolve()
    try:
        return check(args)
    except (UserError, PiChrootError) as exc:
        print(exc, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit status {exc.returncode}"]
        print(f"pi-check: x86 `{' '.join(exc.cmd[2:])}` failed: {last[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
