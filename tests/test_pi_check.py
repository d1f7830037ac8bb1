"""`make pi-check`'s pure parts: the verdicts, pip's failure line, the lossless cut.

The chroot itself (debootstrap, qemu: minutes) is built only by `make pi-check`, which
.ci/run runs after the suite; nothing here starts it.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, shared_path
from training.devkit import pi_chroot
from training.devkit.pi_check import cut_clip, judge, probe
from training.devkit.pi_chroot import base_key, binfmt_flags, missing_tools, pip_failure_line

LOCK = "edge/requirements.txt"


def track(frames: int = 30, seed: int = 0) -> np.ndarray:
    """A plausible (T, 33, 4) track: a 0.3-high torso, every joint visible."""
    rng = np.random.default_rng(seed)
    landmarks = np.empty((frames, 33, 4))
    landmarks[..., :2] = 0.5 + 0.2 * rng.standard_normal((frames, 33, 2))
    landmarks[:, 11:13, :2] = [[0.45, 0.3], [0.55, 0.3]]  # shoulders
    landmarks[:, 23:25, :2] = [[0.45, 0.6], [0.55, 0.6]]  # hips
    landmarks[..., 2] = 0.0
    landmarks[..., 3] = 0.99
    return landmarks


def test_agreeing_tracks_pass_every_verdict():
    x86 = track()
    arm = x86.copy()
    arm[..., :2] += 0.001  # 0.47 % of the 0.3 torso
    verdicts, figures = judge(x86, arm, 1, 1)
    assert all(v.ok for v in verdicts), verdicts
    assert figures["median_pct_torso"] == pytest.approx(100 * 0.001 * 2**0.5 / 0.3)


def test_landmarks_two_percent_of_torso_apart_fail():
    x86 = track()
    arm = x86.copy()
    arm[..., 0] += 0.006  # 2 % of the torso
    verdicts, _ = judge(x86, arm, 1, 1)
    assert [v.check for v in verdicts if not v.ok] == ["landmarks: median distance, % of torso"]


def test_person_lost_on_three_more_frames_fails_and_two_passes():
    x86 = track()
    arm = x86.copy()
    arm[:2] = np.nan
    assert all(v.ok for v in judge(x86, arm, 1, 1)[0])
    arm[2] = np.nan
    failed = [v for v in judge(x86, arm, 1, 1)[0] if not v.ok]
    assert [(v.check, v.x86, v.arm64) for v in failed] == [("person found, frames", "30", "27")]


@pytest.mark.parametrize(("reps_x86", "reps_arm64"), [(1, 2), (2, 1), (0, 0)])
def test_reps_must_match_and_not_be_zero(reps_x86, reps_arm64):
    x86 = track()
    verdicts, _ = judge(x86, x86.copy(), reps_x86, reps_arm64)
    assert [v.check for v in verdicts if not v.ok] == ["reps counted"]


# pip 23.0.1's words (bookworm's venv pip) in the chroot for edge/requirements.txt plus a pin
# with no aarch64 wheel (mkl: x86_64 and Windows only); stdout, then stderr.
NO_WHEEL = """\
Collecting wheel==0.48.0
  Downloading wheel-0.48.0-py3-none-any.whl (33 kB)

ERROR: Ignored the following versions that require a different python version: 1.3.1 \
Requires-Python >=3.8.6,<3.11
ERROR: Could not find a version that satisfies the requirement mkl==2024.2.2 (from versions: none)
ERROR: No matching distribution found for mkl==2024.2.2
"""
HASHES = """\
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated \
the package versions, please update the hashes. Otherwise, examine the package contents \
carefully; someone may have tampered with them.
    numpy==1.26.4 from https://files.pythonhosted.org/packages/1b/numpy-1.26.4-cp311-cp311-\
manylinux_2_17_aarch64.manylinux2014_aarch64.whl:
        Expected sha256 0000
             Got        1111
"""


def test_a_pin_without_an_aarch64_wheel_is_named_in_one_line():
    line = pip_failure_line(NO_WHEEL, LOCK)
    assert "\n" not in line
    assert line.startswith("pi-check: mkl==2024.2.2 has no wheel for the Pi")
    assert LOCK in line


def test_a_wheel_missing_from_the_hashes_is_named_with_its_file():
    line = pip_failure_line(HASHES, LOCK)
    assert line.startswith("pi-check: numpy==1.26.4: the Pi's file numpy-1.26.4-cp311-cp311-")
    assert "aarch64.whl is not among the hashes" in line and "make lock" in line


def test_any_other_pip_failure_keeps_its_last_error():
    output = "Collecting x\nERROR: first\nsome detail\nERROR: Could not install packages\n"
    line = pip_failure_line(output, LOCK)
    assert line.endswith(": ERROR: Could not install packages (all of it: pip-install.log)")


def test_binfmt_entry_flags():
    entry = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\n"
    assert binfmt_flags(entry) == "PF"
    assert binfmt_flags(entry.replace("enabled", "disabled", 1)) is None
    assert binfmt_flags("") is None


def test_missing_tools_name_their_debian_packages():
    def which(tool):
        return None if tool in ("debootstrap", "update-binfmts") else f"/usr/bin/{tool}"

    assert missing_tools(which) == ["binfmt-support", "debootstrap"]
    assert missing_tools(lambda tool: "/usr/bin/x") == []


def test_the_base_cache_key_follows_its_packages():
    assert base_key() == base_key(pi_chroot.RELEASE, tuple(reversed(pi_chroot.PACKAGES)))
    assert base_key() != base_key(pi_chroot.RELEASE, (*pi_chroot.PACKAGES, "python3-numpy"))
    assert base_key() != base_key("trixie")
    assert pi_chroot.OURS.fullmatch(base_key()) and pi_chroot.OURS.fullmatch(base_key() + ".json")
    assert not pi_chroot.OURS.fullmatch("debootstrap.log")


def test_the_tree_copied_into_the_chroot_is_what_a_clone_holds():
    files = pi_chroot.tree_files(REPO)
    assert "pyproject.toml" in files and "edge/requirements.txt" in files
    assert not any(name.startswith((".venv/", "out/", "models/blazepose/")) for name in files)


def test_the_cut_is_lossless(tmp_path):
    source = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    fps = cut_clip(source, 45, 5, tmp_path / "cut.mkv")
    capture = cv2.VideoCapture(str(source))
    frames = [capture.read()[1] for _ in range(50)][45:]
    capture.release()
    digest = hashlib.sha256(b"".join(f.tobytes() for f in frames)).hexdigest()
    seen = probe(tmp_path / "cut.mkv")
    assert (seen["frames"], seen["frames_sha256"]) == (5, digest)
    assert fps == pytest.approx(30.0, abs=0.01)


def test_a_cut_past_the_end_names_the_clip(tmp_path):
    from edge.errors import UserError

    source = shared_path("data", "exercise_videos", "glute_bridge_1.mp4")  # 91 frames
    with pytest.raises(UserError, match=r"glute_bridge_1\.mp4 has 91 frames, fewer than"):
        cut_clip(source, 80, 20, tmp_path / "cut.mkv")


@pytest.mark.parametrize(("cpu", "part"), [("cortex-a72", "0xd08"), ("cortex-a76", "0xd0b")])
def test_the_chroot_sees_the_cpuinfo_of_the_pi_whose_core_qemu_emulates(cpu, part):
    text = pi_chroot.pi_cpuinfo(cpu)
    assert text.count("processor\t:") == pi_chroot.PI_CORES
    assert text.count(f"CPU part\t: {part}\n") == pi_chroot.PI_CORES
    assert "CPU implementer\t: 0x41" in text  # Arm


def test_xnnpack_is_seen_when_litert_builds_it(model_paths):
    from training.devkit.pi_check import xnnpack_delegate

    assert xnnpack_delegate(model_paths.landmark) is True


def test_the_cold_run_is_kept_with_its_base_for_later_reports(tmp_path):
    stamp = tmp_path / f"{base_key()}.json"
    stamp.write_text('{"seconds": 212.0, "built": "2026-01-01T00:00:00+00:00"}\n')
    assert pi_chroot.cold_run(tmp_path) is None
    assert pi_chroot.cold_run(tmp_path, 577.04)["seconds"] == 577.0
    assert pi_chroot.cold_run(tmp_path)["seconds"] == 577.0
    assert '"seconds": 212.0' in stamp.read_text()  # the base's own build time stays
