"""The composed `hemosight` command line: every layer's commands, and only user-facing errors as one line."""

from __future__ import annotations

import argparse

import pytest

from hemosight.cli import build_parser, run
from hemosight.ml.errors import HemosightError


def parser_running(handler) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser(prog="hemosight")
    parser.add_subparsers().add_parser("go").set_defaults(handler=handler)
    return parser


def test_every_layer_registers_its_commands() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"train", "classify", "export-runtime"} <= commands  # ML core
    assert {"serve", "create-admin", "models", "backup", "restore"} <= commands  # services
    assert "worker" in commands


def test_a_user_facing_error_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise HemosightError("The labels file x.csv does not exist.")

    assert run(parser_running(fail), ["go"]) == 2
    assert capsys.readouterr().err == "hemosight: The labels file x.csv does not exist.\n"


def test_a_programming_error_keeps_its_traceback() -> None:
    def bug(args: argparse.Namespace) -> int:
        raise ValueError("operands could not be broadcast together")

    with pytest.raises(ValueError, match="broadcast"):
        run(parser_running(bug), ["go"])
