"""The one TOML config file of a DancePose device, typed and validated when it is loaded.

A kiosk is configured by one file (/etc/dancepose/dancepose.toml on a Pi, see
firmware_config/). It is read once, at start, into frozen pydantic models, so that every
mistake is found before the camera or the broker is touched. Each key is declared once,
as one field (type, default, constraint, description); the key list (SCHEMA), the "did
you mean" hints, the messages and to_toml() are derived from those fields.

All the mistakes of a file are reported at once, one line each that names the dotted key
and the fix: under systemd the first journal lines are often all an installer reads.

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
import ipaddress
import os
import re
import socket
import tomllib
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin
from urllib.parse import urlsplit

import annotated_types
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from edge.errors import UserError
from edge.modes import SPECIAL_EXERCISES, Mode, counts, dances

REPO = Path(__file__).resolve().parents[1]
# The same defaults as edge.counting.pack / edge.dance.model (not imported: they pull numpy
# and the interpreter in, and a config check should stay instant).
DEFAULT_PACKS_DIR = REPO / "models" / "packs"
DEFAULT_DANCE_DIR = REPO / "models" / "dance"
PASSWORD_ENV = "DANCEPOSE_MQTT_PASSWORD"
WEB_TOKEN_ENV = "DANCEPOSE_WEB_TOKEN"
MIN_TOKEN_CHARS = 16
STATE_DIRECTORY_ENV = "STATE_DIRECTORY"  # set by systemd for StateDirectory=
QUEUE_FILE = "events.sqlite"

SourceKind = Literal["picamera2", "camera", "file", "url"]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
PoseBackend = Literal["litert", "mediapipe"]  # edge.pose.estimator.BACKENDS
POSE_BACKENDS: tuple[str, ...] = get_args(PoseBackend)
URL_SCHEMES = ("rtsp", "rtsps", "http", "https")

_CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ERROR = "config"  # the type of the errors our own checks raise (message is the text)
_ISSUES = "config_issues"  # several at once, from a table's cross-key checks


class Expect:
    """Field metadata: what a value of this key looks like, for its error message, where
    the type and constraints alone would not say it well (patterns)."""

    def __init__(self, text: str) -> None:
        self.text = text


class ConfigError(UserError, ValueError):
    """The mistakes of one config file: one line each, naming the key (dotted) and the fix.

    `issues` holds (dotted key, message) pairs in file order; `key` and `message` are the
    first key and all messages, one per line. The key is None for a file that is not TOML
    at all. `path` is the file, when the config came from one: every line of str() then
    starts "PATH: ".
    """

    def __init__(self, message: str, key: str | None = None, path: Path | None = None) -> None:
        super().__init__(message)
        self.issues: list[tuple[str | None, str]] = [(key, message)]
        self.path = path

    @classmethod
    def of(cls, issues: Sequence[tuple[str | None, str]]) -> ConfigError:
        error = cls(issues[0][1], issues[0][0])
        error.issues = list(issues)
        return error

    @property
    def key(self) -> str | None:
        return self.issues[0][0]

    @property
    def keys(self) -> list[str | None]:
        return [key for key, _ in self.issues]

    @property
    def message(self) -> str:
        return "\n".join(message for _, message in self.issues)

    def __str__(self) -> str:
        prefix = "" if self.path is None else f"{self.path}: "
        return "\n".join(prefix + message for _, message in self.issues)


# --- value types shared by several keys ----------------------------------------------------


def _fail(text: str) -> PydanticCustomError:
    return PydanticCustomError(_ERROR, text)


def _context(info: ValidationInfo) -> tuple[Path | None, bool]:
    """(base_dir, check_paths) from config_from_dict; code that builds a model itself
    gives no context: its paths are taken as they are and not checked."""
    context = info.context if isinstance(info.context, Mapping) else {}
    return context.get("base_dir"), bool(context.get("check_paths", False))


def _path(value: Any, info: ValidationInfo) -> Path:
    """A path, made absolute against the config file's folder (a Path from code is kept)."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"expected a path (a quoted string), got {_show(value)}")
    if "\0" in value:
        raise _fail("a path cannot contain a NUL character")
    path = Path(value)
    if value.startswith("~"):
        try:
            path = path.expanduser()
        except RuntimeError as exc:
            raise _fail(f"cannot expand {value!r} ({exc}); give an absolute path") from exc
    base_dir, _ = _context(info)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return Path(os.path.normpath(path)) if base_dir is not None else path


def _file(value: Any, info: ValidationInfo) -> Path:
    """A path that must name an existing file (checked when paths are checked)."""
    path = _path(value, info)
    problem = _missing(info, path, "file", given=True)
    if problem:
        raise _fail(problem)
    return path


def _url(value: Any) -> str:
    ok = isinstance(value, str) and bool(value.strip())
    try:
        parts = urlsplit(value) if ok else None
        ok = parts is not None and parts.scheme in URL_SCHEMES and bool(parts.hostname)
        ok = ok and not any(c.isspace() for c in value)
    except ValueError:
        ok = False
    if not ok:
        shown = _redact_url(value) if isinstance(value, str) else value
        raise _fail(
            "expected an rtsp://, rtsps://, http:// or https:// URL with a host, "
            f"got {_show(shown)}"
        )
    return str(value)


def _no_scheme(value: Any) -> Any:
    if isinstance(value, str) and "://" in value:
        raise _fail(
            "give only the host name or address, without a scheme (port and TLS are "
            f"mqtt.port and mqtt.tls_ca), got {_show(value)}"
        )
    return value


ConfigPath = Annotated[Path, BeforeValidator(_path)]
ExistingFile = Annotated[Path, BeforeValidator(_file)]
Url = Annotated[str, BeforeValidator(_url)]


class _Table(BaseModel):
    """What every table shares: unknown keys are errors, no type coercion (TOML has types:
    "1883" is not a port, 1 is not true), and values never change after loading."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    def replace(self, **changes: Any) -> Self:
        """A copy with some values changed, validated again (dataclasses.replace, checked)."""
        try:
            return type(self).model_validate({**dict(self), **changes})
        except ValidationError as exc:
            raise ConfigError.of(_issues(exc, type(self))) from exc


def _raise_issues(issues: list[tuple[str, str]]) -> None:
    """Several cross-key mistakes of one table at once: (key within the table, message)."""
    if issues:
        raise PydanticCustomError(_ISSUES, "several mistakes", {"issues": issues})


# --- the tables ----------------------------------------------------------------------------


class SourceConfig(_Table):
    """Where frames come from. Only the keys of the chosen kind matter; others are ignored."""

    kind: SourceKind = Field(
        "picamera2",
        description="picamera2 (the Pi camera), camera (OpenCV /dev/video<N>), file or url",
    )
    camera_index: int = Field(0, ge=0, le=63, description='kind = "camera": /dev/video<N>')
    path: ConfigPath | None = Field(None, description='kind = "file": the video file')
    url: Url | None = Field(None, description='kind = "url": an rtsp(s):// or http(s):// URL')
    loop: bool = Field(False, description='kind = "file": start again at the end (demos)')
    # Requests, not guarantees: the camera picks its nearest mode. BlazePose sees 256x256,
    # so 640x480 loses nothing and costs a Pi far less than 1280x720 to capture and resize.
    width: int = Field(640, ge=32, le=8192, description="requested capture width, pixels")
    height: int = Field(480, ge=32, le=8192, description="requested capture height, pixels")
    fps: float = Field(30.0, gt=0, le=240, allow_inf_nan=False, description="requested rate")

    @model_validator(mode="after")
    def _what_the_kind_needs(self, info: ValidationInfo) -> Self:
        issues = []
        if self.kind == "file" and self.path is None:
            issues.append(
                ("path", 'required when source.kind = "file"; give the video file\'s path')
            )
        elif self.kind == "file" and self.path is not None:
            problem = _missing(info, self.path, "file", given=True)
            issues += [("path", problem)] if problem else []
        if self.kind == "url" and self.url is None:
            issues.append(
                ("url", 'required when source.kind = "url"; give an rtsp:// or http:// URL')
            )
        _raise_issues(issues)
        return self

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


class PoseConfig(_Table):
    """The pose backend; None model paths mean the `make models` defaults."""

    backend: PoseBackend = Field("litert", description="litert (ours) or mediapipe (reference)")
    threads: int = Field(2, ge=1, le=8, description="interpreter threads")
    detector_model: ExistingFile | None = Field(None, description="pose_detection.tflite")
    landmark_model: ExistingFile | None = Field(None, description="pose_landmark_*.tflite")
    task: ExistingFile | None = Field(None, description="a MediaPipe .task bundle instead")


_EXERCISE = (
    f"{', '.join(SPECIAL_EXERCISES)} or a pack name (a folder under mode.packs_dir, like 'squat')"
)


class ModeConfig(_Table):
    """What the device does with the landmarks: count reps, name the dance genre, or both."""

    mode: Mode = Field("count", description="count reps, name the dance genre, or both")
    exercise: Annotated[str, Expect(_EXERCISE)] = Field(
        "auto", pattern=r"^[a-z0-9_-]{1,64}$", description="a pack name, auto or any"
    )
    packs_dir: ConfigPath = Field(DEFAULT_PACKS_DIR, description="the exercise packs' folder")
    dance_model_dir: ConfigPath = Field(DEFAULT_DANCE_DIR, description="the dance model folder")
    dance_publish_interval_s: float = Field(
        1.0, ge=0, le=3600, allow_inf_nan=False, description="at most one genre message per"
    )

    @model_validator(mode="after")
    def _folders_the_mode_needs(self, info: ValidationInfo) -> Self:
        given = self.model_fields_set
        issues = []
        if self.counts:
            fix = "; the packs come with DancePose (models/packs), `make packs` rebuilds them"
            given_dir = "packs_dir" in given
            missing = _missing(info, self.packs_dir, "folder", given_dir, "mode.packs_dir", fix)
            if missing:
                issues.append(("packs_dir", missing))
            elif _context(info)[1] and self.exercise not in SPECIAL_EXERCISES:
                issues += self._pack_missing()
        if self.dances:
            fix = '; run `make dance-model`, or set mode.mode = "count"'
            given_dir = "dance_model_dir" in given
            key = "mode.dance_model_dir"
            missing = _missing(info, self.dance_model_dir, "folder", given_dir, key, fix)
            if missing:
                issues.append(("dance_model_dir", missing))
        _raise_issues(issues)
        return self

    def _pack_missing(self) -> list[tuple[str, str]]:
        """[] when exercise names an installed pack, else the issue that says which are."""
        if (self.packs_dir / self.exercise / "pack.json").is_file():
            return []
        found = sorted(p.parent.name for p in self.packs_dir.glob("*/pack.json"))
        return [(
            "exercise",
            f"no pack {self.exercise!r} in {self.packs_dir}; use "
            f"{', '.join(SPECIAL_EXERCISES)} or one of "
            + (", ".join(found) if found else "(none there: run `make packs`)"),
        )]  # fmt: skip

    @property
    def counts(self) -> bool:
        return counts(self.mode)

    @property
    def dances(self) -> bool:
        return dances(self.mode)


class MqttConfig(_Table):
    """The broker. The password is not a field: read_password() fetches it when connecting,
    so it never sits in a repr, a log line or to_toml_dict()."""

    host: Annotated[str, BeforeValidator(_no_scheme), Expect("a host name or IP address")] = Field(
        "localhost", pattern=r"^[A-Za-z0-9.:_-]{1,253}$", description="the broker"
    )
    port: int = Field(1883, ge=1, le=65535, description="the broker's port; 8883 for TLS")
    client_id: Annotated[str | None, Expect("letters, digits, '.', '-' or '_'")] = Field(
        None, pattern=f"^{_CLIENT_ID.pattern}$", description="left out: dancepose-<device_id>"
    )
    topic_prefix: Annotated[
        str, Expect("topic levels of letters, digits, '-' or '_' joined by '/' (no wildcards, "
                    "no leading or trailing '/'), like 'dancepose'")
    ] = Field("dancepose", pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
              description="topics are <topic_prefix>/<device_id>/...")  # fmt: skip
    # 0 = at most once; 1 = at least once, what the queue's delete-on-PUBACK relies on (the
    # publisher's design covers 0 and 1; 2 adds a round trip and nothing the queue needs).
    qos: int = Field(1, ge=0, le=1, description="0 = at most once, 1 = at least once")
    keepalive: int = Field(60, ge=5, le=3600, description="seconds between keepalive pings")
    username: Annotated[str | None, Expect("a user name (a quoted string)")] = Field(
        None, pattern=r"\S", description="MQTT login; the password comes from env or file"
    )
    password_file: ExistingFile | None = Field(None, description="its first line: the password")
    tls_ca: ExistingFile | None = Field(None, description="CA bundle; given: TLS is on")
    tls_cert: ExistingFile | None = Field(None, description="client certificate (with tls_key)")
    tls_key: ExistingFile | None = Field(None, description="client key (with tls_cert)")
    homeassistant_discovery: bool = Field(
        False, description="publish Home Assistant discovery configs; false: remove them"
    )

    @model_validator(mode="after")
    def _keys_that_go_together(self) -> Self:
        issues = []
        if self.password_file is not None and self.username is None:
            issues.append((
                "password_file",
                "set mqtt.username too (MQTT sends a password only with a user name)",
            ))  # fmt: skip
        for given, missing in (("tls_cert", "tls_key"), ("tls_key", "tls_cert")):
            if getattr(self, given) is not None and getattr(self, missing) is None:
                issues.append((
                    missing,
                    f"required when mqtt.{given} is set; a client certificate and its key "
                    "go together",
                ))  # fmt: skip
        _raise_issues(issues)
        return self

    @property
    def tls(self) -> bool:
        """TLS is on when a CA or a client certificate is given (system CAs: give their
        bundle, /etc/ssl/certs/ca-certificates.crt, as tls_ca)."""
        return self.tls_ca is not None or self.tls_cert is not None

    def read_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """$DANCEPOSE_MQTT_PASSWORD if set, else the first line of password_file, else None."""
        return read_password(self.password_file, environ)


def read_password(
    password_file: Path | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """$DANCEPOSE_MQTT_PASSWORD if set, else the first line of password_file, else None.
    The only two sources: a password in a config file or on a command line leaks."""
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if password_file is None:
        return None
    try:
        lines = Path(password_file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"mqtt.password_file: cannot read {password_file} ({exc}); "
            "it must be readable by the dancepose user",
            "mqtt.password_file",
        ) from exc
    return lines[0] if lines else ""


class StatsConfig(_Table):
    interval_s: float = Field(
        60.0, gt=0, le=86400, allow_inf_nan=False,
        description="how often the stats message (fps, latency, queue) is published",
    )  # fmt: skip


def split_host_port(text: str, lowest_port: int = 0) -> tuple[str, int]:
    """HOST:PORT as (host, port): an IPv4 address, [an IPv6 address] (brackets dropped) or a
    host name, and a port lowest_port-65535; ValueError saying what is wrong if not."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{_show(text)} has no valid IPv6 address in [...]") from None
    elif not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
        raise ValueError(f"{_show(text)} is not HOST:PORT")
    if not sep or not re.fullmatch(r"[0-9]{1,5}", port) or not lowest_port <= int(port) <= 65535:
        raise ValueError(f"{_show(text)} has no port {lowest_port}-65535 after the last ':'")
    return host, int(port)


def _listen(value: Any) -> str:
    """HOST:PORT for the kiosk page: an IPv4 address, [an IPv6 address] or a host name, and
    a port 0-65535 (0: any free port, logged at start)."""
    fix = 'give HOST:PORT, like "127.0.0.1:8080", "0.0.0.0:8080" or "[::1]:8080"'
    if not isinstance(value, str):
        raise _fail(f"expected a quoted HOST:PORT, got {_show(value)}; {fix}")
    try:
        split_host_port(value)
    except ValueError as exc:
        raise _fail(f"{exc}; {fix}") from None
    return value


class WebConfig(_Table):
    """The kiosk page (edge/web, docs/http.md). The access token is not a field:
    read_token() fetches it at start, so it never sits in a repr, a log line or to_toml()."""

    enabled: bool = Field(True, description="serve the kiosk page; false: MQTT only")
    listen: Annotated[str, BeforeValidator(_listen), Expect("HOST:PORT")] = Field(
        "127.0.0.1:8080", description="where the page is served; not loopback: token required"
    )
    token_file: ExistingFile | None = Field(None, description="its first line: the token")
    preview_fps: float = Field(
        15.0, gt=0, le=30, allow_inf_nan=False, description="at most this many preview frames/s"
    )
    jpeg_quality: int = Field(70, ge=10, le=95, description="preview JPEG quality")

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def loopback(self) -> bool:
        """Only this machine can reach the page (then no token is needed)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False  # a host name other than localhost may resolve to anything

    def read_token(self, environ: Mapping[str, str] | None = None) -> str | None:
        """$DANCEPOSE_WEB_TOKEN if set, else the first line of token_file, else None; a
        token shorter than MIN_TOKEN_CHARS is refused (ConfigError, one line)."""
        env = os.environ if environ is None else environ
        token = env.get(WEB_TOKEN_ENV) or None
        source = f"${WEB_TOKEN_ENV}"
        if token is None and self.token_file is not None:
            source = f"web.token_file ({self.token_file})"
            try:
                lines = Path(self.token_file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(
                    f"web.token_file: cannot read {self.token_file} ({exc}); "
                    "it must be readable by the dancepose user",
                    "web.token_file",
                ) from exc
            token = lines[0].strip() if lines else ""
        if token is not None and len(token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"web.token_file: the token from {source} is {len(token)} characters; use at "
                f"least {MIN_TOKEN_CHARS} (e.g. `openssl rand -hex 16`)",
                "web.token_file",
            )
        return token


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


class QueueConfig(_Table):
    """The on-device store-and-forward queue that holds events while the broker is away."""

    path: ConfigPath = Field(
        default_factory=lambda: default_queue_path(),
        description="$STATE_DIRECTORY/events.sqlite, else ./state/events.sqlite",
    )
    max_events: int = Field(
        100_000, ge=1, le=100_000_000,
        description="oldest dropped beyond this (a full SD card helps nobody)",
    )  # fmt: skip


def default_device_id() -> str:
    """The host name made into a device id: one image flashed onto many kiosks then needs
    no per-device edit, as long as provisioning sets distinct host names."""
    name = socket.gethostname().split(".")[0].lower()
    name = re.sub(r"[^a-z0-9_-]+", "-", name).strip("-")[:64]
    return name or "dancepose"


def default_client_id(device_id: str) -> str:
    """mqtt.client_id when the file leaves it out."""
    return f"dancepose-{device_id}"


class Config(_Table):
    device_id: Annotated[str, Expect("lowercase letters, digits, '-' or '_', like 'kiosk-01'")] = (
        Field(pattern=r"^[a-z0-9_-]{1,64}$", description="left out: the host name")
    )
    source: SourceConfig = Field(default_factory=SourceConfig)
    pose: PoseConfig = Field(default_factory=PoseConfig)
    mode: ModeConfig = Field(default_factory=ModeConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    # Where it was read from: not a key of the file, and not part of equality.
    config_path: Path | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_the_host(cls, data: Any) -> Any:
        """device_id defaults to the host name, and mqtt.client_id to dancepose-<device_id>
        (only when that is valid: a bad device_id is reported once, as itself)."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        device_id = data.setdefault("device_id", default_device_id())
        mqtt = data.get("mqtt", {})
        client_id = default_client_id(device_id) if isinstance(device_id, str) else ""
        if (
            isinstance(mqtt, Mapping)
            and "client_id" not in mqtt
            and _CLIENT_ID.fullmatch(client_id)
        ):
            data["mqtt"] = {**mqtt, "client_id": client_id}
        return data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(self.to_toml())

    @property
    def topic_root(self) -> str:
        """Every topic of this device starts here: <topic_prefix>/<device_id>."""
        return f"{self.mqtt.topic_prefix}/{self.device_id}"

    def to_toml_dict(self) -> dict[str, Any]:
        """The resolved config as TOML-ready tables (absolute paths, None left out), such that
        config_from_dict(c.to_toml_dict()) == c. No secret is in it: the password never is."""
        return self.model_dump(mode="json", exclude_none=True)

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
            f"mqtt     {mqtt.host}:{mqtt.port} as {mqtt.client_id}, MQTT 5, qos {mqtt.qos}, "
            f"topics {self.topic_root}/..., {auth}, {security}{ha}",
            f"stats    every {self.stats.interval_s:g} s",
            f"queue    {self.queue.path} (at most {self.queue.max_events} events)",
            f"web      http://{self.web.listen}/, preview {self.web.preview_fps:g} fps"
            + ("" if self.web.loopback else f", token from ${WEB_TOKEN_ENV} or web.token_file")
            if self.web.enabled
            else "web      off",
        ]


def _table_model(info: FieldInfo) -> type[_Table] | None:
    annotation = info.annotation
    is_table = isinstance(annotation, type) and issubclass(annotation, _Table)
    return annotation if is_table else None  # type: ignore[return-value]


# Every key the file may hold, per table ("" = the top level): what unknown keys are matched
# against for the "did you mean" hint. Derived from the models, never written out.
TABLES: tuple[str, ...] = tuple(n for n, i in Config.model_fields.items() if _table_model(i))
SCHEMA: dict[str, tuple[str, ...]] = {
    "": tuple(name for name, info in Config.model_fields.items() if not info.exclude),
    **{t: tuple(_table_model(Config.model_fields[t]).model_fields) for t in TABLES},  # type: ignore[union-attr]
}
ALL_KEYS = tuple(
    f"{table}.{key}" if table else key
    for table, keys in SCHEMA.items()
    for key in keys
    if key not in TABLES or table
)


def load_config(path: str | os.PathLike[str], check_paths: bool = True) -> Config:
    """Read and validate one config file; ConfigError (a line per mistake, each naming its
    key) if wrong.

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
    return config.model_copy(update={"config_path": config_path})


def config_from_dict(
    data: Mapping[str, Any], base_dir: Path | None = None, check_paths: bool = True
) -> Config:
    """Validate parsed TOML; relative paths resolve against base_dir (default: cwd)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"expected TOML tables at the top, got {_show(data)}")
    context = {"base_dir": Path.cwd() if base_dir is None else base_dir, "check_paths": check_paths}
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError.of(_issues(exc)) from exc


# --- from pydantic's errors to ours: a line per key ------------------------------------


def _issues(error: ValidationError, root: type[BaseModel] = Config) -> list[tuple[str, str]]:
    """(dotted key, "key: what is wrong and the fix") for every error, in file order."""
    issues = []
    for item in error.errors(include_url=False):
        loc = tuple(str(part) for part in item["loc"])
        if item["type"] == _ISSUES:
            for name, text in item["ctx"]["issues"]:
                key = _dotted((*loc, name))
                issues.append((key, f"{key}: {text}"))
        else:
            key = _dotted(loc)
            issues.append((key, _line(root, loc, key, item)))
    return issues


def _line(root: type[BaseModel], loc: tuple[str, ...], key: str, item: Any) -> str:
    kind, value = item["type"], item.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(loc, key) if root is Config else f"unknown key {key}"
    if kind == _ERROR:
        return f"{key}: {item['msg']}"
    field = _field(root, loc)
    if field is None:
        return f"{key}: {item['msg']}"
    if _table_model(field) is not None:
        return f"{key}: expected a [{key}] table, got {_show(value)}"
    base = _base_type(field.annotation)
    if kind == "literal_error" and isinstance(value, str):
        options = ", ".join(map(str, get_args(base)))
        return f"{key}: unknown value {_show(value)}; use one of {options}"
    return f"{key}: expected {_expected(field, base)}, got {_show(value)}"


def _field(root: type[BaseModel], loc: tuple[str, ...]) -> FieldInfo | None:
    model: Any = root
    field = None
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = field.annotation
    return field


def _base_type(annotation: Any) -> Any:
    """int for int, Path for `ConfigPath | None`: what a value of the key is."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _expected(field: FieldInfo, base: Any) -> str:
    """What the key takes, in words, from its declaration."""
    for item in field.metadata:
        if isinstance(item, Expect):
            return item.text
    if base is bool:
        return "true or false (no quotes)"
    if get_origin(base) is Literal:
        return f"one of {', '.join(map(str, get_args(base)))} (a quoted string)"
    bounds: dict[str, Any] = {}
    for item in field.metadata:
        for name in ("gt", "ge", "le"):
            if isinstance(item, getattr(annotated_types, name.capitalize())):
                bounds[name] = getattr(item, name)
    if base is int:
        low, high = bounds["ge"], bounds["le"]
        if high - low <= 2:
            values = [str(v) for v in range(low, high + 1)]
            return ", ".join(values[:-1]) + " or " + values[-1]
        return f"an integer {low}-{high}"
    if base is float:
        sign, low = (">", bounds["gt"]) if "gt" in bounds else (">=", bounds["ge"])
        return f"a number {sign} {low:g} and <= {bounds['le']:g}"
    return "a quoted string"


def _unknown_key(loc: tuple[str, ...], dotted: str) -> str:
    """Unknown keys are errors (a typo would otherwise mean a silent default), with a hint."""
    if loc == ("mqtt", "password"):
        return (
            "mqtt.password: the password must not be in the config file; set it in the "
            f"environment variable {PASSWORD_ENV} (systemd: EnvironmentFile=/etc/dancepose/env) "
            "or put it in a file named by mqtt.password_file"
        )
    name, key = (loc[0], loc[1]) if len(loc) > 1 else ("", loc[0])
    allowed = SCHEMA[name]
    hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    suggestion = f"{name}.{hint[0]}" if hint and name else (hint[0] if hint else None)
    if suggestion is None:
        # The key may belong to another table (interval_s under [mqtt], port at the top).
        elsewhere = {
            k.rsplit(".", 1)[-1]: k for k in ALL_KEYS if k.rsplit(".", 1)[0] != (name or k)
        }
        close = difflib.get_close_matches(key, elsewhere, n=1, cutoff=0.8)
        suggestion = elsewhere[close[0]] if close else None
    if suggestion is not None:
        return f"unknown key {dotted} (did you mean {suggestion}?)"
    if name:
        takes = f"[{name}] takes " + ", ".join(allowed)
    else:
        takes = "the top level takes device_id and the tables " + ", ".join(
            f"[{t}]" for t in TABLES
        )
    return f"unknown key {dotted}; {takes}"


def _missing(
    info: ValidationInfo, path: Path, kind: str, given: bool, key: str = "", fix: str = ""
) -> str:
    """Why `path` is not an existing file (or folder, per kind); "" when it is, or when
    paths are not checked. `given`: set in the file (else it is the default of `key`)."""
    base_dir, check_paths = _context(info)
    if not check_paths:
        return ""
    shown = str(path) if str(path).isprintable() else repr(str(path))  # one line, always
    try:
        ok = path.is_dir() if kind == "folder" else path.is_file()
    except (OSError, ValueError) as exc:
        return f"cannot check {shown} ({_one_line(str(exc))})"
    if ok:
        return ""
    where = (
        f" (relative paths are resolved against {base_dir})"
        if given
        else f" (the default; set {key} to another place)"
    )
    return f"{kind} not found: {shown}{where}{fix}"


def _dotted(loc: Sequence[str]) -> str:
    return ".".join(_show_key(part) for part in loc)


def _show(value: Any, limit: int = 60) -> str:
    """repr(), one line and short: each message must stay a single journal line."""
    text = _one_line(repr(value))
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
