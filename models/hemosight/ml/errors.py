"""The one base class of errors a user can act on, for every layer from the ML core up.

Raise a `HemosightError` (or a subclass) when the message alone tells the user what to do:
the command line prints it as one line and exits with status 2, and the API answers with its
words. Anything else is a bug and keeps its traceback, so a programming `ValueError` is never
mistaken for bad input. This module imports nothing, so the ML core can use it.
"""

from __future__ import annotations


class HemosightError(Exception):
    """An error whose message is the whole story for the user (no traceback)."""


class InputError(HemosightError, ValueError):
    """A file, a column or an option the user gave cannot be used; the message says which and why."""
