"""Entry point of the desktop app: ``run(project_dir)`` is what ``transferlab [PROJECT_DIR]`` calls."""

from __future__ import annotations

import gc
import os
import sys

# QtMultimedia's FFmpeg back end reports at start-up which optional libraries (PipeWire, VA-API)
# it did not find: debug chatter in a person's terminal, not a problem. Rules set by the person win.
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg.info=false")

from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.resources import resource_path  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402
from desktop.services import make_services  # noqa: E402
from desktop.settings import APP_NAME, ORGANISATION, AppSettings  # noqa: E402


def warm_up_torch() -> None:
    """Initialise torch on the GUI thread, before any worker uses it: its first import and first
    tensor on a pool thread, while the GUI thread is inside Qt's event loop, can deadlock or crash
    (seen with torch 2.x + PySide6 6.11). Costs about a second at start-up, once."""
    import torch

    torch.tensor(0.0)


def create_application(argv: list[str] | None = None) -> QApplication:
    # Training, import and export run on worker threads that share the interpreter lock with the
    # GUI thread; a 1 ms switch interval (Python's default is 5 ms) lets the GUI thread back in
    # sooner between their Python-level steps.
    sys.setswitchinterval(0.001)
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("transferlab")  # Wayland/X11 match the window to transferlab.desktop
    icon = resource_path("icons", "transferlab.png")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def create_main_window(project_dir: str | None = None, settings: AppSettings | None = None) -> MainWindow:
    """Everything ``run`` does except the event loop (tests build the window this way)."""
    warm_up_torch()
    # torch, Qt and the app are millions of long-lived objects: leave them out of the cyclic
    # garbage collector's full passes, which otherwise stop every thread, the GUI's included, for
    # 100-200 ms whenever a worker allocates a lot (seen at the start of every big import).
    gc.freeze()
    services = make_services(settings)
    services.themes.apply()
    window = MainWindow(services)
    geometry = services.settings.window_geometry()
    if geometry is not None:
        window.restoreGeometry(geometry)
    if project_dir:
        # On failure the window shows why (missing, not a project, locked: with "Open read-only").
        services.projects.open_project(project_dir)
    return window


def run(project_dir: str | None = None) -> int:
    from desktop.display import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3  # not 0: scripts and launchers see that the app did not open
    app = create_application()
    window = create_main_window(project_dir)
    window.show()
    return int(app.exec())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else None))
