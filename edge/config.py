"""The one TOML config file of a DancePose device, typed and validated when it is loaded.

A kiosk is configured by one file (/etc/dancepose/dancepose.toml on a Pi, see
firmware_config/). It is read once, at start, into frozen dataclasses, so that every
mistake is found before the camera or the broker is touched, and reported as ONE line that
names the key and the fix: under systemd the first journal line is often all an installer
reads.

Rules that are easy to get wrong and are therefore enforced here:

* unknown keys are errors, with a difflib suggestion (a typo must not silently fall back to
  a default);
* relative paths resolve against the config file's folder, not the working directory
  (systemd starts us in /);
* the MQTT password is never in this file (it is world-readable more often than not); it
  comes from $DANCEPOSE_MQTT_PASSWORD (systemd's EnvironmentFile) or mqtt.password_file;
* paths are checked to exist by default; `check_paths=False` skips that, for checking a
  Pi's config on another machine and for tests.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from edge.errors import UserError

REPO = Path(__file__).resolve().parents[1]
# The same defaults as edge.counting.pack / edge.dance.model (not imported: they pull numpy
# and the interpreter in, and a config check should stay instant).
DEFAULT_PACKS_DIR = REPO / "models" / "packs"
DEFAULT_DANCE_DIR = REPO / "models" / "dance"
PASSWORD_ENV = "DANCEPOSE_MQTT_PASSWORD"
STATE_DIRECTORY_ENV = "STATE_DIRECTORY"  # set by systemd for StateDirectory=
QUEUE_FILE = "events.sqlite"

SOURCE_KINDS = ("picamera2", "camera", "file", "url")
POSE_BACKENDS = ("litert", "mediapipe")  # edge.pose.estimator.BACKENDS
MODES = ("count", "dance", "both")
URL_SCHEMES = ("rtsp", "rtsps", "http", "https")

# Every key the file may hold, per table ("" = the top level). Also what unknown keys are
# matched against for the "did you mean" hint.
SCHEMA: dict[str, tuple[str, ...]] = {
    "": ("device_id", "source", "pose", "mode", "mqtt", "stats", "queue"),
    "source": ("kind", "camera_index", "path", "url", "loop", "width", "height", "fps"),
    "pose": ("backend", "threads", "detector_model", "landmark_model", "task"),
    "mode": ("mode", "exercise", "packs_dir", "dance_model_dir", "dance_publish_interval_s"),
    "mqtt": (
        "host", "port", "client_id", "topic_prefix", "qos", "keepalive", "username",
        "password_file", "tls_ca", "tls_cert", "tls_key", "homeassistant_discovery",
    ),
    "stats": ("interval_s",),
    "queue": ("path", "max_events"),
}  # fmt: skip
TABLES = tuple(name for name in SCHEMA if name)
ALL_KEYS = tuple(
    f"{table}.{key}" if table else key
    for table, keys in SCHEMA.items()
    for key in keys
    if key not in TABLES or table
)

_DEVICE_ID = re.compile(r"[a-z0-9_-]{1,64}")
_PACK_NAME = re.compile(r"[a-z0-9_-]{1,64}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_HOST = re.compile(r"[A-Za-z0-9.:_-]{1,253}")
_TOPIC_LEVEL = re.compile(r"[A-Za-z0-9_-]+")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

T = TypeVar("T")


class ConfigError(UserError, ValueError):
    """One mistake in the config file: one line that names the key (dotted) and the fix.

    `key` is the dotted key (None for a file that is not TOML at all); `path` the file, when
    the config came from one. str() is "PATH: message" then, else just the message.
    """

    def __init__(self, message: str, key: str | None = None, path: Path | None = None) -> None:
        super().__init__(message)
        self.message, self.key, self.path = message, key, path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path is not None else self.message


@dataclass(frozen=True)
class SourceConfig:
    """Where frames come from. Only the keys of the chosen kind matter; others are ignored."""

    kind: str = "picamera2"
    camera_index: int = 0  # kind = "camera": /dev/video<N> through OpenCV
    path: Path | None = None  # kind = "file"
    url: str | None = None  # kind = "url": rtsp(s):// or http(s)://
    loop: bool = False  # kind = "file": start again at the end (demos)
    # Requests, not guarantees: the camera picks its nearest mode. BlazePose sees 256x256,
    # so 640x480 loses nothing and costs a Pi far less than 1280x720 to capture and resize.
    width: int = 640
    height: int = 480
    fps: float = 30.0

    def spec(self) -> str | int:
        """What edge.sources.open_source takes for camera, file and url kinds."""
        if self.kind == "camera":
            return self.camera_index
        if self.kind == "file":
            return str(self.path)
        if self.kind == "url":
            return str(self.url)
        raise ValueError("a picamera2 source is opened by edge.sources.picamera, not by spec")

    def describe(self) -> str:
        size = f"{self.width}x{self.height}@{self.fps:g}"
        if self.kind == "picamera2":
            return f"picamera2 {size}"
        if self.kind == "camera":
            return f"camera {self.camera_index} {size}"
        if self.kind == "file":
            return f"file {self.path}" + (" (looped)" if self.loop else "")
        return f"url {_redact_url(str(self.url))}"


@dataclass(frozen=True)
class PoseConfig:
    """The pose backend; None model paths mean the `make models` defaults."""

    backend: str = "litert"
    threads: int = 2
    detector_model: Path | None = None
    landmark_model: Path | None = None
    task: Path | None = None


@dataclass(frozen=True)
class ModeConfig:
    """What the device does with the landmarks: count reps, name the dance genre, or both."""

    mode: str = "count"
    exercise: str = "auto"  # a pack name under packs_dir, or auto
    packs_dir: Path = DEFAULT_PACKS_DIR
    dance_model_dir: Path = DEFAULT_DANCE_DIR
    dance_publish_interval_s: float = 1.0  # at most one genre message per interval

    @property
    def counts(self) -> bool:
        return self.mode in ("count", "both")

    @property
    def dances(self) -> bool:
        return self.mode in ("dance", "both")


@dataclass(frozen=True)
class MqttConfig:
    """The broker. The password is not a field: read_password() fetches it when connecting,
    so it never sits in a repr, a log line or to_toml_dict()."""

    host: str = "localhost"
    port: int = 1883
    client_id: str = ""  # "" in the file is not allowed; load_config fills dancepose-<id>
    topic_prefix: str = "dancepose"
    qos: int = 1
    keepalive: int = 60
    username: str | None = None
    password_file: Path | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    homeassistant_discovery: bool = False

    @property
    def tls(self) -> bool:
        """TLS is on when a CA or a client certificate is given (system CAs: give their
        bundle, /etc/ssl/certs/ca-certificates.crt, as tls_ca)."""
        return self.tls_ca is not None or self.tls_cert is not None

    def read_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """$DANCEPOSE_MQTT_PASSWORD if set, else the first line of password_file, else None."""
        env = os.environ if environ is None else environ
        if env.get(PASSWORD_ENV):
            return env[PASSWORD_ENV]
        if self.password_file is None:
            return None
        try:
            lines = self.password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"mqtt.password_file: cannot read {self.password_file} ({exc}); "
                "it must be readable by the dancepose user",
                "mqtt.password_file",
            ) from exc
        return lines[0] if lines else ""


@dataclass(frozen=True)
class StatsConfig:
    interval_s: float = 60.0  # how often the stats message (fps, latency, queue) is published


@dataclass(frozen=True)
class QueueConfig:
    """The on-device store-and-forward queue that holds events while the broker is away."""

    path: Path = field(default_factory=lambda: default_queue_path())
    max_events: int = 100_000  # oldest dropped beyond this (a full SD card helps nobody)


@dataclass(frozen=True)
class Config:
    device_id: str
    source: SourceConfig = field(default_factory=SourceConfig)
    pose: PoseConfig = field(default_factory=PoseConfig)
    mode: ModeConfig = field(default_factory=ModeConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    stats: StatsConfig = field(default_factory=StatsConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    config_path: Path | None = field(default=None, compare=False)

    @property
    def topic_root(self) -> str:
        """Every topic of this device starts here: <topic_prefix>/<device_id>."""
        return f"{self.mqtt.topic_prefix}/{self.device_id}"

    def to_toml_dict(self) -> dict[str, Any]:
        """The resolved config as TOML-ready tables (absolute paths, None left out), such that
        config_from_dict(c.to_toml_dict()) == c. No secret is in it: the password never is."""
        out: dict[str, Any] = {"device_id": self.device_id}
        for table in TABLES:
            section = getattr(self, table)
            values: dict[str, Any] = {}
            for key in SCHEMA[table]:
                value = getattr(section, key)
                if value is None:
                    continue
                values[key] = str(value) if isinstance(value, Path) else value
            out[table] = values
        return out

    def to_toml(self) -> str:
        """to_toml_dict() written as TOML text (tomllib reads; the stdlib has no writer)."""
        return dumps_toml(self.to_toml_dict())

    def summary(self) -> list[str]:
        """A few human lines, for `dancepose check-config` and the service's start log."""
        pose_models = [
            f"{name}={getattr(self.pose, name)}"
            for name in ("detector_model", "landmark_model", "task")
            if getattr(self.pose, name) is not None
        ]
        mode = self.mode
        what = [mode.mode]
        if mode.counts:
            what.append(f"exercise {mode.exercise} (packs {mode.packs_dir})")
        if mode.dances:
            what.append(
                f"dance model {mode.dance_model_dir}, "
                f"genre at most every {mode.dance_publish_interval_s:g} s"
            )
        mqtt = self.mqtt
        auth = f"user {mqtt.username}" if mqtt.username else "no user"
        security = "TLS" if mqtt.tls else "no TLS"
        ha = ", Home Assistant discovery" if mqtt.homeassistant_discovery else ""
        return [
            f"device   {self.device_id}",
            f"source   {self.source.describe()}",
            f"pose     {self.pose.backend}, {self.pose.threads} threads, "
            + (", ".join(pose_models) if pose_models else "default models"),
            f"mode     {'; '.join(what)}",
            f"mqtt     {mqtt.host}:{mqtt.port} as {mqtt.client_id}, qos {mqtt.qos}, "
            f"topics {self.topic_root}/..., {auth}, {security}{ha}",
            f"stats    every {self.stats.interval_s:g} s",
            f"queue    {self.queue.path} (at most {self.queue.max_events} events)",
        ]


def default_queue_path(environ: Mapping[str, str] | None = None) -> Path:
    """$STATE_DIRECTORY/events.sqlite under systemd (StateDirectory=dancepose gives
    /var/lib/dancepose, the one writable place under ProtectSystem=strict), else
    ./state/events.sqlite for a developer's run."""
    env = os.environ if environ is None else environ
    state = env.get(STATE_DIRECTORY_ENV, "")
    # systemd joins several StateDirectory= entries with ':'; ours is the first.
    first = state.split(":")[0]
    if first:
        return Path(first) / QUEUE_FILE
    return Path.cwd() / "state" / QUEUE_FILE


def default_device_id() -> str:
    """The host name made into a device id: one image flashed onto many kiosks then needs
    no per-device edit, as long as provisioning sets distinct host names."""
    name = socket.gethostname().split(".")[0].lower()
    name = re.sub(r"[^a-z0-9_-]+", "-", name).strip("-")[:64]
    return name or "dancepose"


def load_config(path: str | os.PathLike[str], check_paths: bool = True) -> Config:
    """Read and validate one config file; ConfigError (one line, naming the key) if wrong.

    check_paths=False skips the checks that files and folders exist (checking a Pi's config
    elsewhere, tests); types, ranges and unknown keys are always checked.
    """
    config_path = Path(path)
    try:
        with config_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            "config file not found; give the path of a dancepose.toml "
            "(firmware_config/dancepose.toml is the documented default)",
            path=config_path,
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError("is a folder; give the path of a .toml file", path=config_path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror or exc})", path=config_path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text; save the file as UTF-8", path=config_path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"not valid TOML: {_one_line(str(exc))}; check quotes around strings "
            "and [table] headers",
            path=config_path,
        ) from exc
    base_dir = Path(os.path.abspath(config_path)).parent
    try:
        config = config_from_dict(data, base_dir, check_paths=check_paths)
    except ConfigError as exc:
        exc.path = config_path
        raise
    return replace(config, config_path=config_path)


def config_from_dict(
    data: Mapping[str, Any], base_dir: Path | None = None, check_paths: bool = True
) -> Config:
    """Validate parsed TOML; relative paths resolve against base_dir (default: cwd)."""
    reader = _Reader(Path.cwd() if base_dir is None else base_dir, check_paths)
    if not isinstance(data, Mapping):
        raise ConfigError(f"expected TOML tables at the top, got {_show(data)}")
    mqtt_table = data.get("mqtt")
    if isinstance(mqtt_table, Mapping) and "password" in mqtt_table:
        raise ConfigError(
            "mqtt.password: the password must not be in the config file; set it in the "
            f"environment variable {PASSWORD_ENV} (systemd: EnvironmentFile=/etc/dancepose/env) "
            "or put it in a file named by mqtt.password_file",
            "mqtt.password",
        )
    _check_keys(data, "")
    tables: dict[str, Mapping[str, Any]] = {}
    for table in TABLES:
        value = data.get(table, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"{table}: expected a [{table}] table, got {_show(value)}", table)
        _check_keys(value, table)
        tables[table] = value

    device_id = reader.get(
        data,
        "device_id",
        _pattern(_DEVICE_ID, "lowercase letters, digits, '-' or '_', like 'kiosk-01'"),
        None,
    )
    if device_id is None:
        device_id = default_device_id()
    return Config(
        device_id=device_id,
        source=_source(reader, tables["source"]),
        pose=_pose(reader, tables["pose"]),
        mode=_mode(reader, tables["mode"]),
        mqtt=_mqtt(reader, tables["mqtt"], device_id),
        stats=StatsConfig(
            interval_s=reader.get(tables["stats"], "stats.interval_s", _number(0, 86400), 60.0)
        ),
        queue=QueueConfig(
            path=reader.path(tables["queue"], "queue.path", default_queue_path(), must_exist=False),
            max_events=reader.get(
                tables["queue"], "queue.max_events", _integer(1, 100_000_000), 100_000
            ),
        ),
    )


# --- the tables ------------------------------------------------------------------------


def _source(reader: _Reader, table: Mapping[str, Any]) -> SourceConfig:
    kind = reader.get(table, "source.kind", _choice(SOURCE_KINDS), "picamera2")
    path = reader.path(table, "source.path", None, must_exist=kind == "file", kind="file")
    if kind == "file" and path is None:
        raise ConfigError(
            'source.path: required when source.kind = "file"; give the video file\'s path',
            "source.path",
        )
    url = reader.get(table, "source.url", _url, None)
    if kind == "url" and url is None:
        raise ConfigError(
            'source.url: required when source.kind = "url"; give an rtsp:// or http:// URL',
            "source.url",
        )
    return SourceConfig(
        kind=kind,
        camera_index=reader.get(table, "source.camera_index", _integer(0, 63), 0),
        path=path,
        url=url,
        loop=reader.get(table, "source.loop", _boolean, False),
        width=reader.get(table, "source.width", _integer(32, 8192), 640),
        height=reader.get(table, "source.height", _integer(32, 8192), 480),
        fps=reader.get(table, "source.fps", _number(0, 240), 30.0),
    )


def _pose(reader: _Reader, table: Mapping[str, Any]) -> PoseConfig:
    return PoseConfig(
        backend=reader.get(table, "pose.backend", _choice(POSE_BACKENDS), "litert"),
        threads=reader.get(table, "pose.threads", _integer(1, 8), 2),
        detector_model=reader.path(table, "pose.detector_model", None, kind="file"),
        landmark_model=reader.path(table, "pose.landmark_model", None, kind="file"),
        task=reader.path(table, "pose.task", None, kind="file"),
    )


def _mode(reader: _Reader, table: Mapping[str, Any]) -> ModeConfig:
    mode = reader.get(table, "mode.mode", _choice(MODES), "count")
    counts, dances = mode in ("count", "both"), mode in ("dance", "both")
    exercise = reader.get(table, "mode.exercise", _exercise, "auto")
    packs_dir = reader.path(
        table,
        "mode.packs_dir",
        DEFAULT_PACKS_DIR,
        must_exist=counts,
        kind="folder",
        fix="; the packs come with DancePose (models/packs), `make packs` rebuilds them",
    )
    # packs_dir is known to exist here (checked above), so is_file() cannot raise.
    checked = counts and reader.check_paths and exercise != "auto"
    if checked and not (packs_dir / exercise / "pack.json").is_file():
        found = sorted(p.parent.name for p in packs_dir.glob("*/pack.json"))
        raise ConfigError(
            f"mode.exercise: no pack {exercise!r} in {packs_dir}; use auto or one of "
            + (", ".join(found) if found else "(none there: run `make packs`)"),
            "mode.exercise",
        )
    dance_dir = reader.path(
        table,
        "mode.dance_model_dir",
        DEFAULT_DANCE_DIR,
        must_exist=dances,
        kind="folder",
        fix='; run `make dance-model`, or set mode.mode = "count"',
    )
    return ModeConfig(
        mode=mode,
        exercise=exercise,
        packs_dir=packs_dir,
        dance_model_dir=dance_dir,
        dance_publish_interval_s=reader.get(
            table, "mode.dance_publish_interval_s", _number(0, 3600, allow_zero=True), 1.0
        ),
    )


def _mqtt(reader: _Reader, table: Mapping[str, Any], device_id: str) -> MqttConfig:
    username = reader.get(table, "mqtt.username", _text("a user name"), None)
    password_file = reader.path(table, "mqtt.password_file", None, kind="file")
    if password_file is not None and username is None:
        raise ConfigError(
            "mqtt.password_file: set mqtt.username too (MQTT sends a password only with a "
            "user name)",
            "mqtt.password_file",
        )
    tls_cert = reader.path(table, "mqtt.tls_cert", None, kind="file")
    tls_key = reader.path(table, "mqtt.tls_key", None, kind="file")
    if (tls_cert is None) != (tls_key is None):
        missing = "mqtt.tls_key" if tls_key is None else "mqtt.tls_cert"
        raise ConfigError(
            f"{missing}: required when {'mqtt.tls_cert' if tls_key is None else 'mqtt.tls_key'}"
            " is set; a client certificate and its key go together",
            missing,
        )
    return MqttConfig(
        host=reader.get(table, "mqtt.host", _host, "localhost"),
        port=reader.get(table, "mqtt.port", _integer(1, 65535), 1883),
        client_id=reader.get(
            table,
            "mqtt.client_id",
            _pattern(_CLIENT_ID, "letters, digits, '.', '-' or '_'"),
            f"dancepose-{device_id}",
        ),
        topic_prefix=reader.get(table, "mqtt.topic_prefix", _topic_prefix, "dancepose"),
        qos=reader.get(table, "mqtt.qos", _qos, 1),
        keepalive=reader.get(table, "mqtt.keepalive", _integer(5, 3600), 60),
        username=username,
        password_file=password_file,
        tls_ca=reader.path(table, "mqtt.tls_ca", None, kind="file"),
        tls_cert=tls_cert,
        tls_key=tls_key,
        homeassistant_discovery=reader.get(table, "mqtt.homeassistant_discovery", _boolean, False),
    )


# --- reading and checking values -------------------------------------------------------

Check = Callable[[str, Any], Any]  # (dotted key, raw value) -> parsed value, or ConfigError


class _Reader:
    """Fetches one key from a table, applying its check; knows where relative paths go."""

    def __init__(self, base_dir: Path, check_paths: bool) -> None:
        self.base_dir, self.check_paths = base_dir, check_paths

    def get(self, table: Mapping[str, Any], key: str, check: Check, default: T) -> T:
        name = key.rsplit(".", 1)[-1]
        if name not in table:
            return default
        return check(key, table[name])

    def path(
        self,
        table: Mapping[str, Any],
        key: str,
        default: T,
        must_exist: bool = True,
        kind: str = "file",
        fix: str = "",
    ) -> Path | T:
        """A path, made absolute against the config's folder; checked to exist (a file or a
        folder, per kind) when must_exist and the reader checks paths."""
        name = key.rsplit(".", 1)[-1]
        if name not in table:
            path: Path | T = default
        else:
            raw = _text("a path")(key, table[name])
            if "\0" in raw:
                raise ConfigError(f"{key}: a path cannot contain a NUL character", key)
            candidate = Path(raw)
            if raw.startswith("~"):
                try:
                    candidate = candidate.expanduser()
                except RuntimeError as exc:
                    raise ConfigError(
                        f"{key}: cannot expand {raw!r} ({exc}); give an absolute path", key
                    ) from exc
            if not candidate.is_absolute():
                candidate = self.base_dir / candidate
            path = Path(os.path.normpath(candidate))
        if must_exist and self.check_paths and isinstance(path, Path):
            self._exists(key, path, kind, name in table, fix)
        return path

    def _exists(self, key: str, path: Path, kind: str, given: bool, fix: str) -> None:
        try:
            ok = path.is_dir() if kind == "folder" else path.is_file()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{key}: cannot check {path} ({exc})", key) from exc
        if ok:
            return
        where = (
            f" (relative paths are resolved against {self.base_dir})"
            if given
            else f" (the default; set {key} to another place)"
        )
        raise ConfigError(f"{key}: {kind} not found: {path}{where}{fix}", key)


def _check_keys(table: Mapping[str, Any], name: str) -> None:
    """Unknown keys are errors: a typo would otherwise mean a silent default."""
    allowed = SCHEMA[name]
    for key in table:
        if key in allowed:
            continue
        dotted = f"{name}.{_show_key(key)}" if name else _show_key(key)
        hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        suggestion = f"{name}.{hint[0]}" if hint and name else (hint[0] if hint else None)
        if suggestion is None:
            # The key may belong to another table (interval_s under [mqtt], port at the top).
            elsewhere = {
                k.rsplit(".", 1)[-1]: k for k in ALL_KEYS if k.rsplit(".", 1)[0] != (name or k)
            }
            close = difflib.get_close_matches(str(key), elsewhere, n=1, cutoff=0.8)
            suggestion = elsewhere[close[0]] if close else None
        if suggestion is not None:
            raise ConfigError(f"unknown key {dotted} (did you mean {suggestion}?)", dotted)
        if name:
            takes = f"[{name}] takes " + ", ".join(allowed)
        else:
            takes = "the top level takes device_id and the tables " + ", ".join(
                f"[{t}]" for t in TABLES
            )
        raise ConfigError(f"unknown key {dotted}; {takes}", dotted)


def _integer(low: int, high: int) -> Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{key}: expected an integer {low}-{high}, got {_show(value)}", key)
        return value

    return check


def _number(low: float, high: float, allow_zero: bool = False) -> Check:
    """A number in (low, high] (or [low, high] with allow_zero): intervals and rates."""

    def check(key: str, value: Any) -> float:
        # Compare before any float(): a huge TOML integer would overflow the conversion.
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and not (isinstance(value, float) and math.isnan(value))
        ok = ok and (low <= value if allow_zero else low < value) and value <= high
        if not ok:
            bound = ">=" if allow_zero else ">"
            raise ConfigError(
                f"{key}: expected a number {bound} {low:g} and <= {high:g}, got {_show(value)}",
                key,
            )
        return float(value)

    return check


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false (no quotes), got {_show(value)}", key)
    return value


def _text(what: str) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{key}: expected {what} (a quoted string), got {_show(value)}", key)
        return value

    return check


def _choice(options: tuple[str, ...]) -> Check:
    def check(key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ConfigError(
                f"{key}: expected one of {', '.join(options)} (a quoted string), "
                f"got {_show(value)}",
                key,
            )
        if value not in options:
            raise ConfigError(
                f"{key}: unknown value {_show(value)}; use one of {', '.join(options)}", key
            )
        return value

    return check


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise ConfigError(f"{key}: expected {what}, got {_show(value)}", key)
        return value

    return check


def _exercise(key: str, value: Any) -> str:
    if isinstance(value, str) and (value == "auto" or _PACK_NAME.fullmatch(value)):
        return value
    raise ConfigError(
        f"{key}: expected auto or a pack name (a folder under mode.packs_dir, like 'squat'), "
        f"got {_show(value)}",
        key,
    )


def _url(key: str, value: Any) -> str:
    text = _text("a URL")(key, value)
    try:
        parts = urlsplit(text)
        ok = (
            parts.scheme in URL_SCHEMES
            and bool(parts.hostname)
            and not any(c.isspace() for c in text)
        )
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(
            f"{key}: expected an rtsp://, rtsps://, http:// or https:// URL with a host, "
            f"got {_show(_redact_url(text))}",
            key,
        )
    return text


def _host(key: str, value: Any) -> str:
    if isinstance(value, str) and "://" in value:
        raise ConfigError(
            f"{key}: give only the host name or address, without a scheme (port and TLS are "
            f"mqtt.port and mqtt.tls_ca), got {_show(value)}",
            key,
        )
    if not isinstance(value, str) or not _HOST.fullmatch(value):
        raise ConfigError(f"{key}: expected a host name or IP address, got {_show(value)}", key)
    return value


def _topic_prefix(key: str, value: Any) -> str:
    ok = isinstance(value, str) and all(_TOPIC_LEVEL.fullmatch(level) for level in value.split("/"))
    if not ok:
        raise ConfigError(
            f"{key}: expected topic levels of letters, digits, '-' or '_' joined by '/' (no "
            f"wildcards, no leading or trailing '/'), like 'dancepose', got {_show(value)}",
            key,
        )
    return value


def _qos(key: str, value: Any) -> int:
    if isinstance(value, bool) or value not in (0, 1) or not isinstance(value, int):
        raise ConfigError(
            f"{key}: expected 0 or 1 (1 = at least once, what the queue relies on), "
            f"got {_show(value)}",
            key,
        )
    return int(value)


def _show(value: Any, limit: int = 60) -> str:
    """repr(), one line and short: the message must stay a single journal line."""
    text = repr(value)
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show_key(key: Any) -> str:
    """A key as it would be written in TOML: bare when it can be, else quoted."""
    text = str(key)
    return text if _BARE_KEY.fullmatch(text) else _one_line(repr(text))


def _one_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def _redact_url(url: str) -> str:
    """A URL without its password (camera URLs often carry one), for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return "<unparsable URL>"


# --- writing TOML (to_toml) ------------------------------------------------------------


def dumps_toml(tables: Mapping[str, Any]) -> str:
    """TOML text for our shape: top-level scalars, then one level of tables of scalars."""
    scalars = [f"{key} = {_toml_value(v)}" for key, v in tables.items() if not isinstance(v, dict)]
    lines = [*scalars]
    for name, table in tables.items():
        if isinstance(table, dict):
            lines.append("")
            lines.append(f"[{name}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _toml_string(text: str) -> str:
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
    short["\r"] = "\\r"
    out = []
    for char in text:
        if char in short:
            out.append(short[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
