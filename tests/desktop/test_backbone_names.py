"""The Train page of a picture project offers the pair backbone as "Lite0 + Lite1" with its networks'
bundled weights, and the EfficientNet-Lite names stay told apart where the list is too narrow for them."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.project import Project


def test_the_pair_is_listed_and_narrow_names_keep_their_ends(qtbot, tmp_path, make_window):
    Project.create(tmp_path / "p", "image").close()
    window = make_window(tmp_path / "p")
    window.show_page("train")
    picker = window.pages["train"].picker
    qtbot.waitUntil(lambda: picker._item("efficientnet_lite0_lite1") is not None, timeout=20000)
    pair = picker._item("efficientnet_lite0_lite1")
    assert pair.text(0) == "Lite0 + Lite1" and pair.text(3) == "bundled"
    assert picker.tree.textElideMode() == Qt.TextElideMode.ElideMiddle
    metrics, width = picker.tree.fontMetrics(), 90  # narrower than "EfficientNet-Lite0"
    shown = {metrics.elidedText(picker._item(f"efficientnet_lite{k}").text(0), Qt.TextElideMode.ElideMiddle, width)
             for k in range(3)}
    assert len(shown) == 3  # elided at the end, all three read "EfficientNet-Lit…"
