"""The `hemosight` command line, composed at the top: every layer registers its own commands.

ML commands (train, classify, evaluate, ...) come from the ML core's `cli` module, service commands
(serve, create-admin, models, backup, restore) from the API's and `worker` from the worker's.
Registering imports only argparse, so `hemosight --help` is fast; each command imports what it
needs when it runs (TensorFlow only for training and bundles without the OpenVINO encoder).

Errors meant for the user (`HemosightError`, models/hemosight/ml/errors.py) are printed as one line with exit
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from hemosight.api import cli as service_commands
from hemosight.ml import cli as ml_commands
from hemosight.ml.errors import HemosightError
from hemosight.worker import cli as worker_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hemosight", description="HemoSight: white blood cell classification.")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for layer in (ml_commands, service_commands, worker_commands):
        layer.register(sub)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command's handler; user-facing errors become one line and status 2."""
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except HemosightError as exc:
        print(f"hemosight: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
