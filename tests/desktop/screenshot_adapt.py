"""A screenshot of the Train page after adapting a run of another project (run under xvfb-run; not a test).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m tests.desktop.screenshot_adapt OUT.png

The source: a probe on the bundled backbone trained on 10 clean shape drawings a class; the target:
a new project holding 10 blurred drawings a class, none labelled (bench/bench_adapt.py's files).
The window opens the target, the advanced settings name the source run, and Train is pressed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer


def main() -> int:
    from bench.bench_adapt import materialise
    from core.importer import import_files
    from core.project import Project
    from core.train import TrainConfig, Trainer
    from desktop.app import create_application, create_main_window
    from desktop.settings import AppSettings

    out = Path(sys.argv[1])
    work = Path(tempfile.mkdtemp(prefix="adapt-shot-"))
    clean, blurred = materialise("image", "clean"), materialise("image", "blur")
    for name, folder in (("clean", clean), ("blurred", blurred)):
        for cls in sorted(p.name for p in (folder / "pool").iterdir()):
            dest = work / f"{name}-files" / cls
            dest.mkdir(parents=True)
            for f in sorted((folder / "pool" / cls).iterdir())[:10]:
                (dest / f.name).symlink_to(f)
    source = Project.create(work / "Clean shapes", "image", "Clean shapes")
    import_files(source, [work / "clean-files"])
    run = Trainer(source, TrainConfig(mode="probe", probe_views=0)).fit()
    source.close()
    target = Project.create(work / "Blurred shapes", "image", "Blurred shapes")
    import_files(target, [work / "blurred-files"], labels="none")
    target.close()

    app = create_application()
    settings = AppSettings(QSettings(os.path.join(work, "shot.ini"), QSettings.Format.IniFormat))
    window = create_main_window(str(work / "Blurred shapes"), settings)
    window.move(0, 0)
    window.show()
    window.show_page("train")
    page = window.pages["train"]
    page.settings.advanced_toggle.setChecked(True)
    page.settings.from_run.setText(run.run_dir)

    def start(waited: int = 0) -> None:
        if page.picker.current_spec() is None and waited < 60000:
            QTimer.singleShot(250, lambda: start(waited + 250))
            return
        window.services.training.finished.connect(lambda *_: QTimer.singleShot(1500, show_log))
        page.start()

    def show_log() -> None:
        page.tabs.setCurrentIndex(page.tabs.indexOf(page.log))
        QTimer.singleShot(800, capture)

    def capture() -> None:
        from PySide6.QtWidgets import QScrollArea

        page.tabs.setCurrentIndex(page.tabs.indexOf(page.log))  # the log, with the adaptation's line
        bar = page.findChild(QScrollArea, "TrainSettingsScroll").verticalScrollBar()
        bar.setValue(bar.maximum())  # the settings' end: Start from run, Adapt
        app.processEvents()
        subprocess.run(["import", "-window", "root", str(out)], check=True)
        print("wrote", out, flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(800, start)
    try:
        return int(app.exec())
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
