"""The Train page of a text project offers the built-in TF-IDF backbone, said to have no weights."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.project import Project


def test_text_projects_offer_tfidf_built_in(qtbot, tmp_path, make_window):
    Project.create(tmp_path / "p", "text").close()
    window = make_window(tmp_path / "p")
    window.show_page("train")
    picker = window.pages["train"].picker
    qtbot.waitUntil(lambda: picker.tree.topLevelItemCount() >= 2, timeout=10000)
    item = picker._item("tfidf")
    assert item is not None and item.text(0) == "TF-IDF words" and item.text(3) == "built in"
    assert picker.import_button.isHidden() or picker.current_spec().name != "tfidf"
    picker.tree.setCurrentItem(item)
    assert picker.current_spec().name == "tfidf"
    assert "built in, no weights" in picker.detail.text()
    assert not picker.import_button.isVisibleTo(picker) and not picker.download_button.isVisibleTo(picker)
    assert picker.tree.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole) == "minilm_l6"  # the default first
