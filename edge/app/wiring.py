"""What `dancepose run` is made of, built from the config: the source, the pipeline, the
publisher with its queue and Home Assistant discovery, the page and the device state."""

from __future__ import annotations

from pathlib import Path

from edge.app.pipeline import Pipeline
from edge.config import Config
from edge.counting.classifier import TfliteVotes
from edge.counting.pack import installed_packs, load_pack
from edge.follow import routine as routines
from edge.pose.estimator import create_estimator
from edge.publish.homeassistant import discovery_configs, discovery_messages, removal_messages
from edge.publish.topics import Topics
from edge.sources import open_source
from edge.sources.frame import FrameSource
from edge.sources.picamera import PiCameraSource


def open_configured_source(config: Config) -> FrameSource:
    source = config.source
    if source.kind == "picamera2":
        return PiCameraSource(source.width, source.height, source.fps)
    if source.kind == "camera":
        return open_source(source.camera_index)
    if source.kind == "url":
        return open_source(str(source.url))
    return open_source(str(source.path), loop=source.loop)


def build_pipeline(config: Config) -> Pipeline:
    pose = config.pose
    estimator = create_estimator(
        pose.backend, pose.threads, pose.detector_model, pose.landmark_model, pose.task,
        pose.max_people, pose.people_per_frame, pose.frame_budget_ms,
    )  # fmt: skip
    packs = [load_pack(folder) for folder in installed_packs(config.mode.packs_dir).values()]
    dance_dir = Path(config.mode.dance_model_dir)
    installed = (dance_dir / "metadata.json").is_file()
    pipeline = Pipeline.build(
        estimator, packs, TfliteVotes, dance_dir if installed else None, config.mode.mode,
        config.mode.exercise, first_routine(config),
    )  # fmt: skip
    pipeline.routines_dir = Path(config.mode.routines_dir)
    return pipeline


def recorded_routines(config: Config) -> list[str]:
    """The routines recorded under mode.routines_dir, by name."""
    return routines.recorded(Path(config.mode.routines_dir))


def first_routine(config: Config) -> Path | None:
    """The routine follow mode starts with: the configured one, else the first recorded."""
    folder = Path(config.mode.routines_dir)
    names = [config.mode.routine] if config.mode.routine else recorded_routines(config)
    return folder / names[0] if names and (folder / names[0] / routines.META).is_file() else None


def discovery(config: Config, pipeline: Pipeline, topics: Topics) -> list[tuple[str, bytes]]:
    """Home Assistant's retained configs, derived from what this device offers (off: empty
    retained configs, which remove the entities)."""
    if not config.mqtt.homeassistant_discovery:
        return removal_messages(topics)
    configs = discovery_configs(
        topics, list(pipeline.exercises), pipeline.modes, recorded_routines(config)
    )
    return discovery_messages(configs)
