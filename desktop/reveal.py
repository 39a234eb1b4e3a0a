"""'Show file in folder': the system's file manager opened on the folder, the file selected.

Windows and macOS have a command for it; on Linux the freedesktop FileManager1 D-Bus service
(Nautilus, Dolphin, Nemo, Thunar, ...) selects the file, and without it the folder is opened.
"""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices


def reveal_plan(path: str | os.PathLike, platform: str = sys.platform) -> tuple[str, list[str] | str]:
    """How the file would be shown: ('run', argv), ('dbus', file URI) or ('open', folder URI)."""
    path = os.path.abspath(os.fspath(path))
    if platform.startswith("win"):
        return "run", ["explorer", f"/select,{path}"]
    if platform == "darwin":
        return "run", ["open", "-R", path]
    return "dbus", QUrl.fromLocalFile(path).toString(QUrl.ComponentFormattingOption.FullyEncoded)


def _show_items(uri: str) -> bool:
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface
    except ImportError:  # pragma: no cover - QtDBus ships with PySide6 on Linux
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    iface = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                           "org.freedesktop.FileManager1", bus)
    if not iface.isValid():
        return False
    reply = iface.call("ShowItems", [uri], "")
    return not reply.errorName()


def reveal_in_folder(path: str | os.PathLike) -> bool:
    """Show ``path`` in the file manager; False when nothing could be opened."""
    how, what = reveal_plan(path)
    if how == "run":
        try:
            subprocess.Popen(what)  # noqa: S603 - a fixed system command and a path we hold
            return True
        except OSError:
            pass
    elif _show_items(what):
        return True
    return QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(os.path.abspath(os.fspath(path)))))
