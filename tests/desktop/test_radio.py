"""Choices look like choices: the New project dialog's unselected radio button draws its circle, and an
unticked check box its box, in both themes (with the app's style sheet, Fusion's own vanished)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox, QStyle, QStyleOptionButton, QVBoxLayout, QWidget

from desktop import theme
from desktop.widgets.new_project_dialog import NewProjectDialog


def indicator_contrast(button) -> float:
    """The largest colour difference between the indicator's pixels, as the whole dialog paints
    them, and the dialog's background."""
    dialog = button.window()
    image = dialog.grab().toImage()
    option = QStyleOptionButton()
    option.initFrom(button)
    element = (QStyle.SubElement.SE_CheckBoxIndicator if isinstance(button, QCheckBox)
               else QStyle.SubElement.SE_RadioButtonIndicator)
    rect = button.style().subElementRect(element, option, button)
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


@pytest.mark.parametrize("name", ["light", "dark"])
def test_an_unticked_check_box_draws_its_box(qtbot, name):
    theme.apply_theme(QApplication.instance(), name)
    try:
        holder = QWidget()
        holder.setObjectName("Content")  # painted in the window colour, as the pages are
        holder.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        box, ticked = QCheckBox("Also fp16"), QCheckBox("Also int8")
        ticked.setChecked(True)
        layout = QVBoxLayout(holder)
        layout.addWidget(box)
        layout.addWidget(ticked)
        qtbot.addWidget(holder)
        holder.show()
        qtbot.waitExposed(holder)
        assert indicator_contrast(box) > 120 and indicator_contrast(ticked) > 120
    finally:
        theme.apply_theme(QApplication.instance(), "light")
