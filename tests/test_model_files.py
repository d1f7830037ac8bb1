"""Model-file plumbing against the real mediapipe wheel: the first run of `make models` on a Pi
must either produce loadable, verified models or print one line that says what to do."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from edge.pose.model_files import (
    DETECTOR_NAME,
    DETECTOR_SHA256,
    LANDMARK_NAME,
    LANDMARK_SHA256,
    ModelFileError,
    ModelPaths,
    extract_task_bundle,
    fetch_from_wheel,
    main,
    resolve_models,
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def wheel_models(tmp_path_factory: pytest.TempPathFactory) -> ModelPaths:
    """The real files, via the real pip download (cached in models/.cache after the first run)."""
    paths = fetch_from_wheel(tmp_path_factory.mktemp("blazepose"))
    assert paths.detector.name == DETECTOR_NAME
    assert paths.landmark.name == LANDMARK_NAME
    assert _sha256(paths.detector) == DETECTOR_SHA256
    assert _sha256(paths.landmark) == LANDMARK_SHA256
    return paths


def _make_task(path: Path, models: ModelPaths, folder: str = "", landmark: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(models.detector, f"{folder}pose_detector.tflite")
        if landmark:
            zf.write(models.landmark, f"{folder}pose_landmarks_detector.tflite")
    return path


def test_fetch_is_a_no_op_when_files_are_good(wheel_models: ModelPaths) -> None:
    before = [p.stat().st_mtime_ns for p in (wheel_models.detector, wheel_models.landmark)]
    again = fetch_from_wheel(wheel_models.detector.parent)
    assert again == wheel_models
    assert [p.stat().st_mtime_ns for p in (again.detector, again.landmark)] == before


def test_fetch_replaces_a_corrupt_file(wheel_models: ModelPaths, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / LANDMARK_NAME).write_bytes(wheel_models.landmark.read_bytes()[:1000])
    paths = fetch_from_wheel(dest)
    assert _sha256(paths.landmark) == LANDMARK_SHA256
    assert _sha256(paths.detector) == DETECTOR_SHA256
    assert sorted(p.name for p in dest.iterdir()) == sorted([DETECTOR_NAME, LANDMARK_NAME])


def test_resolve_defaults_from_model_dir(wheel_models: ModelPaths) -> None:
    assert resolve_models(model_dir=wheel_models.detector.parent) == wheel_models


@pytest.mark.parametrize("folder", ["", "models/"])
def test_task_bundle_round_trip(wheel_models: ModelPaths, tmp_path: Path, folder: str) -> None:
    task = _make_task(tmp_path / "pose_landmarker_full.task", wheel_models, folder)
    paths = extract_task_bundle(task, tmp_path / "out")
    assert paths.detector == tmp_path / "out" / "pose_landmarker_full_detector.tflite"
    assert paths.landmark == tmp_path / "out" / "pose_landmarker_full_landmarks.tflite"
    assert paths.detector.read_bytes() == wheel_models.detector.read_bytes()
    assert paths.landmark.read_bytes() == wheel_models.landmark.read_bytes()


def test_resolve_prefers_task_bundle(wheel_models: ModelPaths, tmp_path: Path) -> None:
    task = _make_task(tmp_path / "mine.task", wheel_models)
    paths = resolve_models(
        detector=tmp_path / "ignored.tflite",
        landmark=tmp_path / "ignored.tflite",
        task=task,
        model_dir=tmp_path / "models",
    )
    assert paths.detector.parent == tmp_path / "models" / "bundles"
    assert paths.detector.read_bytes() == wheel_models.detector.read_bytes()
    assert paths.landmark.read_bytes() == wheel_models.landmark.read_bytes()


def test_bundle_without_landmark_member(wheel_models: ModelPaths, tmp_path: Path) -> None:
    task = _make_task(tmp_path / "half.task", wheel_models, landmark=False)
    with pytest.raises(ModelFileError, match=r"pose_landmarks_detector\.tflite") as err:
        extract_task_bundle(task, tmp_path / "out")
    assert "half.task" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_bundle_that_is_not_a_zip(tmp_path: Path) -> None:
    task = tmp_path / "bogus.task"
    task.write_bytes(os.urandom(4096))
    with pytest.raises(ModelFileError, match=r"bogus\.task.*not a \.task \(zip\) file"):
        extract_task_bundle(task, tmp_path / "out")


def test_bundle_member_that_is_not_tflite(tmp_path: Path) -> None:
    task = tmp_path / "junk.task"
    with zipfile.ZipFile(task, "w") as zf:
        zf.writestr("pose_detector.tflite", os.urandom(1024))
        zf.writestr("pose_landmarks_detector.tflite", os.urandom(1024))
    with pytest.raises(ModelFileError, match=r"pose_detector\.tflite is not a TFLite model"):
        extract_task_bundle(task, tmp_path / "out")


def test_resolve_missing_path(wheel_models: ModelPaths, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "detector.tflite"
    with pytest.raises(ModelFileError) as err:
        resolve_models(detector=missing, landmark=wheel_models.landmark)
    message = str(err.value)
    assert str(missing) in message and "make models" in message and "\n" not in message


def test_resolve_missing_default_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"pose detector model .* is missing"):
        resolve_models(model_dir=tmp_path / "empty")


@pytest.mark.parametrize("size", [0, 7, 6_000])
def test_resolve_corrupt_file(wheel_models: ModelPaths, tmp_path: Path, size: int) -> None:
    corrupt = tmp_path / "landmark.tflite"
    corrupt.write_bytes(os.urandom(size).replace(b"TFL3", b"XXXX"))
    with pytest.raises(ModelFileError, match="not a TFLite model") as err:
        resolve_models(detector=wheel_models.detector, landmark=corrupt)
    assert str(corrupt) in str(err.value) and "make models" in str(err.value)


def test_cli_bad_task(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = tmp_path / "bad.task"
    task.write_bytes(b"not a zip at all")
    assert main(["--task", str(task), "--dest", str(tmp_path / "models")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "bad.task" in err


def test_cli_task_prints_paths(
    wheel_models: ModelPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = _make_task(tmp_path / "lite.task", wheel_models)
    assert main(["--task", str(task), "--dest", str(tmp_path / "models")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "lite_detector.tflite" in lines[0] and "bytes" in lines[0]
    assert "lite_landmarks.tflite" in lines[1]


def test_pip_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real pip run with no index to reach, as on a Pi without network."""
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    with pytest.raises(ModelFileError, match=r"pip download of mediapipe==0\.10\.18 failed") as err:
        fetch_from_wheel(tmp_path / "models", cache_dir=tmp_path / "cache")
    assert "\n" not in str(err.value) and "check network access to PyPI" in str(err.value)


def test_corrupt_cached_wheel(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mediapipe-0.10.18-py3-none-any.whl").write_bytes(b"truncated download")
    with pytest.raises(ModelFileError, match="make models") as err:
        fetch_from_wheel(tmp_path / "models", cache_dir=cache)
    assert "mediapipe-0.10.18-py3-none-any.whl" in str(err.value)
