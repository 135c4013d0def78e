"""Errors the user can act on; the command line maps them to exit codes (2 usage, 1 data)."""
from __future__ import annotations


class UsageError(Exception):
    """Bad command-line usage or an unknown name: exit code 2."""


class DataError(Exception):
    """Bad data or a missing input: exit code 1. `report` (optional) lists the problems found."""

    def __init__(self, message: str, report: str | None = None, problems: int = 0):
        super().__init__(message)
        self.report = report
        self.problems = problems
