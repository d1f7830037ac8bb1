"""The kiosk page's server without a browser: the [web] table, the access token (401 and
nothing changes), bad or busy addresses refused in one line, the event stream and the
frame stream (encoded only while watched, at most at the preview rate)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.config import WEB_TOKEN_ENV, ConfigError, config_from_dict
from edge.counting.events import PhaseEvent, RepEvent
from edge.dance.classifier import DanceEvent
from edge.web.server import BOUNDARY, KioskWeb
from tests.conftest import REPO, private_broker, shared_path
from tests.helpers import NOW, Server, make_state, request, web_config

TOKEN = "0123456789abcdef-test"


@pytest.fixture
def token_server(tmp_path):
    token_file = tmp_path / "web-token"
    token_file.write_text(TOKEN + "\n")
    server = Server(web_config(token_file=str(token_file)))
    yield server
    server.close()


# --- the [web] table ------------------------------------------------------------------


def test_defaults_serve_on_loopback_8080() -> None:
    web = config_from_dict({}, check_paths=False).web
    assert (web.enabled, web.listen, web.host, web.port, web.loopback) == (
        True, "127.0.0.1:8080", "127.0.0.1", 8080, True,
    )  # fmt: skip
    assert (
        config_from_dict({"web": {"listen": "0.0.0.0:80"}}, check_paths=False).web.loopback is False
    )
    assert config_from_dict({"web": {"listen": "[::1]:80"}}, check_paths=False).web.loopback


@pytest.mark.parametrize(
    "listen", ["8080", "localhost", "127.0.0.1:99999", "a b:80", "[zz]:1", 8080]
)
def test_a_bad_listen_is_one_line_naming_the_key(listen: object) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict({"web": {"listen": listen}}, check_paths=False)
    message = str(info.value)
    assert info.value.key == "web.listen" and "\n" not in message and "HOST:PORT" in message


def test_the_token_comes_from_env_then_file_and_must_be_long(tmp_path: Path) -> None:
    token_file = tmp_path / "t"
    token_file.write_text("from-the-file-0123456789\n")
    web = web_config(token_file=str(token_file))
    assert web.read_token({}) == "from-the-file-0123456789"
    assert web.read_token({WEB_TOKEN_ENV: "from-the-env-0123456789"}) == "from-the-env-0123456789"
    assert web_config().read_token({}) is None
    with pytest.raises(ConfigError, match="at least 16"):
        web.read_token({WEB_TOKEN_ENV: "short"})
    assert "token" not in web.model_dump()  # never a field: never in to_toml() or a log


# --- refusals at start ----------------------------------------------------------------


def test_non_loopback_without_a_token_is_refused(monkeypatch) -> None:
    monkeypatch.delenv(WEB_TOKEN_ENV, raising=False)
    with pytest.raises(ConfigError) as info:
        KioskWeb(web_config(listen="0.0.0.0:0"), make_state(), lambda *_: None)
    assert info.value.key == "web.listen" and WEB_TOKEN_ENV in str(info.value)


def test_an_address_in_use_or_not_ours_is_refused(monkeypatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match="already in use") as info:
            KioskWeb(web_config(listen=f"127.0.0.1:{port}"), make_state(), lambda *_: None)
    assert info.value.key == "web.listen" and "\n" not in str(info.value)
    monkeypatch.setenv(WEB_TOKEN_ENV, TOKEN)  # not loopback: a token first, then the bind
    with pytest.raises(ConfigError, match="not an address of this machine"):
        KioskWeb(web_config(listen="192.0.2.1:8080"), make_state(), lambda *_: None)


def test_run_refuses_to_start_on_a_busy_address_unless_web_is_disabled(tmp_path) -> None:
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    with socket.socket() as taken, private_broker() as broker:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "kiosk.toml"
        base = (
            f'device_id = "web-test"\n[source]\nkind = "file"\npath = "{clip}"\n'
            f'[mode]\nexercise = "squat"\n[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\n'
            f'[queue]\npath = "{tmp_path / "q.sqlite"}"\n'
        )
        config.write_text(base + f'[web]\nlisten = "127.0.0.1:{port}"\n')
        run = [sys.executable, "-m", "edge.cli", "run", "--config", str(config)]
        started = time.monotonic()
        result = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "web.listen" in lines[0] and "in use" in lines[0], lines
        assert time.monotonic() - started < 60
        assert not (tmp_path / "q.sqlite").exists()  # refused before anything started
        config.write_text(base + f'[web]\nenabled = false\nlisten = "127.0.0.1:{port}"\n')
        disabled = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert disabled.returncode == 0, disabled.stderr  # the clip is counted, no page


# --- the access token -----------------------------------------------------------------


def test_without_the_token_401_and_nothing_changes(token_server) -> None:
    url = token_server.url
    command = json.dumps({"action": "reset_count"}).encode()
    json_type = {"Content-Type": "application/json"}
    for path in ("", "api/state", "api/events", "stream.mjpg"):
        assert request(url + path)[0] == 401, path
    # the pages' code holds no data: served without the token (a <script src> cannot carry
    # it), so the kiosk and fleet pages load wherever the token opens their data
    for path in ("static/kiosk.js", "static/fleet.js", "static/mqtt.min.js"):
        assert request(url + path)[0] == 200, path
    assert request(url + "api/state?token=wrong-token-xxxxxxx")[0] == 401
    assert request(url + "api/command", command, json_type)[0] == 401
    wrong = {**json_type, "Authorization": "Bearer wrong-token-xxxxxxx"}
    assert request(url + "api/command", command, wrong)[0] == 401
    assert token_server.submitted == []  # no command reached the loop
    assert request(url + "api/state?token=" + TOKEN)[0] == 200
    status, body = request(url + "api/state", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and json.loads(body)["count"] == 0
    right = {**json_type, "Authorization": f"Bearer {TOKEN}"}
    assert request(url + "api/command", command, right)[0] == 200
    assert token_server.submitted == [command]


def test_commands_must_be_json_and_small(tmp_path) -> None:
    server = Server(web_config())
    try:
        body = b'{"action": "reset_count"}'
        assert request(server.url + "api/command", body, {"Content-Type": "text/plain"})[0] == 415
        big = b"{" + b" " * 5000 + b"}"
        assert (
            request(server.url + "api/command", big, {"Content-Type": "application/json"})[0] == 413
        )
        assert server.submitted == []
    finally:
        server.close()


# --- state, events, frames ------------------------------------------------------------


def test_state_and_the_event_stream() -> None:
    server = Server(web_config())
    try:
        with urllib.request.urlopen(server.url + "api/events", timeout=30) as stream:
            assert stream.headers["Content-Type"] == "text/event-stream"
            assert stream.readline() == b"retry: 1000\n"
            assert stream.readline() == b"\n"
            assert stream.readline() == b"event: view\n"  # the whole state first
            assert json.loads(stream.readline().removeprefix(b"data: "))["count"] == 0
            server.state.apply(RepEvent("squat", 1, 2.0, 1.0, 2.0, 0.9), NOW)
            dance = DanceEvent(3.0, "gHO", 0.8, {"gHO": 0.8}, 0.1, "house")
            server.state.apply(dance, NOW)
            rep = {"exercise": "squat", "count": 1, "partial": False, "id": "r1"}
            server.web.stream.send("rep", rep)
            server.web.stream.send("view", server.state.page(7, True))
            lines = [stream.readline() for _ in range(6)]
        assert lines[1:3] == [
            b"event: rep\n",
            b"data: " + json.dumps(rep).replace(" ", "").encode() + b"\n",
        ]
        assert lines[4] == b"event: view\n"
        assert json.loads(lines[5].removeprefix(b"data: "))["genre_name"] == "house"
        state = json.loads(request(server.url + "api/state")[1])
        keys = {"count", "exercise", "phase", "genre", "genre_name", "confidence", "fault", "fps",
                "queue_depth", "session_id"}  # fmt: skip
        assert keys <= set(state)
        assert (state["count"], state["genre_name"], state["queue_depth"]) == (1, "house", 7)
        server.state.set_fault("camera 0 could not be opened")
        assert "camera 0" in json.loads(request(server.url + "api/state")[1])["fault"]
    finally:
        server.close()


def test_frames_are_encoded_only_while_watched_and_at_most_at_the_preview_rate() -> None:
    server = Server(web_config(preview_fps=10.0))
    preview = server.web.preview
    image = np.full((120, 160, 3), 90, np.uint8)
    try:
        for _ in range(20):
            preview.offer(image, None)
        assert preview.encoded == 0 and not preview._raw_ready.is_set()  # nobody watches
        with urllib.request.urlopen(server.url + "stream.mjpg", timeout=30) as stream:
            assert stream.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            deadline = time.monotonic() + 60
            while preview.viewers == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            start = time.monotonic()
            while time.monotonic() - start < 1.0:  # 1 s of a 100 fps camera
                preview.offer(image, None)
                time.sleep(0.01)
            assert stream.readline() == f"--{BOUNDARY}\r\n".encode()
            headers = {}
            while (line := stream.readline()) != b"\r\n":
                name, value = line.decode().split(":", 1)
                headers[name] = value.strip()
            jpeg = stream.read(int(headers["Content-Length"]))
        decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == image.shape
        assert 3 <= preview.encoded <= 12  # 10 fps for 1 s, not 100
    finally:
        server.close()


def test_the_pi_autostart_opens_the_default_page_full_screen() -> None:
    desktop = (REPO / "firmware_config" / "dancepose-kiosk.desktop").read_text().splitlines()
    assert "[Desktop Entry]" in desktop and "Type=Application" in desktop
    assert "Exec=/usr/local/bin/dancepose-kiosk" in desktop
    script = REPO / "firmware_config" / "dancepose-kiosk.sh"
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    text = script.read_text()
    default = config_from_dict({}, check_paths=False).web.listen
    assert f"http://{default}/" in text and "--kiosk" in text


def test_partial_reps_resets_and_an_unreachable_broker() -> None:
    state = make_state("count", "auto")
    rep = RepEvent("squat", 2, 2.0, 1.0, 2.0, 0.9)
    state.apply(rep, NOW)
    state.apply(replace(rep, partial=True), NOW)  # a partial rep leaves the count
    state.apply(PhaseEvent("squat", "down", 2.5), NOW)
    snap = state.page(12, True)
    assert (snap["count"], snap["partial"], snap["exercise"], snap["phase"]) == (
        2,
        1,
        "squat",
        "down",
    )
    assert snap["fault"] is None
    state.restart_count("squat", "squat", "s2")  # after start_session
    snap = state.page(12, True)
    assert (snap["count"], snap["partial"], snap["phase"], snap["session_id"]) == (0, 0, None, "s2")
    snap = state.page(12, False)
    assert "unreachable" in snap["fault"] and "12 event(s) queued" in snap["fault"]
    state.set_fault("camera 0 could not be opened")
    assert state.page(12, False)["fault"].startswith("camera 0")  # the camera first
