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


def test_the_pair_is_the_default_for_a_probe_and_a_mode_that_trains_one_network_chooses_lite0(
        qtbot, tmp_path, make_window):
    Project.create(tmp_path / "p", "image").close()
    window = make_window(tmp_path / "p")
    window.show_page("train")
    page = window.pages["train"]
    qtbot.waitUntil(lambda: page.picker.current_spec() is not None, timeout=20000)
    assert page.picker.tree.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole) == "efficientnet_lite0_lite1"
    assert page.picker.current_spec().name == "efficientnet_lite0_lite1"  # auto: a probe below 300 a class
    page.settings.mode.setCurrentIndex(page.settings.mode.findData("finetune"))
    assert page.picker.current_spec().name == "efficientnet_lite0"
    assert "Lite0 + Lite1 trains as a probe only: EfficientNet-Lite0 is chosen" in page.log.toPlainText()
    page.settings.mode.setCurrentIndex(page.settings.mode.findData("probe"))
    assert page.picker.current_spec().name == "efficientnet_lite0"  # a choice is never taken back
