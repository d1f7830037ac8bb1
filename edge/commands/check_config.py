"""`dancepose check-config PATH`: validate a config file before the service trips on it.

Run it after editing /etc/dancepose/dancepose.toml and before `systemctl restart`: a
mistake is one line naming the key and the fix, exit status 2, instead of a unit that
restarts every five seconds. --no-path-checks checks a Pi's config on another machine,
where its camera clips, certificates and models are not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.config import ConfigError, load_config


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


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, check_paths=not args.no_path_checks)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"{args.config}: ok" + (" (paths not checked)" if args.no_path_checks else ""))
    for line in config.summary():
        print(f"  {line}")
    if args.print_toml:
        print()
        print(config.to_toml(), end="")
    return 0
