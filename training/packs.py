"""Build exercise packs: from landmark CSVs, from image folders, or from ONE video.

    python -m training.packs defaults  [--samples DIR] [--out models/packs]
    python -m training.packs from-csv    NAME --up UP.csv --down DOWN.csv
    python -m training.packs from-images NAME DIR      (DIR/up/*.jpg, DIR/down/*.jpg)
    python -m training.packs from-video  NAME VIDEO|KEYPOINTS.npz
    (each from-* also takes --min-hold S: the counter's minimum time in the down state)
    python -m training.packs hold NAME --pack PACK [--pose down] [--tolerance T] [--min-s S]
    (a hold exercise, e.g. a wall sit from the squat pack's "down": its samples and model)

Runs in the training venv (TensorFlow converts the classifier). Each pack gets the
quantized classifier when it agrees with the numpy k-NN on >= 99% of sample decisions.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from edge.counting.pack import (
    DEFAULT_PACKS_DIR,
    PACK_VERSION,
    HoldSpec,
    PackSpec,
    find_pack,
    load_pack,
    write_pack,
)
from edge.errors import UsageError, UserError
from edge.features.embedding import EmbeddingOptions
from edge.keypoints_io import read_pose_csv, write_pose_csv
from edge.paths import REPO, SHARED_DATA_DIR
from edge.skeleton import BODY_FAMILIES, NUM_LANDMARKS

RECIPES = Path(__file__).with_name("pack_recipes.toml")
DEFAULT_SAMPLES = SHARED_DATA_DIR / "pose_samples"
REPORT = REPO / "docs" / "bench" / "packs.md"
STATES = ("up", "down")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_pack(
    name: str, landmarks: np.ndarray, labels: np.ndarray, spec: PackSpec, out_dir: Path,
    more_queries: np.ndarray | None = None,
) -> tuple[Path, str]:  # fmt: skip
    """Export, choose the variant, write the folder; returns (folder, report markdown).
    `more_queries`: poses beyond the samples to check the variants' agreement on."""
    from training.export_classifier import choose, export_candidates, render_report

    counts = tuple(int((labels == i).sum()) for i in range(len(spec.class_names)))
    spec = replace(spec, sample_counts=counts)
    candidates = export_candidates(landmarks, labels, spec, more_queries)
    chosen = choose(candidates)
    spec = replace(spec, model_variant=chosen.variant)
    folder = out_dir / name
    write_pack(folder, spec, chosen.model, landmarks, labels)
    report = render_report(name, candidates) + f"\nChosen for the edge: `{chosen.variant}`.\n"
    return folder, report


def samples_from_csvs(csvs: dict[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    parts, labels = [], []
    for label, state in enumerate(STATES):
        _, points = read_pose_csv(csvs[state])
        parts.append(points)
        labels.append(np.full(len(points), label))
    return np.concatenate(parts), np.concatenate(labels)


def samples_from_images(
    folders: dict[str, Path],
) -> tuple[np.ndarray, np.ndarray, dict[str, list[str]]]:
    """Landmarks of every image per state (our LiteRT BlazePose, as the edge runs it),
    their labels, and the names of the images each state's samples came from."""
    parts, labels, names = [], [], {}
    for label, state in enumerate(STATES):
        names[state], poses = landmarks_of_images(folders[state])
        parts.append(poses)
        labels.append(np.full(len(poses), label))
    return np.concatenate(parts), np.concatenate(labels), names


def image_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise UsageError(f"image folder {folder} not found; give DIR/up and DIR/down folders")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def folder_digest(folder: Path) -> str:
    """One sha256 over the names and bytes of a folder's images: which photos, exactly."""
    digest = hashlib.sha256()
    for path in image_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def spec_from_recipe(name: str, recipe: dict[str, Any], provenance: dict[str, Any]) -> PackSpec:
    fields = {k: v for k, v in recipe.items() if k not in ("images", "csv")}
    return PackSpec.from_dict({"name": name, **fields, "provenance": provenance}, str(RECIPES))


def build_defaults(samples_dir: Path, out_dir: Path) -> str:
    """The default packs: our pose model on the labelled photos of `samples_dir`.

    The photos, not the CSVs beside them: those were extracted by another MediaPipe build
    and lack 13 of the 51 push-up "down" photos, 8 of them bottoms with the elbows tucked
    in (upper arm within ~30 degrees of the torso), which no other sample shows in side
    view; and our own landmarks are what the edge compares against (docs/counting.md).
    """
    recipes = tomllib.loads(RECIPES.read_text())
    reports = []
    for name, recipe in recipes.items():
        folders = {state: samples_dir / recipe["images"][state] for state in STATES}
        landmarks, labels, used = samples_from_images(folders)
        # the variants must also agree on the CSVs' landmarks of these photos
        csvs = {state: samples_dir / recipe["csv"][state] for state in STATES}
        csv_landmarks, _ = samples_from_csvs(csvs)
        provenance = {
            "built_by": "make packs (python -m training.packs defaults)",
            "samples": {
                state: {
                    "folder": recipe["images"][state],
                    "images": len(image_files(folder)),
                    "with_person": len(used[state]),
                    "sha256": folder_digest(folder),
                }
                for state, folder in folders.items()
            },
            "landmarks": "LiteRT BlazePose (edge/pose, full landmark model), one detection "
            "per photo",
            "origin": "photos of real people, github JerryLiu8/GoogleSolution2021 "
            "via ../shared/data/pose_samples (no licence stated)",
        }
        spec = spec_from_recipe(name, recipe, provenance)
        folder, report = build_pack(name, landmarks, labels, spec, out_dir, csv_landmarks)
        reports.append(report)
        print(f"{folder}: {len(labels)} samples", file=sys.stderr)
    return "\n".join(reports)


def hold_pack(name: str, source: Path, out_dir: Path, pose: str | None, hold: HoldSpec) -> Path:
    """A hold exercise made of a built pack: its samples and classifier (which do not depend
    on the class counted), `pose` (default: its count_class) held instead of reps counted."""
    pack = load_pack(source)
    spec = pack.spec
    pose = pose or spec.count_class
    if pose not in spec.class_names:
        raise UsageError(f"--pose {pose!r} is not a class of pack {spec.name}: {spec.class_names}")
    landmarks, labels = pack.load_samples()
    provenance = {"built_by": "hold", "from_pack": spec.name, "from": spec.provenance}
    held = replace(
        spec, name=name, count_class=pose, hold=hold, provenance=provenance, version=PACK_VERSION
    )
    write_pack(out_dir / name, held, pack.model_path.read_bytes(), landmarks, labels)
    return out_dir / name


def landmarks_of_images(folder: Path) -> tuple[list[str], np.ndarray]:
    """Run the pose model on every image of `folder`; images with nobody are skipped."""
    import cv2

    from edge.pose.estimator import create_estimator
    from edge.sources.frame import Frame

    estimator = create_estimator("litert")
    names, poses = [], []
    for path in image_files(folder):
        image = cv2.imread(str(path))
        if image is None:
            print(f"skipped {path}: not a readable image", file=sys.stderr)
            continue
        estimator.reset()  # stills: detect afresh on each image
        people = estimator.process(Frame(image, 0, 0.0))
        if not people:
            print(f"skipped {path}: no person found", file=sys.stderr)
            continue
        names.append(path.name)
        poses.append(people[0].landmarks[:, :3])
    return names, np.array(poses, np.float32).reshape(-1, NUM_LANDMARKS, 3)


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration in seconds (>= 0)")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_PACKS_DIR)
    sub = parser.add_subparsers(dest="how", required=True)
    defaults = sub.add_parser("defaults")
    defaults.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    # What every new pack may set: the counter's minimum hold (PackSpec.min_hold_s), opt-in.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--min-hold", type=_seconds, default=0.0, metavar="S",
        help="a visit to the down state shorter than S seconds is not a rep (default 0; "
        "it also rejects every real rep faster than S)",
    )  # fmt: skip
    from_csv = sub.add_parser("from-csv", parents=[common])
    from_csv.add_argument("name")
    from_csv.add_argument("--up", type=Path, required=True)
    from_csv.add_argument("--down", type=Path, required=True)
    from_images = sub.add_parser("from-images", parents=[common])
    from_images.add_argument("name")
    from_images.add_argument("folder", type=Path)
    from_video = sub.add_parser("from-video", parents=[common])
    from_video.add_argument("name")
    from_video.add_argument("video", type=Path)
    from_video.add_argument(
        "--joints", nargs="+", default=list(BODY_FAMILIES), choices=BODY_FAMILIES,
        help="joint families the exercise moves and the camera sees (default: all)",
    )  # fmt: skip
    from_video.add_argument("--upright", action="store_true", help="rotate the torso upright")
    hold = sub.add_parser("hold", help="a hold exercise made of a built pack")
    hold.add_argument("name")
    hold.add_argument("--pack", required=True, help="an installed pack's name, or its folder")
    hold.add_argument("--pose", help="the class held (default: the pack's count_class)")
    hold.add_argument("--tolerance", type=float, default=HoldSpec.tolerance)
    hold.add_argument("--min-s", type=_seconds, default=HoldSpec.min_s)
    args = parser.parse_args(argv)
    try:
        return build(args)
    except UserError as exc:  # its message names the file and the fix: no traceback
        print(f"training.packs {args.how}: error: {exc}", file=sys.stderr)
        return 2


def build(args: argparse.Namespace) -> int:
    """Run the parsed subcommand: build the default packs, or one new pack."""
    built = datetime.now(UTC).isoformat(timespec="seconds")
    spec = PackSpec(name=getattr(args, "name", ""), min_hold_s=getattr(args, "min_hold", 0.0))
    if args.how == "defaults":
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(
            "# Exercise pack classifiers: TFLite variants\n\n"
            "Per pack and variant: file size, median invoke time on this machine, and how "
            "often its decision (top class) and its votes equal the numpy k-NN's, over every "
            "sample pose (our landmarks of the photos), every row of the pose_samples CSVs "
            "(MediaPipe's landmarks of the same photos) and their mirror images. Written by "
            "`make packs`.\n\n" + build_defaults(args.samples, args.out)
        )
        return 0
    if args.how == "hold":
        source = Path(args.pack) if Path(args.pack).is_dir() else find_pack(args.pack).folder
        hold = HoldSpec(tolerance=args.tolerance, min_s=args.min_s)
        folder = hold_pack(args.name, source, args.out, args.pose, hold)
        print(f"wrote {folder}", file=sys.stderr)
        return 0
    if args.how == "from-csv":
        landmarks, labels = samples_from_csvs({"up": args.up, "down": args.down})
        provenance = {
            "built_by": "from-csv",
            "date": built,
            "samples": {
                state: {"file": str(path), "sha256": sha256(path)}
                for state, path in (("up", args.up), ("down", args.down))
            },
        }
    elif args.how == "from-images":
        landmarks, labels, names = samples_from_images({s: args.folder / s for s in STATES})
        for label, state in enumerate(STATES):  # the MediaPipe-format CSVs, for reuse
            write_pose_csv(args.folder / f"{state}.csv", names[state], landmarks[labels == label])
        provenance = {"built_by": "from-images", "date": built, "folder": str(args.folder)}
    else:
        from edge.keypoints_io import load_keypoints
        from edge.pose.track import track_from_video
        from training.video_labels import label_from_track, samples_from_labels

        if args.video.suffix == ".npz":
            track = load_keypoints(args.video)
        else:
            track = track_from_video(args.video)
        options = EmbeddingOptions(upright=args.upright, joints=tuple(args.joints))
        spec = replace(spec, embedding=options, visible_joints=options.joints)
        found = label_from_track(track.landmarks, track.fps, options, spec.min_visibility)
        landmarks, labels = samples_from_labels(track.landmarks, found)
        provenance = {
            "built_by": "from-video",
            "date": built,
            "video": str(args.video),
            "period_s": found.period_s,
            "reps_seen": found.reps_seen,
        }
    spec = replace(spec, provenance=provenance)
    folder, report = build_pack(args.name, landmarks, labels, spec, args.out)
    print(report)
    print(f"wrote {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
