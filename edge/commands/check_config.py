"""`dancepose check-config PATH`: validate a config file before the service trips on it.

Run it after editing /etc/dancepose/dancepose.toml and before `systemctl restart`: every
mistake of the file at once, a line each naming the key and the fix, exit status 2, instead
of a unit that restarts every five seconds. --no-path-checks checks a Pi's config on
another machine, where its camera clips, certificates and models are not.

A camera is not opened here (the running service may hold it, and a Pi camera takes
seconds to start): for source.kind = "camera" its /dev/video<N> must exist on Linux, and
the output says what only `dancepose run` can check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.config import Config, ConfigError, load_config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-config", help="validate a dancepose.toml and print what it configures"
    )
    parser.add_argument("config", type=Path, help="the TOML config file")
    parser.add_argument(
        "--no-path-checks",
        action="store_true",
        help="do not require files and folders to exist (checking a config for another machine)",
    )
    parser.add_argument(
        "--print",
        dest="print_toml",
        action="store_true",
        help="also print the resolved config (defaults filled in, absolute paths) as TOML",
    )
    parser.set_defaults(run=run)


def camera_device(config: Config) -> Path | None:
    """/dev/video<N> of an OpenCV camera source on Linux (None: no such device to look for)."""
    if config.source.kind != "camera" or not sys.platform.startswith("linux"):
        return None
    return Path(f"/dev/video{config.source.camera_index}")


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, check_paths=not args.no_path_checks)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    device = camera_device(config)
    if device is not None and not args.no_path_checks and not device.exists():
        print(
            f"{args.config}: source.camera_index: {device} does not exist; plug the camera "
            "in, or set an index that `ls /dev/video*` lists",
            file=sys.stderr,
        )
        return 2
    print(f"{args.config}: ok" + (" (paths not checked)" if args.no_path_checks else ""))
    for line in config.summary():
        print(f"  {line}")
    if config.source.kind != "file":
        found = f"{device} exists; " if device is not None and not args.no_path_checks else ""
        print(f"  note     {found}the source is opened only by `dancepose run`, not checked here")
    if args.print_toml:
        print()
        print(config.to_toml(), end="")
    return 0
