"""One writer per project folder, enforced with an OS file lock on ``project.lock``.

The OS releases the lock when the holding process dies (even on SIGKILL), so a crash never
leaves a stale lock behind. The file also records who holds it, for the message to the next one.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

from core.errors import ProjectLockedError, ProjectNotWritableError

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class ProjectLock:
    def __init__(self, root: Path):
        self.path = Path(root) / "project.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        # A folder that cannot be written (a read-only disk or share, another user's folder) cannot hold
        # SQLite's journal either, even where project.lock itself can still be opened for writing.
        try:
            if not os.access(self.path.parent, os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ProjectNotWritableError(
                f"The project '{self.path.parent}' cannot be changed: its folder is not writable "
                f"({exc.strerror or exc}). It can be opened read-only; to change it, copy it to a folder "
                "you can write to.") from None
        if not _try_lock(fd):
            holder = self.holder()
            os.close(fd)
            who = ""
            if holder:
                who = f" (process {holder.get('pid')} on {holder.get('host')})"
            raise ProjectLockedError(
                f"The project '{self.path.parent}' is already open in another TransferLab{who}. "
                "Close it there first, or open this one read-only."
            )
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        self._fd = fd

    def holder(self) -> dict | None:
        try:
            text = self.path.read_text(encoding="utf-8")
            return json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
