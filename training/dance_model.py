"""Dance-genre LSTM: train on AIST++ keypoints, export to TFLite, measure, write models/dance/.

Method of the AIST Dance DB paper (Tsuchida et al., ISMIR 2019): windows of K units of pooled
body features (edge.features.dance), an LSTM against a linear baseline, K in 2..32. The
standardisation is a Normalization layer inside the model, so the Pi feeds StreamingFeatures'
raw (k, 252) windows. The LSTM is unrolled: TF 2.21 cannot convert the loop form (or crashes
calibrating it for int8). The int8 file is int8 throughout but for the input standardisation
(to_tflite says why); both files take and give float32 and load in ai-edge-litert and
tflite-runtime 2.14, so the edge needs no quantization arithmetic of its own.

  python -m training.dance_model evaluate --data ../shared/data/aistpp_small \\
      --out docs/bench/dance.md
  python -m training.dance_model train --data ../shared/data/aistpp_small --k 8 --out models/dance

The full 10-genre model, from the official AIST++ release (keypoints2d/<seq>.pkl, camera view
0) and its split lists (crossmodal_train.txt, crossmodal_test.txt, ignore_list.txt in one dir):

  python -m training.dance_model train --data aist_plusplus_final --splits SPLITS_DIR --k 8 \\
      --out models/dance
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from tensorflow.lite.tools import flatbuffer_utils

from edge.features import dance as features
from edge.keypoints_io import KeypointTrack, from_coco17
from training.datasets import GENRE_CODES, GENRES, aistpp, genre_of, parse_name
from training.datasets.aistpp import Sequence

KS = (2, 4, 8, 16, 32)
# 8 units = 2.7 s: the first answer 2.7 s after someone starts, then one every 1/3 s. On
# aistpp_small (docs/bench/dance.md) the LSTM peaks at K = 8 (0.82 held-out, mean of 3 seeds);
# at 16 and 32 there are too few training windows and it drops to ~0.65 and varies, while the
# wait and the unrolled steps double each time. K = 8 is also the largest K whose int8 file
# is still <= 1/3 of the float32 one.
DEFAULT_K = 8
QUANTIZATIONS = ("float32", "int8")
UNIT_S, DIMS = features.DEFAULT_UNIT_S, features.UNIT_DIMS
FEATURE_VERSION = 1  # edge.features.dance as docs/dance_features.md describes it
NORM = "standardise"  # the layer to_tflite keeps float in the int8 model
VAL_FRACTION = 0.2
# Edge defaults (metadata.json). Energy: under every AIST++ sequence's 5th percentile (0.045)
# so dancing is never muted, above a still pose's ~0; BlazePose jitter on people standing
# still must be measured before trusting it. Confidence: under it the edge says "none".
MIN_MOTION_ENERGY, MIN_CONFIDENCE = 0.03, 0.5


def track_windows(track: KeypointTrack, k: int) -> np.ndarray:
    """A track -> (n, k, 252): the numbers StreamingFeatures gives the Pi on the same frames.

    Too short for one window raises: zero windows would pass for "no answer" silently.
    """
    units = features.unit_features(
        features.frame_features(track.landmarks, track.fps),
        features.frames_per_unit(track.fps, UNIT_S),
    )
    if len(units) < k:
        raise ValueError(
            f"clip {track.source or '(unnamed)'} is {track.num_frames / track.fps:.2f} s "
            f"({len(units)} units of {UNIT_S:.2f} s); a window needs k={k} units "
            f"({k * UNIT_S:.2f} s): use a longer clip or a smaller k"
        )
    return features.windows(units, k)


Parts = list[tuple[np.ndarray, int]]  # per sequence: its windows and its genre index


def dataset(sequences: list[Sequence], k: int, genres: tuple[str, ...]) -> Parts:
    """Windows per sequence; sequences shorter than one window are skipped, and said so."""
    parts = []
    for seq in sequences:
        try:
            parts.append((track_windows(seq.track, k), genres.index(seq.genre)))
        except ValueError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    return parts


def stack(parts: Parts) -> tuple[np.ndarray, np.ndarray]:
    if not parts or not sum(len(w) for w, _ in parts):
        raise ValueError("no windows: every sequence is shorter than one window")
    labels = [np.full(len(w), g, np.int64) for w, g in parts]
    return np.concatenate([w for w, _ in parts]).astype(np.float32), np.concatenate(labels)


def split_tail(parts: Parts, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train x, y, val x, y): the last VAL_FRACTION of each sequence validates.

    Early stopping needs windows the optimiser does not see, and the test choreography must
    not be them. Up to k-1 windows before the cut are dropped so that few val windows share
    units with train windows, keeping at least half of each sequence to train on.
    """
    train, val = [], []
    for w, g in parts:
        cut = len(w) - max(1, round(len(w) * VAL_FRACTION))
        train.append((w[: max(cut - (k - 1), (cut + 1) // 2)], g))
        val.append((w[cut:], g))
    return *stack(train), *stack(val)


def build_lstm(
    k: int, n_genres: int, units: int = 64, train_windows: np.ndarray | None = None
) -> keras.Model:
    """Raw (k, 252) window -> genre probabilities; the standardisation adapts on train_windows."""
    norm = keras.layers.Normalization(axis=-1, name=NORM)
    if train_windows is not None:
        norm.adapt(np.asarray(train_windows, np.float32).reshape(-1, DIMS))
    inputs = keras.Input((k, DIMS), name="window")
    x = keras.layers.LSTM(units, unroll=True, name="lstm")(norm(inputs))
    outputs = keras.layers.Dense(n_genres, "softmax", name="genre")(keras.layers.Dropout(0.3)(x))
    return keras.Model(inputs, outputs, name=f"dance_lstm_k{k}")


def train_lstm(
    train_windows: np.ndarray, train_labels: np.ndarray, val_windows: np.ndarray,
    val_labels: np.ndarray, k: int, n_genres: int, epochs: int = 80, seed: int = 0,
) -> keras.Model:  # fmt: skip
    """Adam, early stopping on validation loss (best weights kept); same seed, same model."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_lstm(k, n_genres, train_windows=train_windows)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    model.fit(
        train_windows, train_labels, validation_data=(val_windows, val_labels), epochs=epochs,
        batch_size=32, callbacks=[stop], verbose=0,
    )  # fmt: skip
    return model


def baseline(train_windows_flat: np.ndarray, labels: np.ndarray) -> Pipeline:
    """Standardised logistic regression on flattened windows: the paper's linear reference."""
    x = np.asarray(train_windows_flat, np.float32).reshape(len(train_windows_flat), -1)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(x, labels)


def _strip(model: bytes) -> bytes:
    """Drop tensor names: the unrolled graph has hundreds, up to a third of an int8 file."""
    tree = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    flatbuffer_utils.strip_strings(tree)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(tree))


def to_tflite(
    model: keras.Model, k: int, quantization: str, representative_windows: np.ndarray | None = None
) -> bytes:
    """Batch-1, fixed-k flatbuffer, float32 in and out.

    int8: every weight and activation is int8 except the standardisation (a SUB and a MUL on
    the input, kept float). Quantized raw, the input shares one scale across features whose
    ranges differ 50-fold: unit-mean velocities got 1-2 levels, and int8 agreed with float32
    on ~88 % of windows (k=4) instead of ~99 %.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    spec = tf.TensorSpec([1, k, DIMS], tf.float32, name="window")
    serve = tf.function(lambda window: model(window, training=False), input_signature=[spec])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    if quantization == "float32":
        return _strip(converter.convert())
    if representative_windows is None or len(representative_windows) == 0:
        raise ValueError("int8 needs representative_windows (training windows)")
    rep = np.asarray(representative_windows, np.float32)
    rep = rep[np.linspace(0, len(rep) - 1, min(len(rep), 500)).astype(int)]
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([w[None]] for w in rep)
    with warnings.catch_warnings():  # float I/O is meant; the debugger's tf.lite interpreter
        warnings.simplefilter("ignore")  # is deprecated: neither is news
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=converter.representative_dataset
        )
        tensors = Interpreter(model_content=debugger.calibrated_model).get_tensor_details()
        names = [t["name"] for t in tensors if f"/{NORM}" in t["name"]]
        if not names:
            raise RuntimeError(f"no {NORM!r} layer in the graph; was it renamed?")
        debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=names)
        return _strip(debugger.get_nondebug_quantized_model())


def run_tflite(model: bytes, windows: np.ndarray) -> tuple[np.ndarray, float]:
    """Probabilities of every window on LiteRT (1 thread, as on the Pi), median invoke ms."""
    interpreter = Interpreter(model_content=model, num_threads=1)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    sink = interpreter.get_output_details()[0]["index"]
    probs, times = [], []
    for window in np.asarray(windows, np.float32):
        interpreter.set_tensor(source, window[None])
        start = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - start)
        probs.append(interpreter.get_tensor(sink)[0].copy())
    return np.array(probs), float(np.median(times) * 1e3)


def genres_of(sequences: list[Sequence]) -> tuple[str, ...]:
    """Output order: AIST order of the genres present, never the order files were read in."""
    return tuple(g for g in GENRE_CODES if g in {s.genre for s in sequences})


def evaluate(
    sequences: list[Sequence], ks: tuple[int, ...] = KS, seeds: tuple[int, ...] = (0, 1, 2)
) -> dict[str, Any]:
    """Per K: held-out accuracy per window (mean, min, max over seeds), TFLite sizes and
    invoke times (first seed), int8 confusion summed over seeds.

    A few hundred training windows make one seed's score swing by 0.1: single runs would
    pick K by luck.
    """
    train, test = aistpp.hold_out_one_choreography_per_genre(sequences)
    genres, rows = genres_of(sequences), []
    for k in ks:
        parts, (x_test, y_test) = dataset(train, k, genres), stack(dataset(test, k, genres))
        x_tr, y_tr, x_val, y_val = split_tail(parts, k)
        row: dict[str, Any] = {"k": k, "window_s": round(k * UNIT_S, 2), "train": len(x_tr)}
        row |= {"val": len(x_val), "test": len(x_test), "seeds": len(seeds)}
        scores: dict[str, list[float]] = {"float32_acc": [], "int8_acc": [], "agree": []}
        confusion = np.zeros((len(genres), len(genres)), int)
        for seed in seeds:
            model = train_lstm(x_tr, y_tr, x_val, y_val, k, len(genres), seed=seed)
            pred = {}
            for q in QUANTIZATIONS:
                flat = to_tflite(model, k, q, x_tr)
                probs, ms = run_tflite(flat, x_test)
                pred[q] = probs.argmax(1)
                scores[f"{q}_acc"].append(float(np.mean(pred[q] == y_test)))
                row.setdefault(f"{q}_kb", len(flat) / 1024)
                row.setdefault(f"{q}_ms", ms)
            scores["agree"].append(float(np.mean(pred["int8"] == pred["float32"])))
            np.add.at(confusion, (y_test, pred["int8"]), 1)
        for name, values in scores.items():
            row |= {name: float(np.mean(values)), f"{name}_min": min(values)}
            row[f"{name}_max"] = max(values)
        row["ratio"] = row["int8_kb"] / row["float32_kb"]
        x_all, y_all = stack(parts)
        linear = baseline(x_all, y_all).predict(x_test.reshape(len(x_test), -1))
        row["baseline_acc"] = float(np.mean(linear == y_test))
        rows.append(row | {"int8_confusion": confusion.tolist()})
        print(f"k={k}: " + ", ".join(f"{n}={row[n]:.3f}" for n in (*scores, "baseline_acc")))
    return {
        "genres": list(genres), "genre_names": [GENRES[g] for g in genres],
        "train_sequences": [s.name for s in train], "test_sequences": [s.name for s in test],
        "dancers": sorted({s.dancer for s in sequences}), "default_k": DEFAULT_K, "rows": rows,
    }  # fmt: skip


COLUMNS = (  # header, cell of docs/bench/dance.md's table
    ("K", "{k}"), ("window s", "{window_s:.2f}"), ("test windows", "{test}"),
    ("LSTM float32 acc", "{float32_acc:.3f} ({float32_acc_min:.2f}-{float32_acc_max:.2f})"),
    ("LSTM int8 acc", "{int8_acc:.3f} ({int8_acc_min:.2f}-{int8_acc_max:.2f})"),
    ("baseline acc", "{baseline_acc:.3f}"), ("int8 = float32", "{agree:.3f}"),
    ("float32 KB", "{float32_kb:.1f}"), ("int8 KB", "{int8_kb:.1f}"),
    ("int8 / float32", "{ratio:.2f}"), ("float32 ms", "{float32_ms:.3f}"),
    ("int8 ms", "{int8_ms:.3f}"),
)  # fmt: skip


def render(report: dict[str, Any], data: str) -> str:
    """docs/bench/dance.md: the table, what the split is, and what it cannot measure."""
    names = zip(report["genres"], report["genre_names"], strict=True)
    lines = [
        "# Dance-genre classifier (AIST++ keypoints -> LSTM)\n",
        f"`python -m training.dance_model evaluate --data {data}`: "
        f"{len(report['train_sequences']) + len(report['test_sequences'])} AIST++ sequences, "
        f"genres {', '.join(f'{c} ({n})' for c, n in names)}. Test: one choreography per genre "
        f"held out (the highest ch id), {', '.join(report['test_sequences'])}. Early stopping "
        "on the last 20 % of each training sequence. Accuracy is per window (one a unit): "
        f"the LSTM's is the mean (min-max) over {report['rows'][0]['seeds']} training seeds.\n",
    ]
    if len(report["dancers"]) <= len(report["genres"]):
        lines.append(
            f"**Each genre here has ONE dancer ({', '.join(report['dancers'])}), so these "
            "figures measure dancer + genre together, not genre alone**: a model may learn the "
            "person's style instead of the genre. Only data with several dancers per genre, "
            "split by dancer (the full AIST++ release), measures genre on its own.\n"
        )
    lines.append("| " + " | ".join(h for h, _ in COLUMNS) + " |")
    lines.append("|" + "---:|" * len(COLUMNS))
    lines += ["| " + " | ".join(c.format(**r) for _, c in COLUMNS) + " |" for r in report["rows"]]
    lines.append(
        "\nBaseline: standardised logistic regression on the flattened (k x 252) window. "
        "Sizes: tensor names stripped. Invoke: median over the test windows, ai-edge-litert, "
        "1 thread, on the x86 development machine, not a Pi. `int8 = float32`: share of "
        "windows where both pick the same genre (mean over seeds). The int8 weights are 1/4 "
        "of the float32 ones at every K, but each unrolled step adds tensors and ops of about "
        "the same size to both files, so the file ratio grows with K. Default K = "
        f"{report['default_k']} ({report['default_k'] * UNIT_S:.1f} s), why: `DEFAULT_K` in "
        "training/dance_model.py. Confusion matrix of its int8 model: dance_confusion.png."
    )
    return "\n".join(lines) + "\n"


def plot_confusion(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    row = next(r for r in report["rows"] if r["k"] == report["default_k"])
    matrix, names = np.array(row["int8_confusion"]), report["genre_names"]
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        dark = count > matrix.max() / 2
        ax.text(j, i, str(count), ha="center", va="center", color="white" if dark else "black")
    ax.set(xticks=range(len(names)), yticks=range(len(names)), xlabel="predicted", ylabel="true")
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_yticklabels(names)
    title = f"int8 LSTM, K={row['k']}: held-out windows, {row['seeds']} seeds"
    ax.set_title(f"{title}\n(one dancer per genre: dancer + genre)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def load_sequences(data: Path, splits: Path | None = None, split: str = "all") -> list[Sequence]:
    """aistpp_small (<genre>_dance/nor_k_feat/*.npy) or the release (keypoints2d/*.pkl).

    The release (~1,400 sequences) is about 2 GB of tracks in memory: fine for training.
    """
    data = Path(data)
    if not (data / "keypoints2d").is_dir():
        return aistpp.load_small(data)
    split_dir = Path(splits) if splits else data / "splits"
    sequences = []
    for s in (s for s in aistpp.SPLITS if split in ("all", s)):
        for name in aistpp.load_split(split_dir, s):
            points = aistpp.load_keypoints2d(data / "keypoints2d" / f"{name}.pkl")
            track = from_coco17(points, aistpp.FPS, aistpp.WIDTH, aistpp.HEIGHT, source=name)
            t = parse_name(name)
            sequences.append(Sequence(name, genre_of(name), t["dancer"], t["choreography"], track))
    return sequences


def train_release(sequences: list[Sequence], k: int, out: Path, data: str, bench: Path) -> None:
    """Train on every sequence given; write both TFLite files and metadata.json for the edge."""
    genres = genres_of(sequences)
    parts = dataset(sequences, k, genres)
    x_tr, y_tr, x_val, y_val = split_tail(parts, k)
    model = train_lstm(x_tr, y_tr, x_val, y_val, k, len(genres))
    out.mkdir(parents=True, exist_ok=True)
    for q in QUANTIZATIONS:
        (out / f"dance_k{k}_{q}.tflite").write_bytes(to_tflite(model, k, q, x_tr))
    report = json.loads(bench.read_text()) if bench.is_file() else {"rows": []}
    scores = next((r for r in report["rows"] if r["k"] == k), {})
    metadata = {
        "genres": list(genres), "genre_names": [GENRES[g] for g in genres],
        "units_per_window": k, "k": k, "unit_s": UNIT_S, "fps": features.REFERENCE_FPS,
        "feature_version": FEATURE_VERSION, "feature_dims": DIMS,
        "model_file": f"dance_k{k}_int8.tflite", "float32_model_file": f"dance_k{k}_float32.tflite",
        "min_motion_energy": MIN_MOTION_ENERGY, "min_confidence": MIN_CONFIDENCE,
        "training_data": {
            "data": data, "sequences": [s.name for s in sequences],
            "dancers": sorted({s.dancer for s in sequences}), "windows": len(x_tr) + len(x_val),
            "motion_energy_p5": float(np.percentile(features.motion_energy(stack(parts)[0]), 5)),
            "tensorflow": tf.__version__, "keras": keras.__version__,
        },
        "evaluation": {
            "source": str(bench), "data": report.get("data"),
            "held_out": report.get("test_sequences"),
            **{key: v for key, v in scores.items() if key != "int8_confusion"},
        },
        "notes": "fps: differences are per 1/60 s as in AIST++; the edge passes its camera fps "
        "to StreamingFeatures. With one dancer per genre, accuracy measures dancer + genre.",
    }  # fmt: skip
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        "python -m training.dance_model", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    for name, what in (("evaluate", "score every K on a held-out split"), ("train", "ship one K")):
        sub = commands.add_parser(name, help=what, description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        sub.add_argument("--data", required=True, help="aistpp_small or aist_plusplus_final dir")
        sub.add_argument("--splits", type=Path, help="release split lists (default DATA/splits)")
        sub.add_argument("--split", choices=("all", *aistpp.SPLITS), default="all",
                         help="which release split lists to read (default: both)")  # fmt: skip
    evaluate_, train = commands.choices["evaluate"], commands.choices["train"]
    evaluate_.add_argument("--out", type=Path, default=Path("docs/bench/dance.md"),
                           help="report; its .json and _confusion.png go beside it")  # fmt: skip
    train.add_argument("--k", type=int, default=DEFAULT_K, choices=KS, help="units a window")
    train.add_argument("--out", type=Path, default=Path("models/dance"), help="model dir")
    train.add_argument("--bench", type=Path, default=Path("docs/bench/dance.json"),
                       help="evaluate's .json: its scores for this K go into metadata")  # fmt: skip
    args = parser.parse_args(argv)
    sequences = load_sequences(Path(args.data), args.splits, args.split)
    if args.command == "train":
        train_release(sequences, args.k, args.out, args.data, args.bench)
        print(f"wrote {args.out}/dance_k{args.k}_{{int8,float32}}.tflite and metadata.json")
        return 0
    report = evaluate(sequences) | {"data": args.data}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(report, args.data))
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    plot_confusion(report, args.out.with_name(f"{args.out.stem}_confusion.png"))
    print(f"wrote {args.out} and its .json and _confusion.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
