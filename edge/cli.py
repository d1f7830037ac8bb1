"""`dancepose <command>`: the one console script. Each command lives in edge/commands/."""

from __future__ import annotations

import argparse
import logging
import sys

from edge.commands import check_config as check_config_command
from edge.commands import count as count_command
from edge.commands import dance as dance_command
from edge.commands import pose as pose_command
from edge.commands import run as run_command
from edge.errors import UserError

COMMANDS = (
    pose_command, count_command, dance_command, run_command, check_config_command,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dancepose",
        description="BlazePose keypoints, rep counting and dance genres on the edge.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args))
    except UserError as exc:
        print(f"dancepose {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
