"""Command-line options shared by the service commands, defined once.

Imports only argparse and pathlib, so registering the commands keeps `hemosight --help` fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_store_options(parser: argparse.ArgumentParser, mongo: bool = True) -> None:
    """The options that choose the store, for every command that opens one (see backend/hemosight/core/settings.py)."""
    parser.add_argument("--data-dir", type=Path, help="embedded store folder (default: ~/.hemosight)")
    if mongo:
        parser.add_argument("--mongo-uri", help="use MongoDB (a replica set) instead of the embedded store")
