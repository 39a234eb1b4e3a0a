"""The New project dialog's two kinds look like choices: the unselected radio button draws its circle
in both themes (with the app's style sheet, Fusion's own unchecked circle vanished)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionButton

from desktop import theme
from desktop.widgets.new_project_dialog import NewProjectDialog


def indicator_contrast(button) -> float:
    """The largest colour difference between the indicator's pixels, as the whole dialog paints
    them, and the dialog's background."""
    dialog = button.window()
    image = dialog.grab().toImage()
    option = QStyleOptionButton()
    option.initFrom(button)
    rect = button.style().subElementRect(QStyle.SubElement.SE_RadioButtonIndicator, option, button)
    origin = button.mapTo(dialog, rect.topLeft())
    background = QColor(theme.COLORS[theme.current_theme()]["window"])
    worst = 0.0
    for x in range(origin.x(), origin.x() + rect.width()):
        for y in range(origin.y(), origin.y() + rect.height()):
            c = image.pixelColor(x, y)
            worst = max(worst, abs(c.red() - background.red()) + abs(c.green() - background.green())
                        + abs(c.blue() - background.blue()))
    return worst


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_unselected_kind_draws_a_circle(qtbot, tmp_path, name):
    theme.apply_theme(QApplication.instance(), name)
    try:
        dialog = NewProjectDialog(None, location=str(tmp_path))
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.image_radio.isChecked() and not dialog.audio_radio.isChecked()
        assert indicator_contrast(dialog.audio_radio) > 120  # a visible ring, not window colour
        assert indicator_contrast(dialog.image_radio) > 120
    finally:
        theme.apply_theme(QApplication.instance(), "light")
