"""A timed hold on the kiosk page in a real browser (Debian's chromium, Playwright): a
wall sit made of a real clip (training/bench/made_clips.py: a squat's bottom played back
and forth for 10 s) seen by `dancepose run` as a camera. While the hold lasts the page
shows its seconds counting up, labelled with the hold's name, in place of the rep count;
once the person stands up it shows the last hold's seconds, the ones the hold topic's end
message and `current` say. The screenshot during the hold is docs/kiosk-hold.png
($KIOSK_SCREENSHOTS)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from edge.counting.pack import HoldSpec, find_pack
from edge.sources import open_source
from edge.sources.frame import Frame
from tests.conftest import Subscriber, private_broker, shared_path
from tests.helpers import DEVICE
from tests.test_web_browser import TIMEOUT_MS, run_page, screenshot
from training.bench.made_clips import HOLDS, held_clips
from training.packs import hold_pack

HOLD_S = 10.0


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
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    held = held_clips(clip_track(clip), HOLDS["wall_sit"], HOLD_S)[1]
    packs = tmp_path / "packs"
    kind = HOLDS["wall_sit"]
    hold_pack("wall_sit", find_pack(kind.pack).folder, packs, kind.pose, HoldSpec())
    stop = threading.Event()
    with private_broker() as broker:
        config = tmp_path / "kiosk.toml"
        config.write_text(
            f'device_id = "{DEVICE}"\n[source]\nkind = "file"\npath = "{clip}"\n'
            f'[mode]\nmode = "count"\nexercise = "wall_sit"\npacks_dir = "{packs}"\n'
            f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nkeepalive = 5\n'
            f'[queue]\npath = "{tmp_path / "events.sqlite"}"\n[web]\nlisten = "127.0.0.1:0"\n'
        )
        viewer = Subscriber(broker, [f"dancepose/{DEVICE}/#"])

        def check(page) -> None:
            assert page.is_hidden("#hold")  # standing: no hold yet, the rep count shows
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
            assert ended[0]["seconds"] >= int(HOLD_S) - 2, ended  # the body's hold, about
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
