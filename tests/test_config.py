"""edge.config: the shipped files load, every mistake is one line naming its key, all the
mistakes of a file are reported at once, and no input (however odd) escapes as anything
but ConfigError.

(Over 400 lines: a table of wrong configs and their one-line messages, key by key.)"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import tomllib
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.commands import check_config
from edge.config import (
    MQTT_PASSWORD,
    PASSWORD_ENV,
    SCHEMA,
    TABLES,
    Config,
    ConfigError,
    PoseConfig,
    Secret,
    config_from_dict,
    default_queue_path,
    load_config,
)
from edge.config.web import WEB_TOKEN
from edge.modes import SPECIAL_EXERCISES
from edge.paths import DEFAULT_PACKS_DIR, REPO
from edge.pose import backends
from edge.publish.bridge import BRIDGE_PASSWORD

FIRMWARE = REPO / "firmware_config"


def write(tmp_path: Path, text: str, name: str = "dancepose.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_each_line_names_a_key(exc: ConfigError) -> None:
    """Several mistakes: one line each, each naming its own key, PATH-prefixed if any."""
    lines = str(exc).splitlines()
    assert len(lines) == len(exc.issues) and "\r" not in str(exc), str(exc)
    prefix = "" if exc.path is None else f"{exc.path}: "
    for line, (key, _) in zip(lines, exc.issues, strict=True):
        assert key and line.startswith(prefix) and key in line, str(exc)


def assert_one_line_error(exc: ConfigError, key: str | None) -> str:
    message = str(exc)
    assert "\n" not in message and "\r" not in message, message
    if key is not None:
        assert exc.key == key, message
        assert key in message, message
    return message


# --- the shipped files -------------------------------------------------------------------


def test_pi_default_loads_with_path_checks() -> None:
    """dancepose.toml needs no file outside the repo (picamera2, packs are committed)."""
    config = load_config(FIRMWARE / "dancepose.toml")
    assert config.source.kind == "picamera2"
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.qos) == ("localhost", 1883, 1)
    assert config.mode.mode == "count" and config.mode.exercise == "auto"
    assert config.mode.packs_dir == DEFAULT_PACKS_DIR
    assert config.mqtt.client_id == f"dancepose-{config.device_id}"
    assert config.config_path == FIRMWARE / "dancepose.toml"


def test_pi_default_documents_every_key() -> None:
    """Every key of the schema appears in the documented default, set or commented out."""
    text = (FIRMWARE / "dancepose.toml").read_text()
    for table, keys in SCHEMA.items():
        if table:
            assert f"[{table}]" in text
        for key in keys:
            if key not in TABLES:
                assert f"{key} = " in text, f"{table}.{key} is not documented"


def test_demo_loads_and_points_at_shared_clip() -> None:
    config = load_config(FIRMWARE / "demo.toml", check_paths=False)
    assert config.device_id == "demo"
    assert config.source.kind == "file" and config.source.loop is False
    clip = REPO.parent / "shared" / "data" / "exercise_videos" / "squat_side_3.mp4"
    assert config.source.path == clip
    assert config.mode.mode == "both"
    assert config.queue.path == REPO / "out" / "demo-events.sqlite"


def test_demo_path_checks_name_only_missing_inputs() -> None:
    """With path checks on, the demo loads, or fails on exactly the input that is absent
    on this machine (../shared on a fresh clone, models/dance before it is trained)."""
    try:
        load_config(FIRMWARE / "demo.toml")
    except ConfigError as exc:
        assert_one_line_error(exc, exc.key)
        assert exc.key in ("source.path", "mode.dance_model_dir"), str(exc)
        assert not Path(str(exc).split("not found: ")[1].split(" (")[0]).exists()


def test_every_shipped_toml_file_is_a_valid_config() -> None:
    shipped = sorted(FIRMWARE.glob("*.toml"))
    assert {"dancepose.toml", "demo.toml"} <= {path.name for path in shipped}
    for path in shipped:
        assert load_config(path, check_paths=False).config_path == path


def test_firmware_snippets_have_the_essentials() -> None:
    boot = (FIRMWARE / "config.txt.snippet").read_text()
    assert "camera_auto_detect=1" in boot.splitlines()
    assert "#dtoverlay=imx708" in boot and "#dtoverlay=imx219" in boot
    assert not any(line.startswith("gpu_mem") for line in boot.splitlines())

    lines = (FIRMWARE / "mosquitto.conf").read_text().splitlines()
    for setting in (
        "persistence true",
        "persistence_location /var/lib/mosquitto/",
        "listener 1883 127.0.0.1",
        # the bridge: `dancepose bridge-config --out /etc/mosquitto/conf.d/...` per device
        "include_dir /etc/mosquitto/conf.d",
    ):
        assert setting in lines, setting
    assert any(line.startswith("autosave_interval ") for line in lines)
    assert any(line.startswith("max_queued_messages ") for line in lines)
    assert any("dancepose bridge-config" in line for line in lines)
    assert not any(line.startswith(("connection ", "#connection ")) for line in lines)


# --- defaults and resolution -------------------------------------------------------------


def test_empty_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path, ""))
    assert config.device_id  # the host name, sanitised
    assert config.source.kind == "picamera2" and (config.source.width, config.source.height) == (
        640,
        480,
    )
    assert config.pose.backend == "litert" and config.pose.threads == 2
    assert config.queue.path == tmp_path / "state" / "events.sqlite"
    assert config.topic_root == f"dancepose/{config.device_id}"


def test_queue_defaults_to_systemd_state_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/dancepose:/var/lib/other")
    assert default_queue_path() == Path("/var/lib/dancepose/events.sqlite")
    config = config_from_dict({"device_id": "k1"}, check_paths=False)
    assert config.queue.path == Path("/var/lib/dancepose/events.sqlite")


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    (folder / "clips").mkdir(parents=True)
    (folder / "clips" / "a.mp4").write_bytes(b"")
    (folder / "ca.crt").write_text("x")
    path = write(
        folder,
        'device_id = "k1"\n[source]\nkind = "file"\npath = "clips/a.mp4"\n'
        '[mqtt]\ntls_ca = "ca.crt"\n[queue]\npath = "q/events.sqlite"\n',
    )
    monkeypatch.chdir(tmp_path)  # not the config's folder
    config = load_config(path)
    assert config.source.path == folder / "clips" / "a.mp4"
    assert config.mqtt.tls_ca == folder / "ca.crt" and config.mqtt.tls
    assert config.queue.path == folder / "q" / "events.sqlite"


def test_missing_paths_only_matter_when_checked(tmp_path: Path) -> None:
    text = '[source]\nkind = "file"\npath = "nope.mp4"\n'
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = assert_one_line_error(info.value, "source.path")
    assert str(tmp_path / "nope.mp4") in message and "resolved against" in message
    assert (
        load_config(write(tmp_path, text), check_paths=False).source.path == tmp_path / "nope.mp4"
    )


def test_paths_of_other_source_kinds_are_not_checked(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[source]\nkind = "camera"\npath = "nope.mp4"\n'))
    assert config.source.kind == "camera" and config.source.camera_index == 0
    assert config.source.path == tmp_path / "nope.mp4"  # kept, unchecked


def test_pinned_exercise_must_be_a_pack(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, '[mode]\nexercise = "squat"\n')).mode.exercise == "squat"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[mode]\nexercise = "squats"\n'))
    message = assert_one_line_error(info.value, "mode.exercise")
    assert "squat" in message.split("one of ")[1]


# --- errors: one line, the key, the fix ---------------------------------------------------

ERROR_CASES = [
    ('[mqtt]\nport = "abc"', "mqtt.port", "mqtt.port: expected an integer 1-65535, got 'abc'"),
    ("[mqtt]\nport = 70000", "mqtt.port", "expected an integer 1-65535, got 70000"),
    ("[mqtt]\nport = true", "mqtt.port", "got True"),
    (
        '[source]\nkind = "webcam"',
        "source.kind",
        "source.kind: unknown value 'webcam'; use one of picamera2, camera, file, url",
    ),
    ("[source]\nkind = 3", "source.kind", "expected one of picamera2"),
    (
        '[mqtt]\nhostname = "x"',
        "mqtt.hostname",
        "unknown key mqtt.hostname (did you mean mqtt.host?)",
    ),
    ("[mqtt]\nqos = 2", "mqtt.qos", "expected 0 or 1"),
    ("[mqtt]\nkeepalive = 1", "mqtt.keepalive", "5-3600"),
    ('[mqtt]\nhost = "mqtt://broker"', "mqtt.host", "without a scheme"),
    ('[mqtt]\ntopic_prefix = "a/#"', "mqtt.topic_prefix", "no wildcards"),
    ('[mqtt]\ntopic_prefix = "/a"', "mqtt.topic_prefix", "leading or trailing"),
    ('[mqtt]\nclient_id = "has space"', "mqtt.client_id", "got 'has space'"),
    ('[mqtt]\nhomeassistant_discovery = "yes"', "mqtt.homeassistant_discovery", "true or false"),
    ('[mqtt]\nusername = ""', "mqtt.username", "expected a user name"),
    ('[mqtt]\npassword_file = "pw"', "mqtt.password_file", "set mqtt.username too"),
    ('[mqtt]\ntls_cert = "c.crt"', "mqtt.tls_key", "go together"),
    ('[mqtt]\ntls_key = "c.key"', "mqtt.tls_cert", "go together"),
    ('device_id = "Kiosk 1"', "device_id", "like 'kiosk-01', got 'Kiosk 1'"),
    ('devce_id = "k"', "devce_id", "(did you mean device_id?)"),
    ("interval_s = 3", "interval_s", "(did you mean stats.interval_s?)"),
    ("[stats]\ninterval = 3", "stats.interval", "(did you mean stats.interval_s?)"),
    ("[stats]\ninterval_s = 0", "stats.interval_s", "expected a number > 0"),
    ("[stats]\ninterval_s = nan", "stats.interval_s", "got nan"),
    ("[camera]\nkind = 1", "camera", "unknown key camera"),
    ("[sauce]\nkind = 1", "sauce", "(did you mean source?)"),
    ("mqtt = 3", "mqtt", "expected a [mqtt] table"),
    ("[pose]\nthreads = 0", "pose.threads", "1-8"),
    ("[pose]\nthreads = 9", "pose.threads", "1-8"),
    ("[pose]\nthreads = 2.0", "pose.threads", "got 2.0"),
    ('[pose]\nbackend = "tflite"', "pose.backend", "use one of litert, mediapipe"),
    ('[pose]\nlandmark_model = "x.tflite"', "pose.landmark_model", "file not found"),
    ('[pose]\ntask = "x.task"', "pose.task", "file not found"),
    ('[mode]\nmode = "dancing"', "mode.mode", "use one of count, dance, both"),
    ('[mode]\nexercise = "Squat!"', "mode.exercise", "expected auto, any or a pack name"),
    ('[mode]\npacks_dir = "nowhere"', "mode.packs_dir", "folder not found"),
    ("[mode]\ndance_publish_interval_s = -1", "mode.dance_publish_interval_s", ">= 0"),
    ('[source]\nkind = "file"', "source.path", "required when source.kind"),
    ('[source]\nkind = "url"', "source.url", "required when source.kind"),
    ('[source]\nurl = "ftp://cam/x"', "source.url", "rtsp://"),
    ('[source]\nurl = "rtsp://u:secret@/x"', "source.url", "***"),
    ("[source]\nloop = 1", "source.loop", "true or false"),
    ("[source]\nwidth = 10", "source.width", "32-8192"),
    ("[source]\nfps = 0", "source.fps", "> 0"),
    ("[source]\ncamera_index = -1", "source.camera_index", "0-63"),
    ('[queue]\nmax_events = "many"', "queue.max_events", "expected an integer"),
    ('[queue]\npath = ""', "queue.path", "expected a path"),
    ('[queue]\npath = "a\\u0000b"', "queue.path", "NUL"),
    ('[mqtt]\n"bad\\nkey" = 1', "mqtt.'bad\\nkey'", "unknown key"),
]


@pytest.mark.parametrize(("text", "key", "expected"), ERROR_CASES)
def test_errors_are_one_line_naming_the_key(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    # Existence checks only where the case is about them: the others must fail on their own.
    check_paths = "not found" in expected
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text + "\n"), check_paths=check_paths)
    message = assert_one_line_error(info.value, key)
    assert expected in message
    assert message.startswith(f"{tmp_path / 'dancepose.toml'}: ")
    assert info.value.message == message.split(": ", 1)[1]


def test_all_mistakes_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    """One run of check-config shows every mistake, each on its own line with its key:
    wrong types, ranges, unknown keys (with the hint) and cross-key rules together."""
    text = (
        'device_id = "Kiosk 1"\n'
        '[source]\nkind = "file"\nfps = 0\n'
        "[pose]\nthreads = 9\n"
        '[mqtt]\nqos = 2\nhostname = "x"\npassword = "hunter2"\ntls_cert = "c.crt"\n'
        "[stats]\ninterval = 3\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), check_paths=False)
    expected = {
        "device_id": "like 'kiosk-01', got 'Kiosk 1'",
        "source.fps": "expected a number > 0",
        "pose.threads": "expected an integer 1-8, got 9",
        "mqtt.qos": "mqtt.qos: expected 0 or 1, got 2",
        "mqtt.hostname": "(did you mean mqtt.host?)",
        "mqtt.password": PASSWORD_ENV,
        "stats.interval": "(did you mean stats.interval_s?)",
    }
    error = info.value
    assert sorted(key for key in error.keys if key) == sorted(expected)
    lines = str(error).splitlines()
    assert len(lines) == len(expected) and "hunter2" not in str(error)
    for key, needle in expected.items():
        (line,) = [line for line in lines if f": {key}" in line or f"key {key}" in line]
        assert line.startswith(f"{tmp_path / 'dancepose.toml'}: ") and needle in line, line
    assert error.key == "device_id"  # the first, in file order


def test_cross_key_rules_of_a_table_are_reported_together(tmp_path: Path) -> None:
    text = '[mqtt]\npassword_file = "pw"\ntls_key = "c.key"\n'
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), check_paths=False)
    assert info.value.keys == ["mqtt.password_file", "mqtt.tls_cert"]
    assert_each_line_names_a_key(info.value)


def test_check_config_prints_every_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[mqtt]\nport = "abc"\nkeepalive = 1\n')
    assert run_check_config(str(path)) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: mqtt.port: expected an integer 1-65535, got 'abc'",
        f"{path}: mqtt.keepalive: expected an integer 5-3600, got 1",
    ]


def test_special_exercises_need_no_pack(tmp_path: Path) -> None:
    for name in SPECIAL_EXERCISES:
        config = load_config(write(tmp_path, f'[mode]\nexercise = "{name}"\n'))
        assert config.mode.exercise == name


def test_replace_validates_again() -> None:
    config = config_from_dict({"device_id": "k1"}, check_paths=False)
    moved = config.replace(mqtt=config.mqtt.replace(host="broker.lan", port=8883))
    assert (moved.mqtt.host, moved.mqtt.port, moved.device_id) == ("broker.lan", 8883, "k1")
    assert config.mqtt.port == 1883  # frozen: the original is unchanged
    with pytest.raises(ConfigError, match="port: expected an integer 1-65535, got 0"):
        config.mqtt.replace(port=0)


def test_password_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[mqtt]\nusername = "k1"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, check_paths=False)
    message = assert_one_line_error(info.value, "mqtt.password")
    assert PASSWORD_ENV in message and "mqtt.password_file" in message
    assert "hunter2" not in message


def test_password_comes_from_env_then_file(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\nignored\n")
    config = load_config(write(tmp_path, '[mqtt]\nusername = "k1"\npassword_file = "pw"\n'))
    assert config.mqtt.read_password(environ={}) == "s3cret"
    assert config.mqtt.read_password(environ={PASSWORD_ENV: "env"}) == "env"
    assert "s3cret" not in repr(config) and "s3cret" not in config.to_toml()
    assert config_from_dict({}, check_paths=False).mqtt.read_password(environ={}) is None


SECRETS = [
    (MQTT_PASSWORD, "mqtt.password_file"),
    (WEB_TOKEN, "web.token_file"),
    (BRIDGE_PASSWORD, "--password-file"),
]


@pytest.mark.parametrize(("secret", "file_key"), SECRETS)
def test_every_secret_follows_one_rule(secret: Secret, file_key: str, tmp_path: Path) -> None:
    """The MQTT password, the page's token and the bridge password: the environment
    variable wins, else the file's first line, else None; one line naming the file else."""
    assert secret.file_key == file_key
    path = tmp_path / "secret"
    path.write_text("  from-the-file-0123456789 \nignored\n")
    assert secret.read(path, environ={}) == "from-the-file-0123456789"
    assert secret.read(path, environ={secret.env: "from-the-env"}) == "from-the-env"
    assert secret.read(path, environ={secret.env: ""}) == "from-the-file-0123456789"  # unset
    assert secret.read(None, environ={}) is None
    for text in ("", "\n", "  \nthe second line\n"):  # no secret on the first line
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            secret.read(path, environ={})
        message = assert_one_line_error(info.value, file_key)
        assert str(path) in message and "first line" in message and secret.env in message
    assert secret.read(path, environ={secret.env: "from-the-env"}) == "from-the-env"


@pytest.mark.parametrize(("secret", "file_key"), SECRETS)
def test_an_unreadable_secret_file_is_one_line(
    secret: Secret, file_key: str, tmp_path: Path
) -> None:
    for path in (tmp_path, tmp_path / "absent"):  # a folder, a file that is gone
        with pytest.raises(ConfigError) as info:
            secret.read(path, environ={})
        message = assert_one_line_error(info.value, file_key)
        assert f"cannot read {path} (" in message and "readable by the dancepose user" in message
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00secret")
    with pytest.raises(ConfigError) as info:
        secret.read(binary, environ={})
    assert "not UTF-8" in assert_one_line_error(info.value, file_key)


# --- pose backends: plug-ins ---------------------------------------------------------------


def test_pose_backend_choices_are_the_plug_ins() -> None:
    assert backends.BACKENDS == ("litert", "mediapipe")
    assert get_args(PoseConfig.model_fields["backend"].annotation) == backends.BACKENDS
    assert PoseConfig().backend == backends.DEFAULT_BACKEND in backends.BACKENDS
    read = {key for name in backends.BACKENDS for key in backends.keys(name)}
    assert set(SCHEMA["pose"]) == {"backend", *read}  # every key is some backend's
    assert backends.keys("litert") == (
        "threads",
        "detector_model",
        "landmark_model",
        "task",
        "max_people",
        "people_per_frame",
        "frame_budget_ms",
    )
    assert backends.declared_keys("litert") == backends.keys("litert")
    assert backends.keys("mediapipe") == ()


def test_an_unknown_backend_lists_the_plug_ins(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[pose]\nbackend = "tflite"\n'))
    message = assert_one_line_error(info.value, "pose.backend")
    assert message.endswith("use one of " + ", ".join(backends.BACKENDS))
    with pytest.raises(ValueError, match="choose one of " + ", ".join(backends.BACKENDS)):
        backends.build("tflite")


def test_not_toml_and_not_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[mqtt\nport = 1\n"))
    message = assert_one_line_error(info.value, None)
    assert "not valid TOML" in message and "line 1" in message
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    (tmp_path / "latin1.toml").write_bytes('device_id = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(tmp_path / "latin1.toml")


def test_to_toml_round_trips(tmp_path: Path) -> None:
    config = load_config(FIRMWARE / "demo.toml", check_paths=False)
    again = load_config(write(tmp_path, config.to_toml()), check_paths=False)
    assert again == config


# --- the check-config command ------------------------------------------------------------


def run_check_config(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dancepose")
    check_config.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["check-config", *argv])
    return args.run(args)


def test_check_config_ok(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIRMWARE / "dancepose.toml")
    assert run_check_config(path, "--print") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{path}: ok"
    assert "mqtt     localhost:1883" in out and "[mqtt]" in out


def test_check_config_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[mqtt]\nport = "abc"\n')
    assert run_check_config(str(path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{path}: mqtt.port: expected an integer 1-65535, got 'abc'\n"


def test_check_config_without_path_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[source]\nkind = "file"\npath = "/nowhere/clip.mp4"\n')
    assert run_check_config(str(path)) == 2
    assert run_check_config(str(path), "--no-path-checks") == 0
    assert "(paths not checked)" in capsys.readouterr().out


# --- property tests ----------------------------------------------------------------------

SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "picamera2",
            "camera",
            "file",
            "url",
            "litert",
            "mediapipe",
            "count",
            "dance",
            "both",
            "auto",
            "squat",
            "localhost",
            "rtsp://cam/x",
            "http://[::1",
            "~nouser/x",
            "x" * 300,
            "a/b",
            "dancepose",
            "kiosk-01",
            "",
            " ",
        ]
    ),
    st.integers(min_value=0, max_value=2),
    st.datetimes(),
    st.dates(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


PLAUSIBLE = st.one_of(
    st.integers(min_value=0, max_value=70000),
    st.floats(min_value=0, max_value=100),
    st.booleans(),
    st.sampled_from(["picamera2", "camera", "count", "both", "auto", "localhost", "dancepose"]),
)


def table_strategy(table: str) -> st.SearchStrategy[dict[str, object]]:
    """Mostly real keys with plausible values (so some configs pass and the deep checks
    run), sometimes junk keys and junk values."""
    keys = st.sampled_from([*SCHEMA[table] * 4, "password", "bogus", "hostname"]) | st.text(
        max_size=8
    )
    return st.dictionaries(keys, PLAUSIBLE | VALUES, max_size=6)


TOML_ISH = st.fixed_dictionaries(
    {},
    optional={
        "device_id": VALUES | st.sampled_from(["k1", "Kiosk"]),
        **{
            table: st.one_of(table_strategy(table), table_strategy(table), VALUES)
            for table in TABLES
        },
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=TOML_ISH, check_paths=st.booleans())
def test_random_dicts_raise_only_config_error(
    data: dict[str, object], check_paths: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.getbasetemp()
    try:
        config = config_from_dict(data, base, check_paths=check_paths)
    except ConfigError as exc:
        assert_each_line_names_a_key(exc)
        return
    assert isinstance(config, Config)
    # Whatever was accepted writes out as TOML that loads back to the same config.
    assert config_from_dict(tomllib.loads(config.to_toml()), base, check_paths=False) == config


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_random_text_raises_only_config_error(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path, check_paths=False)
    except ConfigError as exc:
        if exc.key is None:  # not TOML: one line, no key
            assert "\n" not in str(exc), str(exc)
        else:
            assert_each_line_names_a_key(exc)


VALID = st.fixed_dictionaries(
    {
        "device_id": st.from_regex(r"[a-z0-9_-]{1,20}", fullmatch=True),
        "source": st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["picamera2", "camera"]),
                "camera_index": st.integers(0, 63),
                "width": st.integers(32, 8192),
                "fps": st.floats(0.001, 240),
            }
        ),
        "mqtt": st.fixed_dictionaries(
            {
                "port": st.integers(1, 65535),
                "qos": st.sampled_from([0, 1]),
                "topic_prefix": st.from_regex(r"[a-z]{1,5}(/[A-Z0-9_-]{1,5}){0,2}", fullmatch=True),
                "username": st.text(min_size=1, max_size=20).filter(str.strip),
            }
        ),
        "stats": st.fixed_dictionaries({"interval_s": st.floats(1e-6, 86400)}),
        "queue": st.fixed_dictionaries({"path": st.sampled_from(["q.sqlite", "/abs/q.sqlite"])}),
    }
)


@settings(max_examples=100, deadline=None)
@given(data=VALID)
def test_valid_configs_load_and_round_trip(data: dict[str, object]) -> None:
    base = Path("/etc/dancepose")
    config = config_from_dict(data, base, check_paths=False)
    assert config.mqtt.port == data["mqtt"]["port"]  # type: ignore[index]
    assert math.isclose(config.source.fps, data["source"]["fps"])  # type: ignore[index]
    assert config.queue.path.is_absolute()
    again = config_from_dict(tomllib.loads(config.to_toml()), Path("/elsewhere"), check_paths=False)
    assert again == config


def test_datetime_values_are_rejected_cleanly() -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict({"stats": {"interval_s": dt.time(1, 2)}}, check_paths=False)
    assert_one_line_error(info.value, "stats.interval_s")


def test_env_is_untouched() -> None:
    """Loading never sets the password variable (it is read, only when connecting)."""
    before = dict(os.environ)
    load_config(FIRMWARE / "dancepose.toml")
    assert dict(os.environ) == before


def test_a_path_with_a_newline_stays_on_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[source]\nkind = "file"\npath = "a\\nb.mp4"\n'))
    message = assert_one_line_error(info.value, "source.path")
    assert "file not found: " in message and "a\\nb.mp4" in message
