"""`dancepose run`: camera in, events out, all day, with nobody watching.

The frame loop: it reads frames (the newest one from live sources), runs the pipeline,
and hands the typed events to the broadcaster (edge/app/broadcast.py), which puts each
in the publisher's on-disk queue until the broker's PUBACK, updates the device state and
feeds the page. Commands are applied between frames, and as they arrive while the loop
waits (a faulted source's backoff, a live camera's next frame), so each is answered within
a second in every state (edge/app/control.py); what the loop is made of is built in
edge/app/wiring.py. Faults are reported, not fatal: a camera that
disappears is reported in `status` and reopened with backoff; a broker that is down only
delays delivery. The systemd watchdog is pinged only while frames flow, so a hung camera
gets the service restarted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edge.app.broadcast import Broadcaster
from edge.app.control import Answer, Control
from edge.app.state import DeviceState
from edge.app.stats import StageStats, cpu_temperature_c
from edge.app.wiring import build_pipeline, discovery, open_configured_source
from edge.config import Config
from edge.follow.music import has_music
from edge.publish import topics
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue
from edge.publish.settings import MqttSettings
from edge.publish.topics import Topics
from edge.sources.frame import Frame, FrameSource, SourceError
from edge.sources.latest import LatestFrame
from edge.watchdog import WatchdogPinger, notify_ready, notify_status, notify_stopping
from edge.web.server import KioskWeb

log = logging.getLogger("dancepose")
MAX_BACKOFF_S = 30.0
COMMAND_WAIT_S = 0.2  # a live source's frame wait applies arrived commands this often
DRAIN_TIMEOUT_S = 30.0  # a finished file job waits this long for the broker to take it all


class EdgeLoop:
    def __init__(
        self, config: Config,
        open_source: Callable[[Config], FrameSource] = open_configured_source,
    ) -> None:  # fmt: skip
        """open_source: how to (re)open the configured source; the seam tests use to
        unplug a camera."""
        self.config = config
        self._open_source = open_source
        self.web: KioskWeb | None = None
        self.control: Control | None = None
        if config.web.enabled:  # bound first: a busy address refuses the start at once
            self.web = KioskWeb(config.web, self._page, self._submit, self._followed)
        try:
            self.pipeline = build_pipeline(config)
        except BaseException:
            if self.web is not None:
                self.web.close()  # the address is free again for the next try
            raise
        pipeline = self.pipeline
        self.state = DeviceState(
            topics.new_id(), pipeline.mode, pipeline.exercise, pipeline.modes,
            pipeline.exercises, pipeline.active,
        )  # fmt: skip
        folder = pipeline.resources.routine
        if folder is not None:  # current names it from the start
            self.state.set_routine(folder.name, pipeline.modes, has_music(folder))
        self.control = Control(pipeline, self.state)
        self.queue = EventQueue(config.queue.path, config.queue.max_events)
        settings = MqttSettings.from_config(config)
        device_topics = Topics(settings.device_id, settings.topic_prefix)
        self.publisher = MqttPublisher(
            settings, self.queue, on_command=self._submit,
            retained_on_connect=discovery(config, pipeline, device_topics),
        )  # fmt: skip
        self.control.publisher = self.publisher
        self.broadcast = Broadcaster(
            self.state, self.publisher, None if self.web is None else self.web.stream,
            self._page, config.mode.dance_publish_interval_s,
        )  # fmt: skip
        self.control.broadcast = self.broadcast.events
        self.stats = StageStats()
        self.dropped_frames = 0
        self._stop = threading.Event()
        self._watchdog = WatchdogPinger()

    def _submit(self, data: bytes, answer: Answer | None = None) -> None:
        if self.control is not None:  # the page can be asked before the pipeline is built
            self.control.submit(data, answer)

    def _page(self) -> dict[str, object]:
        """The kiosk page's view of the device state, with the live queue figures."""
        return self.state.page(self.queue.depth(), self.publisher.connected)

    def _followed(self) -> Path | None:
        """The routine folder follow mode uses now (the page draws its teacher)."""
        if self.control is None:  # the page can be asked before the pipeline is built
            return None
        return self.pipeline.resources.routine

    @property
    def session_id(self) -> str:
        return self.state.session_id

    def stop(self) -> None:
        self._stop.set()
        if self.control is not None:
            self.control.arrived.set()  # a fault's wait ends now

    def run(self) -> int:
        self.broadcast.current()  # a fresh start: count 0, what is selected, no fault
        self.publisher.start()
        if self.web is not None:
            self.web.start()
        notify_ready("starting")
        backoff = 1.0
        finished = False
        try:
            while not self._stop.is_set():
                try:
                    source = self._open()
                except SourceError as exc:
                    backoff = self._fault(exc, backoff)
                    continue
                if source is None:
                    break  # stop() while a source was still opening
                self.publisher.status("online")
                self._set_fault(None)
                notify_status(f"reading {source.description}")
                backoff = 1.0
                try:
                    if self._run_source(source):
                        finished = True  # a file that ended: the job is done
                        self.broadcast.events(self.pipeline.finish().events)
                        self.broadcast.current()
                        break
                except SourceError as exc:
                    backoff = self._fault(exc, backoff)
                finally:
                    source.close()
        finally:
            self._publish_stats()
            notify_stopping()
            if finished and not self.publisher.flush(DRAIN_TIMEOUT_S):
                log.warning(
                    "%d event(s) not yet acknowledged by the broker; they stay queued in %s "
                    "and go out on the next start",
                    self.queue.depth(), self.config.queue.path,
                )  # fmt: skip
            self.publisher.close(timeout_s=10.0)
            if self.web is not None:
                self.web.close()
            self.queue.close()
        return 0

    def _set_fault(self, message: str | None) -> None:
        self.state.set_fault(message)
        self.broadcast.send(topics.STATUS, topics.status_payload(
            "fault" if message else "online", message))  # fmt: skip
        self.broadcast.current()

    def _fault(self, exc: Exception, backoff: float) -> float:
        message = f"{exc}; retrying in {backoff:.0f} s"
        log.warning("source fault: %s", message)
        self.publisher.status("fault", message)
        self._set_fault(message)
        notify_status(f"fault: {message}")
        self._wait(backoff)
        return min(backoff * 2, MAX_BACKOFF_S)

    def _open(self) -> FrameSource | None:
        """The configured source, opened in a thread of its own: an RTSP camera can take many
        seconds to answer or to time out, and commands are applied meanwhile. None: stop()
        came first (a source that opens after that is closed)."""
        assert self.control is not None
        opened: list[FrameSource | BaseException] = []
        done = threading.Event()

        def open_it() -> None:
            try:
                opened.append(self._open_source(self.config))
            except BaseException as exc:  # handed to the loop's thread below
                opened.append(exc)
            finally:
                done.set()
                if self._stop.is_set() and opened and not isinstance(opened[0], BaseException):
                    opened[0].close()
                self.control.arrived.set()  # type: ignore[union-attr]

        threading.Thread(target=open_it, name="source-open", daemon=True).start()
        while not done.is_set() and not self._stop.is_set():
            self._apply_commands()
            self.control.arrived.wait(COMMAND_WAIT_S)
        if not done.is_set():
            return None
        if isinstance(opened[0], BaseException):
            raise opened[0]
        return opened[0]

    def _wait(self, seconds: float) -> None:
        """Sleep `seconds` (or until stop()), applying each command as it arrives."""
        assert self.control is not None
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            self._apply_commands()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.control.arrived.wait(left)

    def _apply_commands(self) -> None:
        assert self.control is not None
        self.control.apply_pending()
        self.broadcast.current()

    def _run_source(self, source: FrameSource) -> bool:
        """Process frames until the source ends (True) or stop() is called (False)."""
        live = source.frame_count == 0 and not getattr(source, "loop", False)
        self.pipeline.start_stream(source.fps, live)
        self.stats.frame_period_ms = 1000.0 / source.fps if source.fps > 0 else None
        self.state.new_stream()  # the follower's round starts again on the next person
        reader = LatestFrame(source) if live else None
        frames = None if reader is not None else source.frames()
        try:
            while not self._stop.is_set():
                wait_start = time.perf_counter()
                frame = (
                    reader.next_frame(idle=self._apply_commands, idle_every_s=COMMAND_WAIT_S)
                    if reader is not None
                    else next(frames, None)
                )
                if frame is None and reader is not None:
                    raise SourceError(f"{source.description} stopped delivering frames")
                if frame is None:
                    return True  # a file's end: the job is done
                capture_ms = 1000 * (time.perf_counter() - wait_start)
                self._process(frame, capture_ms)
                if reader is not None:
                    self.dropped_frames = reader.dropped
            return False
        finally:
            if reader is not None:
                reader.close()

    def _process(self, frame: Frame, capture_ms: float) -> None:
        result = self.pipeline.process(frame)
        self.state.frame(frame.timestamp_s, present=result.pose is not None)
        publish_start = time.perf_counter()
        self.broadcast.events(result.events)
        self._apply_commands()
        web_start = time.perf_counter()
        if self.web is not None:  # the page's share of the loop: a few references
            people = [(p.person, p.landmarks) for p in result.people]
            self.web.preview.offer(frame.image, people)
        web_ms = 1000 * (time.perf_counter() - web_start)
        # "publish" in stats is delivery (event put -> broker PUBACK), measured by the
        # publisher; the loop's own share of publishing is in "total".
        timings = {**result.timings_ms, "capture": capture_ms, "web": web_ms}
        timings["total"] = sum(timings.values()) + 1000 * (web_start - publish_start)
        fresh = sum(p.fresh for p in result.people)
        self.stats.add_frame(timings, len(result.people), fresh)
        self._watchdog.alive()  # frames flow: tell systemd we are alive
        if self.stats.due(self.config.stats.interval_s):
            self._publish_stats()

    def _publish_stats(self) -> None:
        people = self.stats.take_people()
        fps, latency, uptime = self.stats.take()
        latency["publish"] = self.publisher.take_latency().mean_ms
        shown = self.state.shown()
        payload = topics.stats_payload(
            uptime_s=uptime, fps=fps, latency_ms=latency, dropped_frames=self.dropped_frames,
            queue_depth=self.queue.depth(), queue_dropped=self.queue.dropped,
            cpu_temp_c=cpu_temperature_c(), mode=shown.mode, exercise=self.state.counted,
            reps=shown.count, partial_reps=shown.partial_count, people=people.people,
            people_max=people.people_max, pose_ms_per_person=people.pose_ms_per_person,
            over_budget=people.over_budget, person_rate=people.person_rate,
        )  # fmt: skip
        self.broadcast.event(topics.STATS, payload)
