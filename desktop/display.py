"""Is there a screen to open the app on? Checked before Qt starts, because Qt's own answer on a
machine without one is a fatal "Could not load the Qt platform plugin "xcb" ... Reinstalling the
application may fix this problem", which sends people the wrong way."""

from __future__ import annotations

import os
import re
import socket
import sys

ADVICE = ("run it in a desktop session, under a virtual screen (xvfb-run transferlab), "
          "or use the command line: transferlab --help")


def _x11_reachable(display: str, x11_dir: str) -> bool:
    match = re.fullmatch(r"(?P<host>[^:]*):(?P<number>\d+)(\.\d+)?", display.strip())
    if match is None:
        return False
    host, number = match["host"], int(match["number"])
    if host in ("", "unix") or host.startswith("/"):
        path = host if host.startswith("/") else os.path.join(x11_dir, f"X{number}")
        for address in (path, "\0" + path):  # Linux X servers also listen on the abstract socket
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(1.0)
                    s.connect(address)
                    return True
            except OSError:
                continue
        return False
    try:
        socket.create_connection((host, 6000 + number), timeout=1.0).close()
        return True
    except OSError:
        return False


def _wayland_reachable(name: str, env) -> bool:
    path = name if os.path.isabs(name) else os.path.join(env.get("XDG_RUNTIME_DIR", ""), name)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect(path)
            return True
    except OSError:
        return False


def display_problem(env=None, platform: str = sys.platform, x11_dir: str = "/tmp/.X11-unix") -> str | None:
    """One sentence when the app has no screen to open on, else None."""
    env = os.environ if env is None else env
    if platform.startswith(("win", "darwin")):
        return None  # a desktop is always there, or Qt says clearly why not
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if qpa and qpa not in ("xcb", "wayland", "wayland-egl"):
        return None  # offscreen, vnc, eglfs...: Qt's own choice, not ours to judge
    wayland, x11 = env.get("WAYLAND_DISPLAY", ""), env.get("DISPLAY", "")
    if qpa != "xcb" and wayland and _wayland_reachable(wayland, env):
        return None
    if qpa != "wayland" and x11 and _x11_reachable(x11, x11_dir):
        return None
    if not wayland and not x11:
        why = "no display found (DISPLAY and WAYLAND_DISPLAY are not set)"
    else:
        named = " or ".join(f"{k}={v}" for k, v in (("DISPLAY", x11), ("WAYLAND_DISPLAY", wayland)) if v)
        why = f"no display found (nothing answers at {named})"
    return f"transferlab: {why}, so the desktop app cannot open; {ADVICE}."
