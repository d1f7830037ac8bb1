"""Follow the teacher on real multi-camera keypoints: do right follows score above wrong ones,
is a shift measured, is a frozen limb blamed, and what it costs per frame.

Data: ../shared/data/aist_follow (one dancer, choreographies ch07..ch10, nine synchronised
cameras). Teacher = one camera of a choreography (every one in turn). Right follow = another
camera of the same performance. Wrong follows = another choreography seen by the teacher's
camera, and constructed from the teacher's own clip: shifted (the first frame held) by
0.5..4 s, one arm or leg frozen (held still relative to its shoulder or hip), left and
right swapped, standing still. A shift of 0.1 s is scored too, but counted as neither right
nor wrong (it is on time to a dancer).

    python -m training.bench.follow --out docs/bench/follow
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from edge.follow import routine, score
from edge.follow.align import Follower
from edge.follow.events import MoveEvent, RoutineSummary
from edge.keypoints_io import KeypointTrack, load_keypoints
from edge.paths import SHARED_DATA_DIR
from edge.skeleton import JOINT, MIRROR
from training.bench.report import write_report

DATA = SHARED_DATA_DIR / "aist_follow"
FPS = 60.0
SHIFTS_S = (0.1, 0.5, 1.0, 2.0, 4.0)
LIMBS = {  # part: (root, the joints held still relative to it)
    "left_arm": ("left_shoulder", ("left_elbow", "left_wrist")),
    "right_arm": ("right_shoulder", ("right_elbow", "right_wrist")),
    "left_leg": ("left_hip", ("left_knee", "left_ankle")),
    "right_leg": ("right_hip", ("right_knee", "right_ankle")),
}
# The variants run here (edge/follow/score.py's constants); the first is what it ships.
FIVE_VIEWS = (1.0, -1.0, 0.5, -0.5, 0.0)
SHIPPED = {
    "MATCH": "pose", "K": 1.0, "X_WEIGHT": 1.0, "WORST_PARTS": 2, "ENERGY_CHECK": True,
    "VIEW_SCALES": FIVE_VIEWS, "LATE_SCALE_S": 0.3,
}  # fmt: skip
VARIANTS: dict[str, dict[str, Any]] = {
    name: {**SHIPPED, **change}
    for name, change in {
        "pose, five views, worst 2 parts, y energy check, lateness 0.3 s (shipped)": {},
        "y-motion correlation, worst part": {"MATCH": "correlation", "WORST_PARTS": 1},
        "y-motion correlation, worst 2 parts": {"MATCH": "correlation"},
    }.items()
}  # fmt: skip
# Variants tried before (this bench, earlier builds; energy check on x and y, lateness 1 s):
# (variant, move AUC, routine AUC).
EARLIER = (
    ("y-motion correlation, worst 2 parts (frozen limb held in the image)", 0.569, 0.578),
    ("y-motion correlation, worst part (frozen limb held in the image)", 0.589, 0.635),
    ("y-motion correlation, worst 2 parts", 0.566, 0.573),
    ("y-motion correlation, worst part", 0.580, 0.621),
    ("pose, five views, worst 2 parts, y energy check, lateness 0.3 s", 0.571, 0.578),
    ("x and y, mean of parts, no energy check, one view", 0.385, 0.387),
    ("y only, mean of parts, no energy check", 0.500, 0.496),
    ("y only, worst 2 parts, no energy check", 0.515, 0.513),
    ("K=2, y only, worst 2 parts, no energy check", 0.502, 0.502),
    ("x at 0.25, worst 2 parts, no energy check", 0.459, 0.456),
    ("x and y, mean of parts, energy check, one view", 0.392, 0.393),
    ("x and y, mean of parts, energy check, five views", 0.457, 0.457),
    ("x and y, worst 2 parts, energy check, five views", 0.463, 0.459),
    ("y only, worst 2 parts, energy check", 0.482, 0.481),
    ("x and y, mean of parts, no energy check, five views", 0.489, 0.485),
    ("x at 0.5, mean of parts, energy check, five views", 0.463, 0.460),
    ("K=2, x and y, mean of parts, energy check, five views", 0.430, 0.434),
    ("five views, y energy check, lateness 0.3 s, mean of parts", 0.541, 0.547),
    ("one view, y energy check, lateness 0.3 s, mean of parts", 0.456, 0.475),
)


def clips() -> dict[tuple[str, str], np.ndarray]:
    found = {}
    for path in sorted(DATA.glob("ch*_c*.npy")):
        choreography, camera = path.stem.split("_")
        found[choreography, camera] = load_keypoints(path, FPS, 1920, 1080).landmarks
    return found


def constructed(teacher: np.ndarray) -> list[tuple[str, np.ndarray, dict[str, Any]]]:
    """(kind, landmarks, facts) of the wrong follows made from the teacher's own clip."""
    out: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    for shift in SHIFTS_S:
        held = np.repeat(teacher[:1], round(shift * FPS), axis=0)
        out.append(("shift", np.concatenate([held, teacher]), {"shift_s": shift}))
    for part, (root, joints) in LIMBS.items():
        frozen = teacher.copy()  # the limb held as on its first frame, relative to its root
        index, base = [JOINT[j] for j in joints], JOINT[root]
        seen = np.isfinite(teacher[:, [base, *index], :2]).all(axis=(1, 2))
        first = int(np.argmax(seen))
        held = teacher[first, index, :2] - teacher[first, base, :2]
        frozen[:, index, :2] = teacher[:, base, None, :2] + held
        out.append(("frozen", frozen, {"part": part}))
    out.append(("swapped", teacher[:, list(MIRROR)], {}))
    still = np.repeat(teacher[:1], len(teacher), axis=0)
    out.append(("still", still, {}))
    return out


def follow(followed: routine.Routine, landmarks: np.ndarray) -> dict[str, Any]:
    follower = Follower(followed)
    events: list[MoveEvent | RoutineSummary] = []
    start = time.perf_counter()
    for i, frame in enumerate(landmarks):
        seen = frame if np.isfinite(frame[:, :2]).any() else None
        events += follower.push(seen, i / FPS)
    events += follower.finish()
    elapsed_ms = 1000 * (time.perf_counter() - start)
    moves = [e for e in events if isinstance(e, MoveEvent)]
    summary = next(e for e in events if isinstance(e, RoutineSummary))
    ends = [b / FPS for _, b in follower.bounds]
    seen = np.isfinite(landmarks[..., :2]).any(axis=(1, 2))
    start_s = int(np.argmax(seen)) / FPS  # the routine's clock starts with the first person
    delays = [m.time_s - (start_s + ends[m.index] + m.offset_ms / 1000) for m in moves]
    return {
        "moves": moves, "routine": summary.score, "ms_per_frame": elapsed_ms / len(landmarks),
        "delays": delays,
    }  # fmt: skip


def auc(right: list[float], wrong: list[float]) -> float:
    """ROC-AUC: the chance a right follow scores above a wrong one (ties half)."""
    r, w = np.asarray(right)[:, None], np.asarray(wrong)[None, :]
    return float(((r > w) + 0.5 * (r == w)).mean())


def run_variant(data: dict[tuple[str, str], np.ndarray]) -> dict[str, Any]:
    move_right: list[float] = []
    move_wrong: dict[str, list[float]] = {}
    routine_right: list[float] = []
    routine_wrong: dict[str, list[float]] = {}
    offset_errors: list[float] = []
    blamed_cases: list[bool] = []
    blamed_moves: list[bool] = []
    costs: list[float] = []
    delays: dict[str, list[float]] = {"first": [], "later": []}

    def wrong(kind: str, result: dict[str, Any]) -> None:
        move_wrong.setdefault(kind, []).extend(m.score for m in result["moves"])
        routine_wrong.setdefault(kind, []).append(result["routine"])

    for (choreography, camera), teacher in data.items():
        followed = routine.record(_track(teacher), f"{choreography}_{camera}")
        for (other, view), student in data.items():
            if (other, view) == (choreography, camera):
                continue
            if other == choreography:
                result = follow(followed, student)
                move_right += [m.score for m in result["moves"]]
                routine_right.append(result["routine"])
                costs.append(result["ms_per_frame"])
                for move, delay in zip(result["moves"], result["delays"], strict=True):
                    delays["first" if move.index == 0 else "later"].append(delay)
            elif view == camera:
                wrong("other choreography", follow(followed, student))
        for kind, student, facts in constructed(teacher):
            result = follow(followed, student)
            if kind == "shift":
                shift = facts["shift_s"]
                offset_errors += [abs(m.offset_ms / 1000 - shift) for m in result["moves"]]
                if facts["shift_s"] < 0.5:
                    continue  # on time to a dancer: neither right nor wrong
            if kind == "frozen":
                parts = np.mean([[m.parts[p] for p in m.parts] for m in result["moves"]], axis=0)
                names = list(result["moves"][0].parts)
                blamed_cases.append(names[int(np.argmin(parts))] == facts["part"])
                blamed_moves += [m.worst == facts["part"] for m in result["moves"]]
            wrong(kind, result)
    all_move_wrong = [s for scores in move_wrong.values() for s in scores]
    all_routine_wrong = [s for scores in routine_wrong.values() for s in scores]
    return {
        "move_auc": auc(move_right, all_move_wrong),
        "routine_auc": auc(routine_right, all_routine_wrong),
        "move_auc_by_kind": {k: auc(move_right, v) for k, v in move_wrong.items()},
        "routine_auc_by_kind": {k: auc(routine_right, v) for k, v in routine_wrong.items()},
        "offset_error_ms_median": 1000 * float(np.median(offset_errors)),
        "limb_blamed_cases": float(np.mean(blamed_cases)),
        "limb_blamed_moves": float(np.mean(blamed_moves)),
        "ms_per_frame_mean": float(np.mean(costs)),
        "event_delay_s_max": {k: float(np.max(v)) for k, v in delays.items()},
        "counts": {
            "right_moves": len(move_right),
            "wrong_moves": len(all_move_wrong),
            "right_routines": len(routine_right),
            "wrong_routines": len(all_routine_wrong),
        },
        "median_scores": {
            "right_move": float(np.median(move_right)),
            **{f"wrong_move: {k}": float(np.median(v)) for k, v in move_wrong.items()},
        },
    }


def _track(landmarks: np.ndarray) -> KeypointTrack:
    present = np.isfinite(landmarks[..., :2]).any(axis=(1, 2))
    world = np.full((*landmarks.shape[:2], 3), np.nan, np.float32)
    return KeypointTrack(landmarks, world, present, FPS, 1920, 1080, "aist_follow")


def markdown(results: dict[str, dict[str, Any]]) -> str:
    shipped = next(iter(results))
    best = results[shipped]
    lines = [
        "# Follow the teacher: dev benchmark",
        "",
        "`python -m training.bench.follow --out docs/bench/follow` on `../shared/data/aist_follow`"
        " (AIST++ 2D keypoints, dancer d04, break, ch07..ch10 x 9 synchronised cameras, 12 s each"
        "). Every camera of every choreography is the teacher in turn (36 routines, automatic "
        "moves); right follows: the 8 other cameras of the same performance; wrong follows: the "
        "other 3 choreographies seen by the teacher's camera, and the teacher's own clip shifted "
        "by 0.5-4 s, with one arm or leg frozen, left/right swapped, standing still.",
        "",
        f"## Shipped ({shipped})",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| move ROC-AUC, right vs all wrong | {best['move_auc']:.3f} | >= 0.90 |",
        f"| routine ROC-AUC | {best['routine_auc']:.3f} | >= 0.95 |",
        f"| median abs offset error, injected shifts 0.1-4 s (the teacher's own clip) | "
        f"{best['offset_error_ms_median']:.0f} ms | <= 100 ms |",
        f"| frozen limb blamed (per case: lowest mean part; own clip) | "
        f"{best['limb_blamed_cases']:.0%} "
        "| >= 80% |",
        f"| frozen limb blamed (per move: `worst`) | {best['limb_blamed_moves']:.0%} | |",
        f"| follow analyzer, mean ms per frame (this machine) | {best['ms_per_frame_mean']:.3f} "
        "| < 1 |",
        f"| event after the move's end, max: later moves / the first | "
        f"{best['event_delay_s_max']['later']:.2f} s / {best['event_delay_s_max']['first']:.2f} s "
        "| <= 0.5 s |",
        "",
        "Move ROC-AUC by kind of wrong follow (right moves vs that kind):",
        "",
        "| wrong follow | move AUC | routine AUC | median move score |",
        "|---|---|---|---|",
    ]
    for kind, value in best["move_auc_by_kind"].items():
        median = best["median_scores"][f"wrong_move: {kind}"]
        routine_auc = best["routine_auc_by_kind"][kind]
        lines.append(f"| {kind} | {value:.3f} | {routine_auc:.3f} | {median:.1f} |")
    lines += [
        f"| (right follows) | | | {best['median_scores']['right_move']:.1f} |",
        "",
        "## Every variant tried",
        "",
        "| variant | move AUC | routine AUC | offset err ms | blamed (cases) |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['move_auc']:.3f} | {r['routine_auc']:.3f} | "
            f"{r['offset_error_ms_median']:.0f} | {r['limb_blamed_cases']:.0%} |"
        )
    lines += ["", "Tried before, on earlier builds of the same bench:", "",
              "| variant | move AUC | routine AUC |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {name} | {move:.3f} | {whole:.3f} |" for name, move, whole in EARLIER]
    lines += [
        "",
        "Reading: a right follow here is another camera of the same performance, up to 180"
        " degrees away, so 2-D poses differ by the view; the constructed wrong follows come from"
        " the teacher's own camera. The targets are not met: the view changes the pose more"
        " than a frozen limb or a swap does. Not done: the ballroom clips re-projected from a"
        " second virtual camera.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/bench/follow"))
    parser.add_argument("--only", nargs="*", type=int, help="run these variants (indices)")
    args = parser.parse_args(argv)
    data = clips()
    results = {}
    shipped = {name: getattr(score, name) for name in tuple(SHIPPED)}
    try:
        for index, (name, values) in enumerate(VARIANTS.items()):
            if args.only is not None and index not in args.only:
                continue
            for key, value in values.items():
                setattr(score, key, value)
            results[name] = run_variant(data)
            print(name, {k: results[name][k] for k in ("move_auc", "routine_auc")}, flush=True)
    finally:
        for key, value in shipped.items():
            setattr(score, key, value)
    write_report(args.out, results, markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
