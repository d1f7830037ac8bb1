"""`dancepose run`: camera in, events out, all day, with nobody watching.

The loop reads frames (the newest one from live sources), runs the pipeline, and hands
every event to the publisher, which keeps it in the on-disk queue until the broker's
PUBACK. Faults are reported, not fatal: a camera that disappears is reported in `status`
and reopened with backoff; a broker that is down only delays delivery. The systemd
watchdog is pinged only while frames flow, so a hung camera gets the service restarted.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from edge.app.pipeline import Pipeline
from edge.app.stats import StageStats, cpu_temperature_c
from edge.config import Config
from edge.counting.classifier import TfliteVotes
from edge.counting.events import RepEvent
from edge.counting.pack import installed_packs, load_pack
from edge.dance.classifier import DanceClassifier
from edge.modes import SPECIAL_EXERCISES, dances
from edge.pose.estimator import create_estimator
from edge.publish import topics
from edge.publish.commands import (
    CommandError,
    EndSession,
    ResetCount,
    SetExercise,
    SetMode,
    StartSession,
    parse_command,
)
from edge.publish.homeassistant import discovery_messages, removal_messages
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue
from edge.publish.settings import MqttSettings
from edge.publish.topics import Topics
from edge.sources import open_source
from edge.sources.frame import FrameSource, SourceError
from edge.sources.latest import LatestFrame
from edge.sources.picamera import PiCameraSource
from edge.watchdog import WatchdogPinger, notify_ready, notify_status, notify_stopping
from edge.web.server import Answer, KioskWeb
from edge.web.state import KioskState

log = logging.getLogger("dancepose")
MAX_BACKOFF_S = 30.0
DRAIN_TIMEOUT_S = 30.0  # a finished file job waits this long for the broker to take it all


def open_configured_source(config: Config) -> FrameSource:
    source = config.source
    if source.kind == "picamera2":
        return PiCameraSource(source.width, source.height, source.fps)
    if source.kind == "camera":
        return open_source(source.camera_index)
    if source.kind == "url":
        return open_source(str(source.url))
    return open_source(str(source.path), loop=source.loop)


def genre_names(config: Config) -> Callable[[str], str]:
    """A genre code to its human name, from the dance model's metadata ("none" stays)."""
    from edge.dance.metadata import DanceMetadata, DanceModelError

    try:
        metadata = DanceMetadata.read(Path(config.mode.dance_model_dir))
    except DanceModelError:
        return lambda code: code
    names = {genre.code: genre.name for genre in metadata.genres}
    return lambda code: names.get(code, code)


def build_pipeline(config: Config) -> Pipeline:
    pose = config.pose
    estimator = create_estimator(
        pose.backend, pose.threads, pose.detector_model, pose.landmark_model, pose.task
    )
    packs = [load_pack(folder) for folder in installed_packs(config.mode.packs_dir).values()]
    dance_dir = Path(config.mode.dance_model_dir)
    make_dance = (
        (lambda fps: DanceClassifier(fps, dance_dir))
        if (dance_dir / "metadata.json").is_file()
        else None
    )
    return Pipeline.build(
        estimator, packs, TfliteVotes, make_dance, config.mode.mode, config.mode.exercise
    )


class EdgeLoop:
    def __init__(
        self, config: Config,
        open_source: Callable[[Config], FrameSource] = open_configured_source,
    ) -> None:  # fmt: skip
        """open_source: how to (re)open the configured source; the seam tests use to
        unplug a camera."""
        self.config = config
        self._open_source = open_source
        self.session_id = topics.new_id()
        # One command path: MQTT's cmd topic and the kiosk page both queue (bytes, answer),
        # applied between frames by _apply_commands; answer is the page's HTTP reply.
        self._commands: queue.SimpleQueue[tuple[bytes, Answer | None]] = queue.SimpleQueue()
        self.web: KioskWeb | None = None
        if config.web.enabled:  # bound first: a busy address refuses the start at once
            self.web_state = KioskState(
                self.session_id, config.mode.mode, config.mode.exercise, genre_names(config),
                queue_depth=lambda: self.queue.depth(),
                broker_connected=lambda: self.publisher.connected,
            )  # fmt: skip
            self.web = KioskWeb(
                config.web, self.web_state, lambda data, answer: self._commands.put((data, answer))
            )
        try:
            self.pipeline = build_pipeline(config)
        except BaseException:
            if self.web is not None:
                self.web.close()  # the address is free again for the next try
            raise
        exercises = [*sorted(self.pipeline.trackers), *SPECIAL_EXERCISES]
        if self.web is not None:
            self.web_state.choices(exercises)
        self.queue = EventQueue(config.queue.path, config.queue.max_events)
        settings = MqttSettings.from_config(config)
        device_topics = Topics(settings.device_id, settings.topic_prefix)
        discovery = (  # off: empty retained configs, which remove the entities
            discovery_messages(device_topics, exercises, self.pipeline.modes)
            if config.mqtt.homeassistant_discovery
            else removal_messages(device_topics)
        )
        self.publisher = MqttPublisher(
            settings, self.queue, on_command=lambda data: self._commands.put((data, None)),
            retained_on_connect=discovery,
        )  # fmt: skip
        self.stats = StageStats()
        self.dropped_frames = 0
        self._last_dance_publish = -1e9
        # What the retained `current` topic says beyond the pipeline's own state.
        self._t_s: float | None = None  # the newest frame's stream time
        self._genre: tuple[str, str] | None = None  # the newest published (code, name)
        self._last_rep_time: str | None = None
        self._fault_text: str | None = None
        self._current: dict[str, object] | None = None  # the last published, sans times
        self._stop = threading.Event()
        self._watchdog = WatchdogPinger()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> int:
        self._publish_current()  # a fresh start: count 0, what is selected, no fault
        self.publisher.start()
        if self.web is not None:
            self.web.start()
        notify_ready("starting")
        backoff = 1.0
        finished = False
        try:
            while not self._stop.is_set():
                try:
                    source = self._open_source(self.config)
                except SourceError as exc:
                    backoff = self._fault(exc, backoff)
                    continue
                self.publisher.status("online")
                self._fault_text = None
                self._publish_current()
                if self.web is not None:
                    self.web_state.camera_fault(None)
                notify_status(f"reading {source.description}")
                backoff = 1.0
                try:
                    if self._run_source(source):
                        finished = True  # a file that ended: the job is done
                        self._publish_reps(self.pipeline.finish())
                        self._publish_current()
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

    def _fault(self, exc: Exception, backoff: float) -> float:
        message = f"{exc}; retrying in {backoff:.0f} s"
        log.warning("source fault: %s", message)
        self.publisher.status("fault", message)
        self._fault_text = message
        self._publish_current()
        if self.web is not None:
            self.web_state.camera_fault(message)
        notify_status(f"fault: {message}")
        self._stop.wait(backoff)
        return min(backoff * 2, MAX_BACKOFF_S)

    def _run_source(self, source: FrameSource) -> bool:
        """Process frames until the source ends (True) or stop() is called (False)."""
        self.pipeline.start_stream(source.fps)
        live = source.frame_count == 0 and not getattr(source, "loop", False)
        reader = LatestFrame(source) if live else None
        frames = None if reader is not None else source.frames()
        try:
            while not self._stop.is_set():
                wait_start = time.perf_counter()
                frame = reader.next_frame() if reader is not None else next(frames, None)
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

    def _process(self, frame, capture_ms: float) -> None:
        result = self.pipeline.process(frame)
        self._t_s = frame.timestamp_s
        publish_start = time.perf_counter()
        self._publish_reps(result.reps)
        for phase in result.phases:
            payload = topics.state_payload(
                self.session_id, phase.exercise, phase.phase, phase.time_s
            )
            self._event(topics.STATE, payload)
        interval = self.config.mode.dance_publish_interval_s
        if result.dance is not None and frame.timestamp_s - self._last_dance_publish >= interval:
            self._last_dance_publish = frame.timestamp_s
            payload = topics.dance_payload(result.dance, self.session_id)
            self._event(topics.DANCE, payload)
            self._genre = (payload["genre"], payload["genre_name"])
        self._apply_commands()
        self._publish_current()
        web_start = time.perf_counter()
        if self.web is not None:  # the page's share of the loop: a counter, two references
            self.web_state.frame()
            self.web.preview.offer(
                frame.image, None if result.pose is None else result.pose.landmarks
            )
        web_ms = 1000 * (time.perf_counter() - web_start)
        publish_ms = 1000 * (web_start - publish_start)
        timings = {**result.timings_ms, "capture": capture_ms, "publish": publish_ms, "web": web_ms}
        timings["total"] = sum(timings.values())
        self.stats.add_frame(timings)
        self._watchdog.alive()  # frames flow: tell systemd we are alive
        if self.stats.due(self.config.stats.interval_s):
            self._publish_stats()

    def _event(self, topic: str, payload: Mapping[str, object]) -> None:
        """An event to MQTT (through the queue) and to the kiosk page's state and stream."""
        self.publisher.publish_event(topic, payload)
        if self.web is not None:
            self.web_state.event(topic, payload)

    def _publish_reps(self, reps: list[RepEvent]) -> None:
        for rep in reps:
            payload = topics.rep_payload(rep, self.session_id)
            self._event(topics.REP, payload)
            if not rep.partial:
                self._last_rep_time = payload["time"]

    def _publish_current(self) -> None:
        """The retained `current` state, when anything in it changed (a rep, a phase, a
        genre, a command, a fault); a frame that changes nothing publishes nothing."""
        pipeline = self.pipeline
        count, partial = pipeline.tally()
        genre = self._genre if dances(pipeline.mode) else None
        state: dict[str, object] = dict(
            session_id=self.session_id, mode=pipeline.mode, selected_exercise=pipeline.exercise,
            exercise=pipeline.active, count=count, partial_count=partial, phase=pipeline.phase,
            genre=genre and genre[0], genre_name=genre and genre[1], fault=self._fault_text,
            last_rep_time=self._last_rep_time,
        )  # fmt: skip
        if state == self._current:
            return
        self._current = state
        self.publisher.publish_state(
            topics.CURRENT,
            topics.current_payload(t_s=self._t_s, **state),  # type: ignore[arg-type]
        )

    def _publish_stats(self) -> None:
        fps, latency, uptime = self.stats.take()
        # "publish" in stats is delivery: event put -> broker PUBACK, not the put itself.
        latency["publish"] = self.publisher.take_latency().mean_ms
        reps, partial = self.pipeline.tally()
        payload = topics.stats_payload(
            uptime_s=uptime, fps=fps, latency_ms=latency, dropped_frames=self.dropped_frames,
            queue_depth=self.queue.depth(), queue_dropped=self.queue.dropped,
            cpu_temp_c=cpu_temperature_c(), mode=self.pipeline.mode,
            exercise=self.pipeline.active or self.pipeline.exercise,
            reps=reps, partial_reps=partial,
        )  # fmt: skip
        self._event(topics.STATS, payload)

    def _apply_commands(self) -> None:
        while True:
            try:
                data, answer = self._commands.get_nowait()
            except queue.Empty:
                return
            ok, error = self._apply_command(data)
            if answer is not None:
                answer(ok, error)

    def _apply_command(self, data: bytes) -> tuple[bool, str | None]:
        """Parse, apply, reply on cmd/result: (ok, error) for the page's HTTP answer."""
        try:
            command = parse_command(data, set(self.pipeline.trackers) | set(SPECIAL_EXERCISES))
        except CommandError as exc:
            self.publisher.reply(False, error=str(exc), request_id=exc.request_id)
            return False, str(exc)
        try:
            self._apply(command)
        except ValueError as exc:
            self.publisher.reply(False, error=str(exc), command=command)
            return False, str(exc)
        self.publisher.reply(True, command=command)
        if self.web is not None:
            pipeline = self.pipeline
            exercise = pipeline.active or pipeline.exercise
            self.web_state.counting(
                pipeline.mode, pipeline.exercise, exercise, self._count(), self.session_id
            )
        return True, None

    def _count(self) -> int:
        """The reps published so far by the exercise being counted (0 while auto decides)."""
        return self.pipeline.tally()[0]

    def _apply(self, command: object) -> None:
        if isinstance(command, SetMode):
            self.pipeline.set_mode(command.mode)
        elif isinstance(command, SetExercise):
            self.pipeline.set_exercise(command.exercise)
        elif isinstance(command, ResetCount):
            self.pipeline.reset_count()
        elif isinstance(command, StartSession):
            self.session_id = command.session_id or topics.new_id()
            self.pipeline.reset_count()
        elif isinstance(command, EndSession):
            self.session_id = topics.new_id()
            self.pipeline.reset_count()
        if not isinstance(command, SetMode):  # the count starts again at 0
            self._last_rep_time = None
