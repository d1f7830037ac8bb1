"""The kiosk page in a real browser (Debian's chromium, driven by Playwright) during a run
on a real clip: the count reaches the clip's, the frame image updates, a camera fault
shows the banner, and the reset button sets the count to 0 through the command path."""

from __future__ import annotations

import hashlib
import threading
import time

from edge.config import load_config
from edge.sources import SourceError
from tests.conftest import private_broker, shared_path
from tests.helpers import CHROMIUM, browser_or_skip, write_config
from training.bench.web import CHROMIUM_ARGS, PacedClip

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
    sync_api = browser_or_skip()
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
            with sync_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(url, wait_until="domcontentloaded")  # an MJPEG <img> never "loads"
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
                browser.close()
        finally:
            loop.stop()
            runner.join(60)
    assert not runner.is_alive()
