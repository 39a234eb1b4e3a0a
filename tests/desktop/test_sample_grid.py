"""The sample grid: 20,000 rows scroll without 20,000 thumbnails; filters; the detail view."""

from __future__ import annotations

import shutil
import time

from PySide6.QtCore import Qt

from core.project import Project
from desktop.qtmodels.sample_grid import PAGE
from desktop.qtmodels.sample_query import UNLABELLED_FILTER
from tests.helpers.media_factory import shape_image, tone, write_audio, write_image

N_ROWS = 20_000


def _big_project(root):
    """20,000 sample rows pointing at one small image (distinct hashes: distinct thumbnails)."""
    project = Project.create(root, "image")
    media = write_image(root / "media" / "one.png", shape_image("circle", size=48, seed=3), fmt="PNG")
    now = time.time()
    with project.transaction() as conn:
        conn.executemany(
            "INSERT INTO samples (hash, kind, media_path, original_path, status, width, height, added_at) "
            "VALUES (?, 'image', ?, ?, 'ok', 48, 48, ?)",
            ((f"{i:064x}", "media/one.png", f"/photos/img_{i:05}.png", now) for i in range(N_ROWS)),
        )
    project.close()
    return media


def test_twenty_thousand_rows_scroll_without_making_twenty_thousand_thumbnails(qtbot, tmp_path, make_window):
    _big_project(tmp_path / "big")
    window = make_window(tmp_path / "big")
    page = window.pages["data"]
    model, grid, loader = page.grid_model, page.grid, window.services.thumbnails
    assert model.rowCount() == N_ROWS
    assert page.filters.count_label.text() == "20,000 samples"
    assert model.page_loads <= 3  # rows are read a page at a time, only where they are looked at

    bar = grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # batched layout done
    step = max(grid.viewport().height(), 1)
    for value in range(0, bar.maximum() + 1, max(bar.maximum() // 40, step)):  # 40 stops on the way down
        bar.setValue(value)
        qtbot.wait(5)
    grid.scrollToBottom()
    qtbot.waitUntil(lambda: loader.cached(model.sample_at(N_ROWS - 1).hash) is not None, timeout=20000)

    qtbot.waitUntil(lambda: not loader.busy(), timeout=20000)
    made = len(list((tmp_path / "big" / "cache" / "thumbnails").rglob("*.jpg")))
    assert loader.stats["requested"] < 3000, loader.stats
    assert made < 3000 and made == loader.stats["generated"], (made, loader.stats)
    assert model.page_loads < N_ROWS // PAGE // 2
    # the last sample's thumbnail is on disk now, under its hash and size
    last = model.sample_at(N_ROWS - 1)
    assert (tmp_path / "big" / "cache" / "thumbnails" / last.hash[:2] / f"{last.hash}_128.jpg").is_file()


def test_filters_search_and_detail(qtbot, tmp_path, make_window):
    with Project.create(tmp_path / "p", "image") as project:
        for i in range(6):
            write_image(tmp_path / "in" / f"{'cat' if i < 2 else 'dog'}_{i}.png", shape_image("square", seed=i), fmt="PNG")
        from core.importer import import_files

        import_files(project, [tmp_path / "in"])
        ids = [s.id for s in project.samples()]
        project.set_label(ids[:3], "pets")
        project.mark_broken(ids[5], "the file was deleted")
    window = make_window(tmp_path / "p")
    page = window.pages["data"]
    model, filters = page.grid_model, page.filters
    assert model.rowCount() == 5  # usable samples

    filters.class_combo.setCurrentIndex(filters.class_combo.findData("pets"))
    assert model.ids() == ids[:3]
    filters.class_combo.setCurrentIndex(filters.class_combo.findData(UNLABELLED_FILTER))
    assert model.ids() == ids[3:5]
    filters.class_combo.setCurrentIndex(0)
    qtbot.keyClicks(filters.search_edit, "cat_")
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=2000)
    filters.search_edit.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=2000)
    filters.show_combo.setCurrentIndex(filters.show_combo.findData("broken"))
    assert model.ids() == [ids[5]]
    filters.search_edit.setText("nothing like this")
    qtbot.waitUntil(lambda: page.no_match.isVisibleTo(page), timeout=2000)
    assert page.no_match.text() == "No samples match these filters."
    filters.search_edit.clear()
    filters.show_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=2000)

    # the detail shows the current sample at full size once it is decoded in the background
    grid = page.grid
    grid.setCurrentIndex(model.index(1))
    detail = page.detail
    assert detail.sample.id == ids[1] and detail.name_label.text() == "cat_1.png"
    qtbot.waitUntil(lambda: detail.image_view.image().width() == 64, timeout=5000)
    assert "64 × 64" in detail.meta_label.text() and "pets" in detail.label_chip.text()
    detail.image_view.set_zoom(2.0)
    assert detail.zoom_label.text() == "200 %"
    qtbot.mouseClick(detail.fit_button, Qt.MouseButton.LeftButton)
    assert detail.image_view.is_fit()


def test_audio_samples_get_waveform_thumbnails_and_a_spectrogram(qtbot, tmp_path, make_window):
    write_audio(tmp_path / "in" / "low.wav", tone(220, 0.4), 16000)
    write_audio(tmp_path / "in" / "high.wav", tone(1760, 0.4), 16000)
    with Project.create(tmp_path / "a", "audio") as project:
        from core.importer import import_files

        import_files(project, [tmp_path / "in"])
    window = make_window(tmp_path / "a")
    page = window.pages["data"]
    loader = window.services.thumbnails
    sample = page.grid_model.sample_at(0)
    qtbot.waitUntil(lambda: loader.cached(sample.hash) is not None, timeout=5000)
    thumb = loader.cached(sample.hash)
    assert not thumb.isNull() and thumb.width() == 128 and thumb.height() < 128
    assert list((tmp_path / "a" / "cache" / "thumbnails").rglob("*.webp"))
    detail = page.detail
    assert detail.sample.id == sample.id
    qtbot.waitUntil(lambda: detail.wave_view.picture() is not None, timeout=5000)
    picture = detail.wave_view.picture()
    assert abs(picture.seconds - 0.4) < 0.01 and picture.spectrogram.ndim == 3
    # without QtMultimedia there is no play button; with it, there is one
    assert detail.play_button.isVisibleTo(detail) == detail.player.available
    shutil.rmtree(tmp_path / "a" / "cache")  # always safe to delete


def _rows_project(root, prefix: str, n: int):
    """``n`` image rows on one small picture, their hashes starting with ``prefix``."""
    project = Project.create(root, "image")
    write_image(root / "media" / "one.png", shape_image("square", size=48, seed=5), fmt="PNG")
    now = time.time()
    with project.transaction() as conn:
        conn.executemany(
            "INSERT INTO samples (hash, kind, media_path, original_path, status, width, height, added_at) "
            "VALUES (?, 'image', ?, ?, 'ok', 48, 48, ?)",
            ((prefix + f"{i:063x}", "media/one.png", f"/p/{i}.png", now) for i in range(n)))
    return project


def test_thumbnails_of_a_project_closed_meanwhile_never_arrive_and_the_next_project_still_gets_its_own(
        qtbot, tmp_path):
    from desktop.thumbnails.loader import ThumbnailLoader

    first, second = _rows_project(tmp_path / "a", "a", 300), _rows_project(tmp_path / "b", "b", 20)
    loader = ThumbnailLoader(threads=2, max_pending=1000)
    ready: list[str] = []
    loader.ready.connect(ready.append)
    try:
        loader.set_project(first)
        for sample in first.samples():
            loader.get(sample)
        qtbot.waitUntil(lambda: bool(ready), timeout=10000)  # the drains are at work on the first project
        loader.set_project(second)
        ready.clear()
        wanted = second.samples()
        for sample in wanted:
            loader.get(sample)
        qtbot.waitUntil(lambda: all(loader.cached(s.hash) is not None for s in wanted), timeout=20000)
        qtbot.waitUntil(lambda: not loader.busy(), timeout=10000)
        qtbot.wait(100)  # anything of the first project still queued would be delivered by now
        assert sorted(ready) == sorted(s.hash for s in wanted)  # none of the first project's, each once
    finally:
        loader.shutdown()
        first.close()
        second.close()
