"""systemd/dancepose.service and edge.watchdog: the unit says what the kiosk relies on, and
sd_notify datagrams reach a real socket in systemd's format."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge import watchdog
from edge.config import load_config
from tests.helpers import UNIT, parse_unit

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return parse_unit(UNIT.read_text())


def one(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    values = unit[section].get(key)
    assert values, f"[{section}] {key}= is missing"
    return values[-1]


def test_the_unit_runs_what_the_pi_install_installs(unit) -> None:
    """ExecStart is the console script of the README's venv, with the config file where the
    README installs it; the account is the README's, in the camera's group."""
    program, command, flag, config = shlex.split(one(unit, "Service", "ExecStart"))
    readme = (REPO / "README.md").read_text()
    app = program.removesuffix("/.venv/bin/dancepose")
    assert app != program and f"git clone <this repo> {app}" in readme
    assert "dancepose" in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert (command, flag) == ("run", "--config")
    assert f"install -D -m 644 firmware_config/dancepose.toml {config}" in readme
    user = one(unit, "Service", "User")
    assert one(unit, "Service", "Group") == user
    groups = one(unit, "Service", "SupplementaryGroups")
    assert f"useradd --system --home {app} --groups {groups} {user}" in readme


def test_the_unit_and_the_program_agree_on_sd_notify(unit) -> None:
    """Type=notify: the program says READY itself (edge.watchdog, from its main process),
    and pings the watchdog well within WatchdogSec."""
    assert one(unit, "Service", "Type") == "notify"
    assert one(unit, "Service", "NotifyAccess") == "main"
    limit = float(one(unit, "Service", "WatchdogSec"))
    usec = str(int(limit * 1_000_000))
    assert 0 < watchdog.watchdog_interval_s({"WATCHDOG_USEC": usec}) < limit
    assert one(unit, "Service", "Restart") in ("on-failure", "always")  # a hang restarts it


def test_the_queue_goes_where_the_unit_lets_the_program_write(
    unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ProtectSystem=strict leaves the StateDirectory writable (systemd names it in
    $STATE_DIRECTORY): the shipped config's queue lands in it."""
    assert one(unit, "Service", "ProtectSystem") == "strict"
    state = Path("/var/lib") / one(unit, "Service", "StateDirectory")
    monkeypatch.setenv("STATE_DIRECTORY", str(state))
    config = load_config(REPO / "firmware_config" / "dancepose.toml", check_paths=False)
    assert config.queue.path.parent == state


@pytest.mark.parametrize(
    "key",
    ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
     "ProtectControlGroups", "LockPersonality"],
)  # fmt: skip
def test_unit_hardening_is_on(unit, key: str) -> None:
    assert one(unit, "Service", key) == "yes"


def test_unit_allows_the_sockets_the_program_opens(unit) -> None:
    families = set(one(unit, "Service", "RestrictAddressFamilies").split())
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= families  # sd_notify; MQTT and the page


def test_unit_allows_only_the_camera_devices(unit: dict[str, dict[str, list[str]]]) -> None:
    allowed = {value.split()[0] for value in unit["Service"]["DeviceAllow"]}
    # /dev/video* + /dev/v4l-subdev*, /dev/media*, /dev/dma_heap/*
    assert allowed == {"char-video4linux", "char-media", "char-dma_heap"}
    assert one(unit, "Service", "DevicePolicy") == "closed"


def test_unit_leaves_off_what_would_break_inference(
    unit: dict[str, dict[str, list[str]]],
) -> None:
    """W^X would break the interpreter's JIT-style kernels; a user namespace would hide
    group video. Both are left off, and the unit says why."""
    service = unit["Service"]
    assert "MemoryDenyWriteExecute" not in service
    assert "PrivateUsers" not in service
    assert "PrivateDevices" not in service  # it would hide /dev/video*
    text = UNIT.read_text()
    assert "No MemoryDenyWriteExecute=yes" in text and "XNNPACK" in text


def test_unit_install_and_ordering(unit: dict[str, dict[str, list[str]]]) -> None:
    assert one(unit, "Install", "WantedBy") == "multi-user.target"
    assert "network-online.target" in one(unit, "Unit", "After")


def systemd_analyze() -> str:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(
            "systemd-analyze is not installed (CI: apt-get install systemd); "
            "the unit's keys are still checked by the other tests here"
        )
    return analyze


def verify(analyze: str, folder: Path, text: str) -> tuple[int, str]:
    """`systemd-analyze verify` on a copy whose ExecStart is /bin/true: verify insists that
    the executable exists, and /opt/dancepose does not on a build machine."""
    true = shutil.which("true") or "/bin/true"
    copy = folder / "dancepose.service"
    lines = [
        f"ExecStart={true}" if line.startswith("ExecStart=") else line for line in text.splitlines()
    ]
    copy.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """The unit as systemd reads it: no unknown keys, no bad values."""
    returncode, output = verify(systemd_analyze(), tmp_path, UNIT.read_text())
    # Warnings (unknown key, bad value) go to stderr with exit status 0: read them too.
    ours = [line for line in output.splitlines() if "dancepose.service" in line]
    assert returncode == 0, output
    assert not ours, output


def test_systemd_analyze_verify_catches_a_typo(tmp_path: Path) -> None:
    """The check above means something: a misspelt key in a copy is reported."""
    text = UNIT.read_text().replace("WatchdogSec=30", "WatchdogSecs=30")
    _, output = verify(systemd_analyze(), tmp_path, text)
    assert "WatchdogSecs" in output


# --- edge.watchdog ----------------------------------------------------------------------


@pytest.fixture
def notify_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A real AF_UNIX datagram socket standing in for systemd, named by NOTIFY_SOCKET.
    A short temp dir: unix socket paths are limited to 107 bytes."""
    folder = tempfile.mkdtemp(prefix="sdn")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    try:
        yield sock
    finally:
        sock.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_notify_ready_and_watchdog(notify_socket: socket.socket) -> None:
    assert watchdog.notify_ready()
    assert notify_socket.recv(4096) == b"READY=1"
    assert watchdog.notify_watchdog()
    assert notify_socket.recv(4096) == b"WATCHDOG=1"
    assert watchdog.notify_stopping()
    assert notify_socket.recv(4096) == b"STOPPING=1"


def test_notify_status_is_one_field(notify_socket: socket.socket) -> None:
    assert watchdog.notify_status("12 reps\nqueue: 3")
    assert notify_socket.recv(4096) == b"STATUS=12 reps queue: 3"
    assert watchdog.notify_ready(status="counting squats")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=counting squats"


def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"dancepose-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert watchdog.notify_watchdog()
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_no_notify_socket_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert watchdog.notify_ready() is False
    assert watchdog.notify_watchdog() is False
    assert watchdog.notify_status("x") is False
    assert watchdog.notify_stopping() is False


def test_unreachable_socket_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert watchdog.notify_watchdog() is False


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 15.0
    pid = str(os.getpid())
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": pid}) == 15
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog.watchdog_interval_s({}) is None
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None


def test_pinger_sends_once_per_interval() -> None:
    now = [100.0]
    sent: list[float] = []

    def send() -> bool:
        sent.append(now[0])
        return True

    pinger = watchdog.WatchdogPinger(interval_s=15.0, clock=lambda: now[0], send=send)
    for step in range(40):  # one frame per second for 40 s
        now[0] = 100.0 + step
        pinger.alive()
    assert sent == [100.0, 115.0, 130.0]
    assert watchdog.WatchdogPinger(interval_s=0, send=send).alive() is False
