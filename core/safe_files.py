"""Files and folders a person names, opened without trusting them.

Only regular files are read: a named pipe (FIFO) blocks a read forever, a device such as /dev/zero
never ends. Each kind of file has a size limit, checked before the first byte is read. Every other
case (a link loop, a link to nothing, a folder that cannot be listed, ...) gets a reason in words,
so an import or a prediction can name the file and go on. Nothing here imports more than the
standard library: the importer, the decoders and the predictor (no torch) all use it.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

MiB = 1024 * 1024
# Images are read whole into memory; recordings are streamed; listings are parsed whole; a text
# sample is one document (a book is 1-2 MiB; the model reads its first 256 tokens anyway).
MAX_BYTES = {"image": 512 * MiB, "audio": 4096 * MiB, "listing": 256 * MiB, "text": 16 * MiB}

_O_BINARY = getattr(os, "O_BINARY", 0)
# Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK returns at once, and the
# fstat that follows refuses it. For a regular file the flag changes nothing.
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class FileRefused(Exception):
    """Not a file TransferLab reads; ``reason`` says why in words (without the path)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def kind_reason(mode: int) -> str | None:
    """Why a file of this ``st_mode`` is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file; reading it could wait forever"
    if stat.S_ISCHR(mode):
        return "a character device (like /dev/zero), not a regular file; it may never end"
    if stat.S_ISBLK(mode):
        return "a block device (a disk), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def os_error_reason(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """An OSError from opening or listing ``path``, in words."""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.ELOOP:
        return "a symbolic link loop (following it never reaches a file)"
    if code == errno.ENOENT:
        if path is not None and os.path.islink(path):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return f"a symbolic link to something that does not exist ({target})"
        return "the file does not exist (deleted or moved?)"
    if code == errno.EISDIR:
        return "a folder, not a file"
    if code == errno.ENXIO:
        return "a socket or device that cannot be opened, not a regular file"
    if code == errno.ENAMETOOLONG:
        return "the name is too long for this system"
    if code == errno.EIO:
        return "the disk reported an input/output error"
    return f"cannot be read ({exc.strerror or exc})"


def too_large_reason(size: int, limit: int, what: str) -> str:
    return f"the file is too large for {what} ({size / MiB:,.0f} MiB; the limit is {limit / MiB:,.0f} MiB)"


def open_regular(path: str | os.PathLike, kind: str) -> BinaryIO:
    """``path`` opened for binary reading, once it is known to be a regular file within the size
    limit of ``kind`` ('image', 'audio', 'listing'). Raises FileRefused with the reason."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_BINARY | _O_NONBLOCK)
    except OSError as exc:
        raise FileRefused(os_error_reason(exc, path)) from None
    try:
        st = os.fstat(fd)
        reason = kind_reason(st.st_mode)
        if reason is None and st.st_size > MAX_BYTES[kind]:
            reason = too_large_reason(st.st_size, MAX_BYTES[kind], _WHAT[kind])
        if reason is not None:
            raise FileRefused(reason)
        return os.fdopen(fd, "rb")  # a regular file: O_NONBLOCK has no effect on its reads
    except BaseException:
        os.close(fd)
        raise


_WHAT = {"image": "an image", "audio": "a recording", "listing": "a listing", "text": "a text"}


def path_reason(path: str | os.PathLike) -> str | None:
    """Why ``path`` (a file named on a command line or in a listing) is neither a regular file nor a
    folder, or None when it is one of them."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return os_error_reason(exc, path)
    return None if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) else kind_reason(st.st_mode)


# ------------------------------------------------------------------------------ folder walks


@dataclass(frozen=True)
class Found:
    """One thing met in a folder walk: a regular file (``problem`` None) or something that is not
    read, with the reason. ``folder`` is the folder it was listed in, as named (links are not
    resolved), so a link to a folder names its files' class by the link's own name."""

    path: str
    folder: str
    problem: str | None = None


def walk_files(root: str, skip: Callable[[str], bool] = lambda name: False) -> Iterator[Found]:
    """Every file under ``root``, in a stable order (a folder's files by name, then its subfolders
    by name, depth first), like ``os.walk`` but without its silences: a folder that cannot be
    listed is reported, links to folders are followed, once each (a link back into its own
    ancestry, or to a folder already walked, is reported instead of walked again), and files that
    are not regular files (pipes, devices, broken or looping links) are reported with the reason.
    Names for which ``skip(name)`` is true (hidden files) are passed over silently."""
    try:
        top = os.stat(root)
    except OSError as exc:
        yield Found(root, os.path.dirname(root), f"cannot be opened ({os_error_reason(exc, root)})")
        return
    seen: dict[tuple[int, int], str] = {(top.st_dev, top.st_ino): root}
    stack: list[tuple[str, tuple[tuple[int, int], ...]]] = [(root, ((top.st_dev, top.st_ino),))]
    while stack:
        folder, ancestry = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Found(folder, os.path.dirname(folder), f"cannot list the folder ({os_error_reason(exc, folder)})")
            continue
        dirs: list[tuple[os.DirEntry, bool, tuple[int, int]]] = []
        for entry in entries:
            if skip(entry.name):
                continue
            try:
                link = entry.is_symlink()
                st = entry.stat(follow_symlinks=True) if link else None
                is_dir = stat.S_ISDIR(st.st_mode) if link else entry.is_dir(follow_symlinks=False)
                is_file = stat.S_ISREG(st.st_mode) if link else entry.is_file(follow_symlinks=False)
                if st is None and not is_file:
                    st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield Found(entry.path, folder, os_error_reason(exc, entry.path))
                continue
            if is_file:
                yield Found(entry.path, folder)
            elif is_dir:
                dirs.append((entry, link, (st.st_dev, st.st_ino)))
            else:
                yield Found(entry.path, folder, kind_reason(st.st_mode))
        # Real subfolders claim their place before links beside them, so a link to a sibling
        # does not take that sibling's files (and their class name) away from it.
        walk: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {}
        for entry, link, key in sorted(dirs, key=lambda d: d[1]):
            if key in ancestry:
                what = "a symbolic link loop (a link to a folder that contains it)" if link else \
                    "a folder that contains itself (a loop)"
                yield Found(entry.path, folder, f"{what}; not followed")
            elif key in seen:
                yield Found(entry.path, folder, f"the same folder as {seen[key]}, already walked; not followed twice")
            else:
                seen[key] = entry.path
                walk[entry.path] = (entry.path, ancestry + (key,))
        subfolders = [walk[e.path] for e, _, _ in dirs if e.path in walk]
        stack.extend(reversed(subfolders))
