"""`transferlab` without a display: one sentence saying so and what to do, and a non-zero status,
instead of Qt's fatal platform-plugin message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from desktop.display import display_problem

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_without_a_display_says_so_in_a_sentence_and_fails():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main([]))"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["transferlab: no display found (DISPLAY and WAYLAND_DISPLAY are not set), so the desktop app "
                     "cannot open; run it in a desktop session, under a virtual screen (xvfb-run transferlab), or "
                     "use the command line: transferlab --help."]
    assert "xcb" not in done.stderr and "Reinstalling" not in done.stderr


def test_a_display_that_does_not_answer_is_named(tmp_path):
    problem = display_problem({"DISPLAY": ":97"}, "linux", x11_dir=str(tmp_path))
    assert problem.startswith("transferlab: no display found (nothing answers at DISPLAY=:97)")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None


def test_a_listening_x_server_socket_is_a_display(tmp_path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "X42"))
    server.listen(1)
    try:
        assert display_problem({"DISPLAY": ":42"}, "linux", x11_dir=str(tmp_path)) is None
        assert display_problem({"DISPLAY": ":42", "QT_QPA_PLATFORM": "wayland"}, "linux", x11_dir=str(tmp_path))
    finally:
        server.close()
