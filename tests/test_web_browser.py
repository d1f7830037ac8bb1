"""The kiosk page in a real browser (Debian's chromium, driven by Playwright) during a run
on a real clip: the count reaches the clip's, the frame image updates, a camera fault
shows the banner, and the reset button sets the count to 0 through the command path. In
follow mode the teacher dances beside the student with the move, its score and hint;
after a set the rest timer counts up beside the set's reps. A timed hold (a real clip's
squat bottom held 10 s) shows its seconds counting up, then the last hold's.

Screenshots go to the test's tmp_path, or to $KIOSK_SCREENSHOTS when set (docs/*.png are
made so)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from edge.config import load_config
from edge.counting.pack import HoldSpec, find_pack
from edge.sources import SourceError, open_source
from edge.sources.frame import Frame
from tests.conftest import REPO, Subscriber, private_broker, shared_path
from tests.helpers import (
    CHROMIUM,
    DEVICE,
    browser_or_skip,
    kiosk_page,
    write_config,
    write_mode_config,
)
from training.bench.made_clips import HOLDS, held_clips
from training.bench.web import CHROMIUM_ARGS, PacedClip
from training.packs import hold_pack

TIMEOUT_MS = 120_000  # generous: the machine may be loaded


def frame_hash(page) -> str:
    """What the <img> shows now, drawn into a canvas (same origin: readable)."""
    pixels = page.evaluate(
        """() => { const img = document.getElementById('frame');
        if (!img.naturalWidth) return '';
        const c = document.createElement('canvas'); c.width = 64; c.height = 36;
        c.getContext('2d').drawImage(img, 0, 0, 64, 36);
        return Array.from(c.getContext('2d').getImageData(0, 0, 64, 36).data).join(','); }"""
    )
    return hashlib.sha256(pixels.encode()).hexdigest() if pixels else ""


def wait_until(predicate, timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_kiosk_page_during_a_run(tmp_path, model_paths):
    browser_or_skip()  # skip before the run starts
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")  # 3 squats
    opened: list[float] = []

    def camera(_config):
        opened.append(time.monotonic())
        if len(opened) in (2, 3):  # unplugged after the first pass, back on the third try
            raise SourceError("camera 0 could not be opened; is it plugged in and reachable?")
        return PacedClip(clip, unplug_at_end=True)

    from edge.app.loop import EdgeLoop

    with private_broker() as broker:
        loop = EdgeLoop(load_config(write_config(tmp_path, clip, broker.port)), open_source=camera)
        assert loop.web is not None
        url = loop.web.url
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            with kiosk_page(url, 1920, 1080) as page:
                # the frame image shows the camera and changes while the clip plays
                page.wait_for_function(
                    "document.getElementById('frame').naturalWidth > 0", timeout=TIMEOUT_MS
                )
                first = frame_hash(page)
                assert wait_until(lambda: frame_hash(page) not in ("", first)), "frame frozen"
                # the count reaches the clip's 3 squats (it stays there: the camera is gone)
                page.wait_for_function(
                    "document.getElementById('count').textContent === '3'", timeout=TIMEOUT_MS
                )
                assert page.inner_text("#exercise") == "squat"
                # unplugged: the fault banner says so
                page.wait_for_selector("#fault:not([hidden])", timeout=TIMEOUT_MS)
                assert "plugged in" in page.inner_text("#fault")
                page.screenshot(path=str(tmp_path / "kiosk-fault.png"))
                # back: the banner goes, frames flow again, and reset sets the count to 0
                page.wait_for_selector("#fault", state="hidden", timeout=TIMEOUT_MS)
                page.set_viewport_size({"width": 800, "height": 480})
                page.evaluate(
                    """() => { window.seenCounts = [];
                    new MutationObserver(() => window.seenCounts.push(
                        document.getElementById('count').textContent)).observe(
                        document.getElementById('count'),
                        {childList: true, characterData: true, subtree: true}); }"""
                )  # every value the count shows, however briefly (reps go on after reset)
                page.click("#reset")
                page.wait_for_function("window.seenCounts.includes('0')", timeout=TIMEOUT_MS)
                assert page.inner_text("#message") == ""  # the command was accepted
                page.select_option("#exercise-select", "any")  # the same command path
                page.wait_for_function(
                    "document.getElementById('exercise').textContent === 'any'", timeout=TIMEOUT_MS
                )
        finally:
            loop.stop()
            runner.join(60)
    assert not runner.is_alive()


class ClipThenStill:
    """A camera that sees a real clip at its own pace, then the person standing still (the
    clip's last frame, paced) until `stop` is set."""

    description = "camera (a clip, then a still person)"
    frame_count = 0  # live: the loop reads it as a camera

    def __init__(self, path: Path, stop: threading.Event) -> None:
        self._clip = PacedClip(path)
        self.fps, self.width, self.height = self._clip.fps, self._clip.width, self._clip.height
        self._stop = stop

    def frames(self) -> Iterator[Frame]:
        last = None
        for frame in self._clip.frames():
            last = frame
            yield frame
        assert last is not None
        start, index = time.monotonic() - last.timestamp_s, last.index
        while not self._stop.is_set():
            index += 1
            t_s = index / self.fps
            delay = start + t_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the camera's pace
            yield Frame(last.image, index, t_s)

    def close(self) -> None:
        self._clip.close()


def screenshot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("KIOSK_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(folder / name))


def canvas_hash(page, element: str) -> str:
    """What a canvas shows now ('' while it is blank)."""
    pixels = page.evaluate(
        """(id) => { const c = document.getElementById(id);
        if (!c.width || !c.height) return '';
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let drawn = false;
        for (let i = 3; i < data.length; i += 4) if (data[i]) { drawn = true; break; }
        return drawn ? Array.from(data.filter((_, i) => i % 97 === 0)).join(',') : ''; }""",
        element,
    )
    return hashlib.sha256(pixels.encode()).hexdigest() if pixels else ""


def run_page(tmp_path: Path, config: Path, source, check) -> None:
    """A run of `config` whose camera is `source()`, with the page open in chromium at
    1280x720: check(page, viewer) does the rest (viewer: an MQTT subscriber of the device)."""
    browser_or_skip()  # skip before the run starts
    from edge.app.loop import EdgeLoop

    loop = EdgeLoop(load_config(config), open_source=lambda _config: source())
    assert loop.web is not None
    runner = threading.Thread(target=loop.run)
    runner.start()
    try:
        with kiosk_page(loop.web.url) as page:
            check(page)
    finally:
        loop.stop()
        runner.join(60)
    assert not runner.is_alive()


# The page shows the view's last move (its score and hint), fetched now: a move scored
# between the fetch and the look shows as a mismatch, and the caller looks again.
SHOWS_LAST_MOVE = """async () => { const s = await (await fetch('/api/state')).json();
    const m = s.last_move; if (!m) return false;
    return document.getElementById('move-score').textContent === String(Math.round(m.score))
        && document.getElementById('hint').textContent === m.hint && m.hint !== ''; }"""


def test_kiosk_page_follows_a_routine(tmp_path, model_paths):
    """Follow mode on a real dance clip (recorded as the routine and danced back): the
    teacher is drawn and moves, the move and the progress show, each scored move's score
    and hint are the view's, and the routine's score comes when the round ends."""
    clip = shared_path("data", "dance_videos", "macarena.mp4")
    routines = tmp_path / "routines"
    recorded = subprocess.run(
        [sys.executable, "-m", "edge.cli", "routine", "record", str(clip), "--name", "macarena",
         "--out", str(routines / "macarena")], cwd=REPO, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    stop = threading.Event()
    with private_broker() as broker:
        mode = f'mode = "follow"\nroutines_dir = "{routines}"\nroutine = "macarena"\n'
        config = write_mode_config(tmp_path, clip, broker.port, mode)
        viewer = Subscriber(broker, [f"dancepose/{DEVICE}/#"])

        def check(page) -> None:
            page.wait_for_selector("#teacher", state="visible", timeout=TIMEOUT_MS)
            page.wait_for_function(
                "document.getElementById('move-now').textContent.startsWith('move ')",
                timeout=TIMEOUT_MS,
            )  # a round runs: the move being danced, of the routine's
            assert wait_until(lambda: canvas_hash(page, "teacher") != ""), "no teacher drawn"
            first = canvas_hash(page, "teacher")
            assert wait_until(lambda: canvas_hash(page, "teacher") not in ("", first)), (
                "the teacher does not dance"
            )
            page.wait_for_function(
                "/^[0-9]+$/.test(document.getElementById('move-score').textContent)",
                timeout=TIMEOUT_MS,
            )  # the first move is scored
            assert wait_until(lambda: page.evaluate(SHOWS_LAST_MOVE)), "page and view differ"
            page.wait_for_function(  # the progress bar moves on
                "parseFloat(document.getElementById('progress-fill').style.width) > 0",
                timeout=TIMEOUT_MS,
            )
            screenshot(page, tmp_path, "kiosk-follow.png")
            page.wait_for_function(
                "document.getElementById('routine-score').textContent.startsWith('routine score')",
                timeout=TIMEOUT_MS,
            )
            assert viewer.wait_for(lambda v: any(m["summary"] for m in v.of("move")), 20)
            summary = next(m for m in viewer.of("move") if m["summary"])
            shown = math.floor(summary["score"] + 0.5)  # the page's Math.round: halves go up
            assert page.inner_text("#routine-score") == f"routine score {shown}"
            assert viewer.wait_for(  # what Home Assistant's sensors read
                lambda v: v.of("current")[-1]["routine_score"] == summary["score"], 20
            )

        try:
            run_page(tmp_path, config, lambda: ClipThenStill(clip, stop), check)
        finally:
            stop.set()
            viewer.close()


def test_kiosk_page_shows_the_rest_after_a_set(tmp_path, model_paths):
    """Three real squats, then the person stands still: the set ends, the rest timer shows
    and counts up beside the set's reps, and `current` says the set's reps."""
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")  # 3 squats
    stop = threading.Event()
    with private_broker() as broker:
        viewer = Subscriber(broker, [f"dancepose/{DEVICE}/#"])

        def check(page) -> None:
            page.wait_for_function(
                "document.getElementById('count').textContent === '3'", timeout=TIMEOUT_MS
            )
            assert page.is_hidden("#rest")  # squatting: no rest yet
            page.wait_for_selector("#rest", state="visible", timeout=TIMEOUT_MS)
            assert page.inner_text("#last-set") == "last set 3 reps"
            first = page.inner_text("#rest-time")
            page.wait_for_function(
                f"document.getElementById('rest-time').textContent !== {json.dumps(first)}",
                timeout=TIMEOUT_MS,
            )  # it counts up while the person rests
            screenshot(page, tmp_path, "kiosk-rest.png")
            assert viewer.wait_for(lambda v: v.of("set"), 20)
            sets = viewer.of("set")
            assert [s["reps"] for s in sets] == [3]
            assert viewer.wait_for(
                lambda v: v.of("current") and v.of("current")[-1]["last_set_reps"] == 3, 20
            )
            resting = viewer.of("current")[-1]["rest_since"]
            assert resting is not None  # resting: Home Assistant's rest timer runs from it

        try:
            config = write_config(tmp_path, clip, broker.port)
            run_page(tmp_path, config, lambda: ClipThenStill(clip, stop), check)
        finally:
            stop.set()
            viewer.close()


HELD_S = 10.0


class HeldCamera:
    """A camera that sees a real clip's frames in a made order (a turning point held) at
    the clip's pace, then the clip's last frame (the person standing) until `stop` is set.
    Frames are kept JPEG-encoded in memory (decoded when shown)."""

    description = "camera (a real clip, its squat bottom held)"
    frame_count = 0  # live: the loop reads it as a camera

    def __init__(self, path: Path, order: list[int], stop: threading.Event) -> None:
        source = open_source(str(path))
        try:
            self.fps, self.width, self.height = source.fps, source.width, source.height
            self._jpegs = [cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
                           for f in source.frames()]  # fmt: skip
        finally:
            source.close()
        self._order, self._stop = order, stop

    def frames(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while not self._stop.is_set():
            which = self._order[index] if index < len(self._order) else len(self._jpegs) - 1
            t_s = index / self.fps
            delay = start + t_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the camera's pace
            image = cv2.imdecode(np.asarray(self._jpegs[which]), cv2.IMREAD_COLOR)
            yield Frame(image, index, t_s)
            index += 1

    def close(self) -> None:
        pass


def test_kiosk_page_shows_a_hold(tmp_path, clip_track):
    """A wall sit made of a real clip (training/bench/made_clips.py: a squat's bottom played
    back and forth for HELD_S) seen by `run` as a camera: while the hold lasts the page shows
    its seconds counting up, labelled with the hold's name, in place of the rep count; once
    the person stands up, the last hold's seconds, the ones the hold topic's end message
    and `current` say. Its screenshot during the hold is docs/kiosk-hold.png."""
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    held = held_clips(clip_track(clip), HOLDS["wall_sit"], HELD_S)[1]
    packs = tmp_path / "packs"
    kind = HOLDS["wall_sit"]
    hold_pack("wall_sit", find_pack(kind.pack).folder, packs, kind.pose, HoldSpec())
    stop = threading.Event()
    with private_broker() as broker:
        mode = f'mode = "count"\nexercise = "wall_sit"\npacks_dir = "{packs}"\n'
        config = write_mode_config(tmp_path, clip, broker.port, mode)
        viewer = Subscriber(broker, [f"dancepose/{DEVICE}/#"])

        def check(page) -> None:
            page.wait_for_selector("#hold", state="visible", timeout=TIMEOUT_MS)
            assert page.text_content("#hold-name") == "wall sit"
            assert page.text_content("#hold-state") == "holding"
            assert page.is_hidden("#count")  # the hold's seconds in place of the reps
            first = page.inner_text("#hold-seconds")
            assert first.isdigit(), first
            page.wait_for_function(  # it counts up while the hold lasts
                "(() => { const s = document.getElementById('hold-seconds').textContent;"
                f" return parseInt(s) > {int(first)}"
                " && document.getElementById('hold-state').textContent === 'holding'; })()",
                timeout=TIMEOUT_MS,
            )
            screenshot(page, tmp_path, "kiosk-hold.png")
            page.wait_for_function(  # the person stood up: the last hold's seconds stay
                "document.getElementById('hold-state').textContent === 'last hold'",
                timeout=TIMEOUT_MS,
            )
            assert viewer.wait_for(lambda v: any(p["ended"] for p in v.of("hold")), 20)
            ended = [p for p in viewer.of("hold") if p["ended"]]
            assert len(ended) == 1 and ended[0]["exercise"] == "wall_sit"
            assert page.inner_text("#hold-seconds") == str(ended[0]["seconds"])
            assert ended[0]["seconds"] >= int(HELD_S) - 2, ended  # the body's hold, about
            assert viewer.wait_for(  # what Home Assistant's hold sensors read
                lambda v: (
                    v.of("current")[-1]["hold_s"] == ended[0]["seconds"]
                    and not v.of("current")[-1]["holding"]
                ),
                20,
            )
            screenshot(page, tmp_path, "kiosk-hold-ended.png")

        try:
            run_page(tmp_path, config, lambda: HeldCamera(clip, held.order, stop), check)
        finally:
            stop.set()
            viewer.close()


def test_people_tiles_show_each_persons_hold(tmp_path, clip_track):
    """Two people: each tile shows that person's hold (the device state's, from the real
    HoldEvents of a wall sit made of a real clip), one still holding, one whose hold ended;
    the single big hold gives way to the tiles."""
    from dataclasses import replace

    from edge.app.pipeline import Pipeline
    from edge.app.state import DeviceState, PersonEntered
    from edge.counting.classifier import TfliteVotes
    from edge.counting.events import HoldEvent
    from edge.counting.pack import load_pack
    from edge.web.server import KioskWeb
    from tests.helpers import web_config

    sync_api = browser_or_skip()
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    track = clip_track(clip)
    held = held_clips(track, HOLDS["wall_sit"], HELD_S)[1]
    kind = HOLDS["wall_sit"]
    pack = load_pack(
        hold_pack("wall_sit", find_pack(kind.pack).folder, tmp_path, kind.pose, HoldSpec())
    )
    pipeline = Pipeline.build(None, [pack], TfliteVotes, None, "count", "wall_sit")
    holds: list[HoldEvent] = []
    for k, i in enumerate(held.order):
        landmarks = track.landmarks[i] if track.present[i] else None
        events = pipeline.process_landmarks(landmarks, k / track.fps).events
        holds += [e for e in events if isinstance(e, HoldEvent)]
    assert holds[-1].ended and not holds[2].ended
    state = DeviceState("s", "count", "wall_sit", ("count",), ("wall_sit",), "wall_sit")
    now = datetime.now(UTC)
    for person in (0, 1):
        state.apply(PersonEntered(person, 0.0), now)
    for event in holds:  # person 0: the whole hold, ended
        state.apply(event, now)
    for event in holds[:3]:  # person 1: three messages in, still holding
        state.apply(replace(event, person=1), now)
    web = KioskWeb(web_config(), lambda: state.page(0, True), lambda *_: None)
    web.start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(web.url, wait_until="domcontentloaded")
            page.wait_for_selector("#people", state="visible", timeout=TIMEOUT_MS)
            tile = '#people [data-person="{}"] .person-{}'
            assert page.inner_text(tile.format(0, "count")) == str(holds[-1].seconds)
            assert page.inner_text(tile.format(0, "what")) == "wall_sit last hold"
            assert page.inner_text(tile.format(1, "count")) == str(holds[2].seconds)
            assert page.inner_text(tile.format(1, "what")) == "wall_sit holding"
            assert page.is_hidden("#hold")  # the tiles say it, person by person
            unit = page.evaluate(
                "getComputedStyle(document.querySelector('#people .person-count'), '::after')"
                ".content"
            )
            assert unit == '"s"'  # seconds, not reps
            screenshot(page, tmp_path, "kiosk-people-hold.png")
            browser.close()
    finally:
        web.close()
