"""The Label page's model-assisted labelling strip: the current sample's suggested label, where
suggestions stand, and "Accept all at or above N %"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from desktop import theme


class SuggestionBar(QWidget):
    accept_all_requested = Signal(float)  # the threshold, 0..1

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SuggestionBar")
        self.chip = QLabel()
        self.chip.setObjectName("LabelChip")
        self.chip.setToolTip("The model's guess for this sample (a trained run, or the quick model). Enter accepts "
                             "it; a number key picks another class.")
        self.state_label = QLabel()
        self.state_label.setProperty("role", "muted")
        self.accept_button = QPushButton("Accept all at or above")
        self.accept_button.setToolTip("Label every unlabelled sample whose suggestion is at least this confident "
                                      "(one step: Ctrl+Z undoes it)")
        self.accept_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.threshold = QSpinBox()
        self.threshold.setRange(0, 100)
        self.threshold.setValue(90)
        self.threshold.setSuffix(" %")
        self.threshold.setToolTip("The confidence a suggestion needs to be accepted by the button")
        self.accept_button.clicked.connect(lambda: self.accept_all_requested.emit(self.threshold.value() / 100))
        self.state_label.setWordWrap(True)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.chip)
        row.addStretch(1)
        row.addWidget(self.accept_button)
        row.addWidget(self.threshold)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.state_label)
        self.show_suggestion(None)
        self.set_state("", False)

    def show_suggestion(self, suggestion, color: str | None = None) -> None:
        """``suggestion``: a Suggestion for the current (unlabelled) sample, or None."""
        if suggestion is None:
            self.chip.hide()
            self.chip.setText("")
            return
        dot = QColor(color or theme.COLORS[theme.current_theme()]["muted"]).name()
        self.chip.setText(f"Suggested: <span style='color:{dot}'>●</span>&nbsp;<b>{suggestion.label}</b> "
                          f"{suggestion.confidence:.0%} — Enter accepts")
        self.chip.show()

    def chip_text(self) -> str:
        return self.chip.text() if self.chip.isVisibleTo(self) else ""

    def set_state(self, text: str, have_suggestions: bool) -> None:
        self.state_label.setText(text)
        self.accept_button.setEnabled(have_suggestions)
        self.threshold.setEnabled(have_suggestions)
        self.setVisible(bool(text) or have_suggestions)
