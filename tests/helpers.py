"""Helpers that several test modules share (fixtures and the MQTT harness: conftest.py)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.app.state import DeviceState
from edge.config import WebConfig, config_from_dict
from edge.keypoints_io import KeypointTrack
from edge.modes import MODES
from edge.publish import topics as tp
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue
from edge.publish.settings import MqttSettings
from edge.skeleton import JOINT
from edge.sources.frame import Frame, SourceError
from edge.web.server import KioskWeb
from training.devkit.broker import HOST

# The installed packs a device is told about in the MQTT tests.
PACKS = ["lunge", "pushup", "squat"]
# The device of `dancepose run` in the end-to-end tests (write_config).
DEVICE = "kiosk-test"
CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]


def make_publisher(
    port: int, folder: Path, device_id: str = "dev1", **kwargs: Any
) -> MqttPublisher:
    """A started publisher to the loopback broker on port, its queue in folder."""
    settings = MqttSettings(device_id=device_id, host=HOST, port=port, keepalive=10)
    publisher = MqttPublisher(settings, EventQueue(folder / "events.sqlite"), **kwargs)
    publisher.start()
    return publisher


@contextmanager
def hold_topic(tmp_path: Path) -> Iterator[tuple[Any, MqttPublisher]]:
    """A private broker, a subscriber to device dev1 and a publisher to it (its queue in
    tmp_path): yields (subscriber, publisher); at the end of a block that did not fail,
    flushes, waits for a hold that ended, closes both and checks every hold payload
    against its schema."""
    from tests.conftest import Subscriber, private_broker, validator

    with private_broker() as broker:
        subscriber = Subscriber(broker, ["dancepose/dev1/#"])
        publisher = make_publisher(broker.port, tmp_path)
        try:
            yield subscriber, publisher
            assert publisher.flush(30)
            assert subscriber.wait_for(lambda s: any(p["ended"] for p in s.of("hold")))
        finally:
            publisher.close(timeout_s=10)
            subscriber.close()
    for payload in subscriber.of("hold"):
        validator("hold").validate(payload)


def current_state(t_s: float | None = None, **changes: Any) -> dict[str, Any]:
    """A current-state payload: a fresh run's, with `changes`."""
    values: dict[str, Any] = dict(
        session_id="s1", mode="count", selected_exercise="auto", exercise=None, count=0,
        partial_count=0, phase=None, genre=None, genre_name=None, fault=None,
        last_rep_time=None,
    )  # fmt: skip
    return tp.current_payload(tp.Current(**{**values, **changes}), t_s)


def write_config(
    tmp_path: Path, clip: Path, port: int, loop: bool = False, exercise: str = "squat",
    discovery: bool = False,
) -> Path:  # fmt: skip
    """kiosk.toml for `dancepose run` on a clip against the loopback broker on port."""
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'device_id = "{DEVICE}"\n'
        f'[source]\nkind = "file"\npath = "{clip}"\nloop = {str(loop).lower()}\n'
        f'[mode]\nmode = "count"\nexercise = "{exercise}"\n'
        f'[mqtt]\nhost = "127.0.0.1"\nport = {port}\nkeepalive = 5\n'
        f"homeassistant_discovery = {str(discovery).lower()}\n"
        f'[stats]\ninterval_s = 1.0\n[queue]\npath = "{tmp_path / "events.sqlite"}"\n'
        '[web]\nlisten = "127.0.0.1:0"\n'  # the kiosk page on a free port: runs may overlap
    )
    return config


def write_mode_config(tmp_path: Path, clip: Path, port: int, mode: str) -> Path:
    """kiosk.toml for `dancepose run` on a clip against the loopback broker on port, with
    `mode` (TOML lines, each ending in a newline) as its [mode] table."""
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'device_id = "{DEVICE}"\n[source]\nkind = "file"\npath = "{clip}"\n'
        f"[mode]\n{mode}"
        f'[mqtt]\nhost = "127.0.0.1"\nport = {port}\nkeepalive = 5\n'
        f'[queue]\npath = "{tmp_path / "events.sqlite"}"\n[web]\nlisten = "127.0.0.1:0"\n'
    )
    return config


def browser_or_skip():
    """Playwright's sync API, or skip (a machine without chromium) / fail (CI must have it)."""
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "playwright is not installed (the dev lock has it: make setup)"
    if missing is None and not CHROMIUM.exists():
        missing = f"{CHROMIUM} is absent (apt-get install chromium; .ci/run does it)"
    if missing is not None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)
    return sync_api


@contextmanager
def kiosk_page(url: str, width: int = 1280, height: int = 720) -> Iterator[Any]:
    """The kiosk page at url, open in chromium (Playwright) at width x height: yields the
    page; the browser closes at the end of a block that did not fail."""
    from training.bench.web import CHROMIUM_ARGS

    sync_api = browser_or_skip()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url, wait_until="domcontentloaded")  # an MJPEG <img> never "loads"
        yield page
        browser.close()


def assert_one_clear_line(result: subprocess.CompletedProcess, *needles: str) -> None:
    """A refusal: exit status 2, no traceback, one error line holding every needle."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(error_lines) == 1, result.stderr
    for needle in needles:
        assert needle in error_lines[0], error_lines[0]


def aist_house_track():
    """The first AIST++ house sequence (COCO-17 keypoints of a real dancer, 60 fps) as a
    KeypointTrack in image pixels."""
    import numpy as np

    from edge.keypoints_io import from_coco17
    from tests.conftest import shared_path

    root = shared_path("data", "aistpp_small")
    scaler = np.load(root / "kps_scaler_extracted.npz")
    path = sorted((root / "house_dance" / "nor_k_feat").glob("*.npy"))[0]
    pixels = np.load(path).reshape(-1, 17, 2) * scaler["scale"] + scaler["mean"]
    return from_coco17(pixels, fps=60.0, width=1920, height=1080, source=path.name)


# --- the kiosk page's server, without a browser ----------------------------------------


def web_config(**keys: object) -> WebConfig:
    return config_from_dict({"web": {"listen": "127.0.0.1:0", **keys}}, check_paths=False).web


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_state(mode: str = "count", exercise: str = "squat") -> DeviceState:
    active = None if exercise == "auto" else exercise
    return DeviceState("s1", mode, exercise, MODES, ("squat", "auto", "any"), active)


class Server:
    """A KioskWeb on a free loopback port with a recording command sink."""

    def __init__(self, web: WebConfig) -> None:
        self.state = make_state("both")
        self.submitted: list[bytes] = []
        self.web = KioskWeb(web, lambda: self.state.page(7, True), self._submit)
        self.web.start()
        self.url = self.web.url

    def _submit(self, data: bytes, answer) -> None:
        self.submitted.append(data)
        answer(True, None)

    def close(self) -> None:
        self.web.close()


@contextmanager
def routine_kiosk(
    followed: list[Path | None], state: DeviceState | None = None
) -> Iterator[KioskWeb]:
    """The kiosk's web server serving the routine followed[0] (None: none selected; the
    list may change under it) and the page of `state` (default: a follow-mode state)."""
    shown = state or make_state("follow")
    web = KioskWeb(web_config(), lambda: shown.page(0, True), lambda *_: None,
                   lambda: followed[0])  # fmt: skip
    web.start()
    try:
        yield web
    finally:
        web.close()


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- sources and the unit file -----------------------------------------------------------


class PacedSource:
    """A live-like source: a new synthetic frame every `period_s`, optionally failing."""

    description = "paced test source"
    fps, width, height, frame_count = 100.0, 8, 8, 0

    def __init__(self, frames: int, period_s: float, fail_after: int | None = None) -> None:
        self.total, self.period_s, self.fail_after = frames, period_s, fail_after

    def frames(self) -> Iterator[Frame]:
        for index in range(self.total):
            if self.fail_after is not None and index == self.fail_after:
                raise SourceError("unplugged")
            time.sleep(self.period_s)
            yield Frame(np.zeros((8, 8, 3), np.uint8), index, index * self.period_s)

    def close(self) -> None:
        pass


UNIT = REPO / "systemd" / "dancepose.service"


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd's INI dialect: repeated keys accumulate, '#'/';' comments, '\\' continues."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"key outside a section: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def resampled(track: KeypointTrack, fps: float, speed: float = 1.0) -> KeypointTrack:
    """The same movement seen at another frame rate (and, speed > 1, done faster)."""
    duration = track.num_frames / track.fps / speed
    source = np.clip(
        np.round(np.arange(int(duration * fps)) * speed * track.fps / fps), 0, track.num_frames - 1
    ).astype(int)
    return KeypointTrack(
        track.landmarks[source], track.world[source], track.present[source], fps, track.width,
        track.height,
    )  # fmt: skip


# --- several people in one frame -----------------------------------------------------------


class SideBySide:
    """Real clips side by side in one frame, each in a tile of the same size (scaled to fit,
    letterboxed), as a camera would see several people; a shorter clip holds its last frame,
    and after the longest ends every tile holds (people standing still), paced at the clips'
    frame rate until the loop stops. `people(index)`: each clip's recorded keypoints (our
    LiteRT pose on that clip alone) moved into its tile, as PoseResults with the clip's
    position as person id: what a multi-person estimator finds there."""

    description = "clips side by side"
    frame_count = 1_000_000  # read as a file: every frame is processed

    def __init__(self, videos: list[Path], tracks: list[KeypointTrack], tile=(480, 360)) -> None:
        self.videos = videos
        self.tile_w, self.tile_h = tile
        self.width, self.height = self.tile_w * len(videos), self.tile_h
        self.fps = tracks[0].fps
        self.tracks: list[KeypointTrack] = []
        self.places: list[tuple[int, int, tuple[int, int]]] = []  # left, top, size per tile
        for track in tracks:
            scale = min(self.tile_w / track.width, self.tile_h / track.height)
            size = (round(track.width * scale), round(track.height * scale))
            left = (self.tile_w - size[0]) // 2 + self.tile_w * len(self.tracks)
            top = (self.tile_h - size[1]) // 2
            moved = track.landmarks.copy()
            moved[..., :3] *= scale
            moved[..., 0] += left
            moved[..., 1] += top
            self.tracks.append(KeypointTrack(
                moved, track.world, track.present, track.fps, self.width, self.height
            ))  # fmt: skip
            self.places.append((left, top, size))

    def people(self, index: int) -> list:
        from edge.pose.result import PoseResult

        found = []
        for person, track in enumerate(self.tracks):
            at = min(index, track.num_frames - 1)
            if track.present[at]:
                found.append(PoseResult(
                    track.landmarks[at], np.nan_to_num(track.world[at]), 1.0, index,
                    index / self.fps, person,
                ))  # fmt: skip
        return found

    def frames(self) -> Iterator[Frame]:
        import cv2

        from edge.sources import open_source

        sources = [open_source(str(video)) for video in self.videos]
        readers = [source.frames() for source in sources]
        canvas = np.zeros((self.height, self.width, 3), np.uint8)
        start = time.monotonic()
        index = 0
        try:
            while True:
                for reader, (left, top, (w, h)) in zip(readers, self.places, strict=True):
                    frame = next(reader, None)  # an ended clip keeps its last frame
                    if frame is not None:
                        canvas[top : top + h, left : left + w] = cv2.resize(frame.image, (w, h))
                delay = start + index / self.fps - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # the camera's pace
                yield Frame(canvas.copy(), index, index / self.fps)
                index += 1
        finally:
            for source in sources:
                source.close()

    def close(self) -> None:
        pass


class RecordedPeople:
    """A pose estimator that finds, in a SideBySide frame, the people recorded there."""

    def __init__(self, source: SideBySide) -> None:
        self.source = source

    def process(self, frame: Frame) -> list:
        return self.source.people(frame.index)

    def reset(self) -> None:
        pass


def arm_raises(
    heights: list[float], period_s: float = 1.0, fps: float = 30.0, still_s: float = 3.0
) -> KeypointTrack:
    """A standing body, still for `still_s`, raising both arms once a period to the given
    share of their reach (one height per cycle), then still for `still_s`; 0.5 px of noise."""
    cycles = len(heights)
    frames = int((2 * still_s + period_s * cycles) * fps)
    t = np.arange(frames) / fps
    moving = (t >= still_s) & (t < still_s + period_s * cycles)
    cycle = np.clip(((t - still_s) // period_s).astype(int), 0, max(cycles - 1, 0))
    wave = (1 - np.cos(2 * np.pi * (t - still_s) / period_s)) / 2
    share = np.asarray(heights, np.float64)[cycle] if cycles else np.zeros(frames)
    lift = np.where(moving, share * wave, 0.0)
    landmarks = np.zeros((frames, 33, 4), np.float32)
    landmarks[:, :, 3] = 1.0
    rest = {"shoulder": -100, "elbow": -60, "wrist": -20, "hip": 0, "knee": 60, "ankle": 120}
    for side, sign in (("left", -1), ("right", 1)):
        for joint, y in rest.items():
            landmarks[:, JOINT[f"{side}_{joint}"], 0] = 300 + sign * 30
            landmarks[:, JOINT[f"{side}_{joint}"], 1] = 300 + y
        for joint, reach in (("elbow", 35), ("wrist", 80)):
            index = JOINT[f"{side}_{joint}"]
            landmarks[:, index, 0] += sign * reach * lift
            landmarks[:, index, 1] -= reach * lift
    noise = np.random.default_rng(0).normal(0, 0.5, landmarks[..., :2].shape)
    landmarks[..., :2] += noise.astype(np.float32)
    return KeypointTrack(landmarks, np.full((frames, 33, 3), np.nan, np.float32),
                         np.ones(frames, bool), fps, 640, 480)  # fmt: skip
