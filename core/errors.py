"""Errors that carry a sentence meant for the person using TransferLab.

Anything raised as a ``TransferLabError`` is shown to the user as its message (CLI: one line on
stderr; GUI: a message in the window). Everything else is a bug and is reported as such.
"""

from __future__ import annotations


class TransferLabError(Exception):
    """An expected failure with a message a user can act on."""

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class ProjectError(TransferLabError):
    """The project folder is missing, invalid, or from an incompatible version."""


class ProjectLockedError(ProjectError):
    """Another process holds the project open for writing."""


class ReadOnlyProjectError(ProjectError):
    """A change was attempted on a project opened read-only."""


class LabelError(TransferLabError):
    """A class or label operation that cannot be done (unknown class, name clash, ...)."""


class UsageError(TransferLabError):
    """The command line asked for something that does not make sense."""

    exit_code = 2
