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


class ProjectNotWritableError(ProjectLockedError):
    """The project folder cannot be written at all (a read-only disk or share, no permission): like a
    project another process holds, it can still be opened read-only."""


class ReadOnlyProjectError(ProjectError):
    """A change was attempted on a project opened read-only."""


class LabelError(TransferLabError):
    """A class or label operation that cannot be done (unknown class, name clash, ...)."""


class UsageError(TransferLabError):
    """The command line asked for something that does not make sense."""

    exit_code = 2


class MediaError(Exception):
    """A file that cannot be read or decoded; the message says why in words. Not a TransferLabError:
    one bad file is reported and skipped, the work goes on (core.media raises it; it lives here so
    that modules which only catch it need not import Pillow)."""


def torch_load_sentence(path, exc: Exception, what: str) -> str:
    """One sentence for a file ``torch.load(weights_only=True)`` refused. torch's own text for a file
    that holds code runs to paragraphs and suggests loading it with weights_only=False, which is never
    the advice to give about a file from elsewhere."""
    import pickle

    if not _looks_like_torch_file(path):  # random bytes or a text file: torch blamed "objects that could run code"
        return (f"{path} cannot be read as {what}: it is not a PyTorch file at all (neither the archive "
                "torch.save writes nor a pickle).")
    if isinstance(exc, pickle.UnpicklingError) and "weights only" in str(exc).lower():
        return (f"{path} cannot be read as {what}: it holds more than tensors and plain values (objects "
                "that could run code when loaded), so it was not loaded.")
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return f"{path} cannot be read as {what} ({first[:200].rstrip('.')})."


def _looks_like_torch_file(path) -> bool:
    """torch.save writes a zip archive (PK); the legacy format and plain pickles start with the
    pickle PROTO opcode (0x80). True when the file cannot be read: the caller's sentence stands."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return True
    return head.startswith(b"PK") or head.startswith(b"\x80")
