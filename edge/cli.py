"""`dancepose <command>`: the one console script. Each command lives in edge/commands/."""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import sys

from edge.commands import bridge_config as bridge_config_command
from edge.commands import check_config as check_config_command
from edge.commands import count as count_command
from edge.commands import dance as dance_command
from edge.commands import follow as follow_command
from edge.commands import pose as pose_command
from edge.commands import routine as routine_command
from edge.commands import run as run_command
from edge.errors import UserError

COMMANDS = (
    pose_command, count_command, dance_command, run_command, check_config_command,
    bridge_config_command, routine_command, follow_command,
)  # fmt: skip
# Our loggers log at INFO (-v: DEBUG); everyone else's only from WARNING up, so a library's
# start-up INFO (matplotlib's font cache under mediapipe, ...) stays out of a command's output.
OWN_LOGGERS = ("edge", "dancepose")


def version() -> str:
    """The installed distribution's version: pyproject.toml is its one source."""
    try:
        return importlib.metadata.version("dancepose")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed; run `pip install -e .`)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dancepose",
        description="BlazePose keypoints, rep counting and dance genres on the edge.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.run(args))
    except UserError as exc:
        print(f"dancepose {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
