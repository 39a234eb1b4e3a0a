"""Desktop tests run offscreen with their own settings file (never the user's)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import warnings  # noqa: E402

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl, QSettings  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.app import create_main_window  # noqa: E402
from desktop.settings import AppSettings  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, settings):
    windows = []

    def make(project_dir: str | os.PathLike | None = None):
        window = create_main_window(os.fspath(project_dir) if project_dir else None, settings)
        qtbot.addWidget(window)
        window.show()
        activate(qtbot, window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()  # cancels background work and releases the project lock


@pytest.fixture
def window(make_window):
    return make_window()


def activate(qtbot, window) -> None:
    """Make the window the active one, as the window manager does when a dialog closes:
    shortcuts (number keys, Ctrl+Z) only reach the active window."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def drop_paths(widget, paths) -> None:
    """Deliver real drag-enter and drop events, as when files come from the file manager.

    QApplication.sendEvent drops drag-and-drop events that no drag session started, so the events
    go to the widget's own event() handler: the same path a real drop takes from there on."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(os.fspath(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():  # PySide marks the (only) constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(200, 200), *args)
    widget.event(enter)
    assert enter.isAccepted(), "the window refused the drag"
    widget.event(QDropEvent(QPointF(200, 200), *args))


def make_image_folder(root: Path, per_class: int = 4) -> Path:
    from tests.helpers.media_factory import shape_image, write_image

    for i, shape in enumerate(("circle", "square")):
        for j in range(per_class):
            write_image(root / f"{shape}s" / f"{shape}{j}.png", shape_image(shape, seed=100 * i + j), fmt="PNG")
    return root


@pytest.fixture
def tone_model_window(make_window, tmp_path):
    """A window on an audio project (low hums, high whistles) with a run trained by the tiny backbone."""
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import make_tone_project, tiny_spec

    from core.backbones.preprocessing import INCEPTION_EDGE_MEAN, INCEPTION_EDGE_STD

    # The page is what is tested here: the tiny random network is pinned to the earlier,
    # peak-relative front end, on which its events are stable (the real network's detection on
    # the default front end: tests/e2e/test_keyword_spotting.py)
    spec = tiny_spec(tmp_path / "weights", name="tiny_audio", modality="audio").with_preprocessing(
        normalize="peak_db", f_min=20.0, low_at_bottom=True, antialias=True, mean=INCEPTION_EDGE_MEAN,
        std=INCEPTION_EDGE_STD)
    project = make_tone_project(tmp_path, per_class=8)
    wrong = [s.id for s in project.samples(split="val")][:2]
    project.set_labels([(i, "high" if project.labels_of([i])[i] == "low" else "low") for i in wrong])
    # two views a clip (a sound's default is eight), as the events below were pinned with
    Trainer(project, TrainConfig(mode="probe", epochs=3, batch_size=8, probe_views=2), spec=spec).fit()
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    return window
