"""`python -m training.dance evaluate|train`: the command line of training.dance."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.errors import UsageError
from training import dance
from training.dance.choose_k import CANDIDATE_KS, choose_k
from training.dance.evaluate import DEFAULT_K, KS, evaluate
from training.dance.release import model_file, train_release
from training.dance.report import plot_confusion, render
from training.dance.windows import hold_out, load_sequences
from training.datasets import DatasetError, aistpp
from training.datasets.aistpp import Sequence
from training.datasets.labelled_folder import HOLD_OUT_EVERY, load_negatives


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        "python -m training.dance", description=dance.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    for name, what in (("evaluate", "score every K on a held-out split"), ("train", "ship one K")):
        sub = commands.add_parser(name, help=what, description=dance.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        data_help = "<genre>/<clip> folder, aistpp_small or aist_plusplus_final dir"
        sub.add_argument("--data", required=True, nargs="+", type=Path, help=data_help)
        negatives_help = 'non-dance clips or folders (npz, videos): the class "none"'
        sub.add_argument("--negatives", nargs="*", type=Path, default=[], help=negatives_help)
        sub.add_argument("--fps", type=float, help="frame rate of OpenPose JSON clip folders")
        cache_help = "keypoint cache for video clips (default out/keypoints)"
        sub.add_argument("--cache", type=Path, help=cache_help)
        ray_help = "extract video clips on a Ray cluster: auto or host:port (training.extract)"
        sub.add_argument("--ray", metavar="auto|ADDRESS", help=ray_help)
        sub.add_argument("--splits", type=Path, help="release split lists (default DATA/splits)")
        sub.add_argument("--split", choices=("all", *aistpp.SPLITS), default="all",
                         help="which release split lists to read (default: both)")  # fmt: skip
    evaluate_, train = commands.choices["evaluate"], commands.choices["train"]
    evaluate_.add_argument(
        "--out",
        type=Path,
        default=Path("docs/bench/dance.md"),
        help="report; its .json and _confusion.png go beside it",
    )
    evaluate_.add_argument(
        "--k",
        type=int,
        nargs="+",
        choices=KS,
        default=list(KS),
        help="window lengths to score (default: all)",
    )
    evaluate_.add_argument(
        "--fold", type=int, choices=range(HOLD_OUT_EVERY), default=HOLD_OUT_EVERY - 1,
        help="labelled folders: which 1-in-3 clips (or performers) are held out",
    )  # fmt: skip
    evaluate_.add_argument("--seeds", type=int, default=3, help="training seeds per K")  # fmt: skip
    train.add_argument(
        "--k", type=int, choices=KS,
        help=f"units a window (default: chosen among {', '.join(map(str, CANDIDATE_KS))} by "
        "held-out evaluation inside the training data, recorded in metadata.json)",
    )  # fmt: skip
    train.add_argument("--out", type=Path, default=Path("models/dance"), help="model dir")
    train.add_argument("--bench", type=Path, default=Path("docs/bench/dance.json"),
                       help="evaluate's .json: its scores for this K go into metadata")  # fmt: skip
    train.add_argument(
        "--fold", type=int, choices=range(HOLD_OUT_EVERY),
        help="train without evaluate's held-out clips of this fold (to measure a whole "
        "program on them, e.g. training.bench.both); default: every clip",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        sequences = [
            seq
            for data in args.data
            for seq in load_sequences(data, args.splits, args.split, args.fps, args.cache, args.ray)
        ]
        if args.negatives:
            sequences += load_negatives(args.negatives, args.cache, args.ray)
    except (DatasetError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = " ".join(map(str, args.data))
    if args.negatives:
        data += " --negatives " + " ".join(map(str, args.negatives))
    try:
        return _run(args, sequences, data)
    except DatasetError as exc:  # e.g. a genre whose clips are all shorter than a window
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, sequences: list[Sequence], data: str) -> int:
    if args.command == "train":
        if args.fold is not None:
            sequences, held_out = hold_out(sequences, args.fold)
            data += f" (fold {args.fold}: {len(held_out)} held-out sequences left out)"
        k, k_choice = (args.k, None) if args.k is not None else choose_k(sequences)
        train_release(sequences, k, args.out, data, args.bench, k_choice)
        files = ", ".join(model_file(k, q) for q in ("int8", "float32"))
        print(f"wrote {args.out}/: {files} and metadata.json")
        return 0
    ks = tuple(sorted(set(args.k)))
    default_k = DEFAULT_K if DEFAULT_K in ks else ks[0]
    report = evaluate(sequences, ks, tuple(range(args.seeds)), default_k, args.fold)
    report |= {"data": data, "fold": args.fold}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(report, data))
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    plot_confusion(report, args.out.with_name(f"{args.out.stem}_confusion.png"))
    print(f"wrote {args.out} and its .json and _confusion.png")
    return 0
