"""The Label page's keys: the shortcuts, and the line of hints under the strip (wrapped only
between hints). Every key is also in desktop.shortcuts, which the ? key shows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

MOVES = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1,
         Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}
SUGGESTION_HINT = "  ·  Enter accept"
KEYS_HINT = "1–9 label and go on  ·  Enter accept  ·  0 clear  ·  ← → move  ·  Del delete  ·  Ctrl+Z undo"
PLAY_HINT = "  ·  Space play"
ALL_KEYS_HINT = "  ·  ? all keys"


class LabelKeys:
    """Mixed into LabelPage: needs its detail, model, labels and the labelling slots."""

    def _add_shortcuts(self) -> None:
        def add(key, slot):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            return shortcut

        self.shortcuts = {}
        for n in range(1, 10):
            self.shortcuts[str(n)] = add(getattr(Qt.Key, f"Key_{n}"), lambda n=n: self.label_with_key(n))
        self.shortcuts["0"] = add(Qt.Key.Key_0, lambda: self.label_selection(None))
        self.shortcuts["Backspace"] = add(Qt.Key.Key_Backspace, lambda: self.label_selection(None))
        self.shortcuts["Space"] = add(Qt.Key.Key_Space, self.detail.toggle_play)
        self.shortcuts["Enter"] = add(Qt.Key.Key_Return, self.accept_suggestion)
        add(Qt.Key.Key_Enter, self.accept_suggestion)
        for key, step in MOVES.items():
            add(key, lambda step=step: self.move(step))
        add(Qt.Key.Key_Home, lambda: self.go_to_row(0))
        add(Qt.Key.Key_End, lambda: self.go_to_row(self.model.rowCount() - 1))

    def _update_keys_hint(self) -> None:
        project = self._session.project
        audio = project is not None and project.task == "audio" and self._can_play
        hint = KEYS_HINT if self._labels.active_set is None else KEYS_HINT.replace(SUGGESTION_HINT, "")
        text = hint + (PLAY_HINT if audio else "") + ALL_KEYS_HINT
        # wrapped only between hints, never inside one ("Space" above "play" reads as two hints)
        self.keys_label.setText("  ·  ".join(item.strip().replace(" ", "\u00a0") for item in text.split("  ·  ")))
