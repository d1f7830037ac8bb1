"""Locate, fetch and check the BlazePose .tflite files the LiteRT backend runs.

The model binaries are never committed (licence and size), so they come from the
mediapipe 0.10.18 wheel, which ships them byte-identical on every platform, or from a
user-supplied MediaPipe Tasks `.task` bundle. Every failure is a ModelFileError whose
one-line message names the file and the fix, so the CLI can print it without a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from edge.errors import UserError
from edge.paths import BLAZEPOSE_DIR as DEFAULT_MODEL_DIR
from edge.paths import MODEL_CACHE_DIR as DEFAULT_CACHE_DIR
from edge.paths import REPO

DETECTOR_NAME = "pose_detection.tflite"
LANDMARK_NAME = "pose_landmark_full.tflite"
MEDIAPIPE_PIN = "mediapipe==0.10.18"
DETECTOR_SHA256 = "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
LANDMARK_SHA256 = "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
# Where each file sits in the wheel, and its pinned hash, so a changed or tampered wheel is caught.
WHEEL_MEMBERS = {
    DETECTOR_NAME: ("mediapipe/modules/pose_detection/" + DETECTOR_NAME, DETECTOR_SHA256),
    LANDMARK_NAME: ("mediapipe/modules/pose_landmark/" + LANDMARK_NAME, LANDMARK_SHA256),
}
BUNDLE_DETECTOR = "pose_detector.tflite"
BUNDLE_LANDMARK = "pose_landmarks_detector.tflite"
TFLITE_MAGIC = b"TFL3"  # FlatBuffer file identifier, at bytes 4:8 of every .tflite


class ModelFileError(UserError, RuntimeError):
    """A model file is missing, corrupt or unobtainable; the message says how to fix it."""


@dataclass(frozen=True)
class ModelPaths:
    """The two files the two-stage BlazePose pipeline needs: person detector, then landmarks."""

    detector: Path
    landmark: Path


def _show(path: Path) -> str:
    """Repo-relative path where possible, so messages read like the commands users type."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _has_sha256(path: Path, want: str) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == want


def _looks_like_tflite(data: bytes) -> bool:
    """Cheap sanity check that catches truncated downloads and wrong files before LiteRT does."""
    return len(data) >= 8 and data[4:8] == TFLITE_MAGIC


def _write_atomic(dest: Path, data: bytes) -> None:
    """Temp file + os.replace, so an interrupted write never leaves a half model behind."""
    tmp: str | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the models from the service user
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        tmp = None
    except OSError as exc:
        raise ModelFileError(f"cannot write {_show(dest)}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:  # interrupted (even by Ctrl-C): leave no .part litter behind
            Path(tmp).unlink(missing_ok=True)


def _find_wheel(cache_dir: Path) -> Path | None:
    wheels = sorted(cache_dir.glob(f"{MEDIAPIPE_PIN.replace('==', '-')}-*.whl"))
    return wheels[0] if wheels else None


def _download_wheel(cache_dir: Path) -> Path:
    """pip is the one route to PyPI we can rely on (proxies, mirrors, auth are its config)."""
    if (wheel := _find_wheel(cache_dir)) is not None:
        return wheel
    cache_dir.mkdir(parents=True, exist_ok=True)
    # One fixed wheel whatever the host (the model files are the same in all of them), so
    # a Pi, a Python 3.13 laptop and CI fetch and cache the very same file.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--python-version", "3.11", "--implementation", "cp",
           "--platform", "manylinux_2_17_x86_64"]  # fmt: skip
    cmd += [MEDIAPIPE_PIN, "-d", str(cache_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = _find_wheel(cache_dir)
    if proc.returncode != 0 or wheel is None:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        last = lines[-1] if lines else f"exit status {proc.returncode}, no wheel saved"
        raise ModelFileError(
            f"pip download of {MEDIAPIPE_PIN} failed: {last}; check network access to PyPI"
        )
    return wheel


def fetch_from_wheel(dest_dir: Path, cache_dir: Path | None = None) -> ModelPaths:
    """Put the two sha256-verified model files into dest_dir; a no-op if they are already there."""
    dest_dir = Path(dest_dir)
    paths = ModelPaths(dest_dir / DETECTOR_NAME, dest_dir / LANDMARK_NAME)
    targets = {DETECTOR_NAME: paths.detector, LANDMARK_NAME: paths.landmark}
    stale = [n for n, p in targets.items() if not _has_sha256(p, WHEEL_MEMBERS[n][1])]
    if not stale:
        return paths
    wheel = _download_wheel(Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR)
    fix = f"delete {_show(wheel)} and run `make models`"
    try:
        with zipfile.ZipFile(wheel) as zf:
            blobs = {name: zf.read(WHEEL_MEMBERS[name][0]) for name in stale}
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        detail = exc.args[0] if isinstance(exc, KeyError) else exc
        raise ModelFileError(f"cannot read models from {_show(wheel)} ({detail}); {fix}") from exc
    for name, data in blobs.items():
        got, want = hashlib.sha256(data).hexdigest(), WHEEL_MEMBERS[name][1]
        if got != want:
            raise ModelFileError(
                f"pose model {_show(targets[name])}: sha256 mismatch (got {got}, want {want}) "
                f"in {_show(wheel)}; {fix}"
            )
        _write_atomic(targets[name], data)
    return paths


def extract_task_bundle(task_path: Path, dest_dir: Path) -> ModelPaths:
    """Unpack a MediaPipe Tasks bundle so LiteRT can load its two models as plain files."""
    task_path, dest_dir = Path(task_path), Path(dest_dir)
    bundle = f"task bundle {_show(task_path)}"
    if not task_path.is_file():
        raise ModelFileError(f"{bundle} is missing")
    try:
        with zipfile.ZipFile(task_path) as zf:
            by_base = {n.rsplit("/", 1)[-1]: n for n in reversed(zf.namelist())}
            if missing := [m for m in (BUNDLE_DETECTOR, BUNDLE_LANDMARK) if m not in by_base]:
                raise ModelFileError(
                    f"{bundle} has no {' or '.join(missing)}; pass a pose_landmarker_*.task bundle"
                )
            blobs = [zf.read(by_base[m]) for m in (BUNDLE_DETECTOR, BUNDLE_LANDMARK)]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelFileError(f"{bundle} is not a .task (zip) file ({exc}); re-download it") from exc
    stem = task_path.stem
    paths = ModelPaths(dest_dir / f"{stem}_detector.tflite", dest_dir / f"{stem}_landmarks.tflite")
    for member, target, data in zip(
        (BUNDLE_DETECTOR, BUNDLE_LANDMARK), (paths.detector, paths.landmark), blobs, strict=True
    ):
        if not _looks_like_tflite(data):
            raise ModelFileError(f"{bundle}: {member} is not a TFLite model; re-download it")
        # Skip identical rewrites: resolve_models runs at every start and SD cards wear out.
        if not (target.is_file() and target.read_bytes() == data):
            _write_atomic(target, data)
    return paths


def _check_tflite(path: Path, role: str) -> Path:
    """Fail here, with the fix, rather than deep inside the interpreter with a C++ message."""
    if not path.is_file():
        raise ModelFileError(
            f"pose {role} model {_show(path)} is missing; "
            "run `make models` (or pass --task BUNDLE.task)"
        )
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ModelFileError(
            f"pose {role} model {_show(path)} is unreadable: {exc.strerror}"
        ) from exc
    if not _looks_like_tflite(head):
        raise ModelFileError(
            f"pose {role} model {_show(path)} is not a TFLite model (corrupt or truncated); "
            "delete it and run `make models`"
        )
    return path


def resolve_models(
    detector: Path | None = None,
    landmark: Path | None = None,
    task: Path | None = None,
    model_dir: Path = DEFAULT_MODEL_DIR,
) -> ModelPaths:
    """Pick the model files by precedence: a .task bundle, then explicit paths, then defaults."""
    model_dir = Path(model_dir)
    if task is not None:
        paths = extract_task_bundle(Path(task), model_dir / "bundles")
    else:
        paths = ModelPaths(
            Path(detector) if detector is not None else model_dir / DETECTOR_NAME,
            Path(landmark) if landmark is not None else model_dir / LANDMARK_NAME,
        )
    return ModelPaths(
        _check_tflite(paths.detector, "detector"), _check_tflite(paths.landmark, "landmark")
    )


def main(argv: list[str] | None = None) -> int:
    """`make models` entry point: fetch (or extract) the models and show what is in place."""
    parser = argparse.ArgumentParser(prog="python -m edge.pose.model_files", description=__doc__)
    parser.add_argument("--dest", type=Path, default=DEFAULT_MODEL_DIR, help="model folder")
    parser.add_argument("--task", type=Path, help="extract this .task bundle (into DEST/bundles)")
    args = parser.parse_args(argv)
    try:
        if args.task is None:
            fetch_from_wheel(args.dest)
        # Same call the backend makes at start-up, so what is printed is what will be loaded.
        paths = resolve_models(task=args.task, model_dir=args.dest)
    except ModelFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    for role, path in (("detector", paths.detector), ("landmark", paths.landmark)):
        print(f"{role:9s}{_show(path)}  ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
