"""Screenshots of the real app under a real X server (run under xvfb-run; not a test).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m tests.desktop.screenshot_tour OUT_DIR [PROJECT]

For each theme and page it shows the window, lets it paint, and captures the screen with
ImageMagick's ``import -window root`` (what a person would see, decorations aside).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from desktop.app import create_application, create_main_window
from desktop.settings import AppSettings

SHOTS = [("light", "home"), ("light", "data"), ("dark", "home"), ("dark", "data"), ("light", "label"),
         ("dark", "label"), ("light", "train")]


def shots_from_env() -> list[tuple[str, str]]:
    """TOUR_SHOTS="light:data,dark:label" picks the shots; TOUR_ROW=N makes row N current on the Data page;
    TOUR_LABEL_SET=NAME works in that extra label set on the Label page; TOUR_RUN=1 selects the newest
    run in the Train page's history (its curves); TOUR_WAIT_MS=N waits N ms before each capture
    (background work such as an evaluation, 900 by default); TOUR_SIZE=WxH sizes the window (and names the
    shots page-WxH[-dark].png, cropped to the window); TOUR_PLAY=FILE,... tries those files on the Play page;
    TOUR_EXPORT=1 exports the current run on the Export page first. Pages with background work
    (evaluating, predicting, exporting) are captured once it is done."""
    spec = os.environ.get("TOUR_SHOTS")
    return [tuple(item.split(":", 1)) for item in spec.split(",")] if spec else list(SHOTS)


def main() -> int:
    out = Path(sys.argv[1])
    project = sys.argv[2] if len(sys.argv) > 2 else None
    out.mkdir(parents=True, exist_ok=True)
    app = create_application()
    store = QSettings(os.path.join(tempfile.mkdtemp(), "tour.ini"), QSettings.Format.IniFormat)
    settings = AppSettings(store)
    for extra in sys.argv[3:]:
        settings.add_recent(extra)
    window = create_main_window(project, settings)
    window.move(0, 0)
    size = os.environ.get("TOUR_SIZE")
    width, height = (int(v) for v in size.split("x")) if size else (1280, 800)
    window.resize(width, height)
    window.show()
    if os.environ.get("TOUR_PLAY") and project:
        window.pages["play"].predict(os.environ["TOUR_PLAY"].split(","))
    queue = shots_from_env()
    row = int(os.environ.get("TOUR_ROW", "-1"))
    if row >= 0 and project:
        data = window.pages["data"]
        data.grid.setCurrentIndex(data.grid_model.index(row))
        data.grid.scrollTo(data.grid_model.index(row))

    def next_shot() -> None:
        if not queue:
            window.close()
            app.quit()
            return
        theme, page = queue.pop(0)
        window.services.notifier.clear()  # one page's message (an export's) is not shown on the next
        window.services.themes.set_choice(theme)
        window.show_page(page)
        if page == "label" and os.environ.get("TOUR_LABEL_SET"):
            window.services.labels.set_active_set(os.environ["TOUR_LABEL_SET"])
        history = window.pages["train"].history.tree
        if page == "train" and os.environ.get("TOUR_RUN") and history.topLevelItemCount():
            history.topLevelItem(0).setSelected(True)
        export = window.pages["export"]
        if page == "export" and os.environ.get("TOUR_EXPORT") and export.report is None and not export._jobs.busy:
            export.export_button.click()
        QTimer.singleShot(int(os.environ.get("TOUR_WAIT_MS", "900")), lambda: when_idle(theme, page))

    def when_idle(theme: str, page: str, waited: int = 0) -> None:
        """Background work of the page (evaluating, predicting, exporting) shows before the shot."""
        busy = [getattr(w, "_jobs", None) for w in (window.pages[page], getattr(window.pages[page], "picker", None))]
        if any(j is not None and j.busy for j in busy) and waited < 180000:
            QTimer.singleShot(250, lambda: when_idle(theme, page, waited + 250))
            return
        QTimer.singleShot(300, lambda: capture(theme, page))

    def capture(theme: str, page: str) -> None:
        crop = ["-crop", f"{width}x{height}+0+0", "+repage"] if size else []
        name = f"{page}{'-' + size if size else ''}{'-dark' if theme == 'dark' else ''}.png"
        subprocess.run(["import", "-window", "root", *crop, str(out / name)], check=True)
        print("wrote", out / name, flush=True)
        next_shot()

    QTimer.singleShot(800, next_shot)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
