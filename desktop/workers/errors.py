"""Turn an exception into what a person reads: one sentence, with the details kept for on demand."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from core.errors import TransferLabError


@dataclass(frozen=True)
class UserError:
    message: str
    detail: str | None = None


def describe_error(exc: BaseException, doing: str = "") -> UserError:
    """``doing`` names the job in words ("importing files") for errors that are bugs, not user errors."""
    if isinstance(exc, TransferLabError):
        return UserError(exc.message, exc.detail)
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return UserError(f"Something went wrong{' while ' + doing if doing else ''}: {exc.strerror}{where}.", trace)
    return UserError(
        f"Something unexpected went wrong{' while ' + doing if doing else ''} "
        f"({type(exc).__name__}: {exc}). Your project is safe; the details below help a bug report.",
        trace,
    )
