"""Labels and classes of the open project: every edit saved at once, label edits undoable.

A label edit is one QUndoCommand holding the labels before and after; redo and undo each write
them with one ``project.set_labels`` call (one committed transaction). Class renames, deletions
and merges are not undoable (they are confirmed first) and clear the undo history, because an
older edit could otherwise bring a renamed or deleted class back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.errors import TransferLabError
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers import describe_error


class LabelCommand(QUndoCommand):
    def __init__(self, controller: "LabelController", before: dict[int, str | None], after: dict[int, str | None],
                 text: str):
        super().__init__(text)
        self._controller = controller
        self.before, self.after = before, after

    def redo(self) -> None:
        self._controller._write(self.after)

    def undo(self) -> None:
        self._controller._write(self.before)
        self._controller.undone.emit(list(self.before))


def describe_edit(ids: list[int], name: str | None) -> str:
    what = "1 sample" if len(ids) == 1 else f"{len(ids):,} samples"
    return f"label {what} '{name}'" if name else f"clear the label of {what}"


class LabelController(QObject):
    labels_changed = Signal(object)  # {sample_id: class name or None}
    classes_changed = Signal()  # added, renamed, recoloured, deleted, merged or counts changed
    undone = Signal(object)  # [sample ids] an undo gave their old labels back (views go there)

    def __init__(self, session: ProjectSession, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._notifier = notifier
        self.undo_stack = QUndoStack(self)
        self._classes = []
        session.opened.connect(self._project_opened)
        session.closed.connect(self._project_opened)
        session.changed.connect(self.refresh_classes)

    # ------------------------------------------------------------ classes

    def classes(self):
        """core ClassInfo list, in shortcut order (cached; refreshed after every change)."""
        return list(self._classes)

    def class_colors(self) -> dict[str, str]:
        return {c.name: c.color for c in self._classes if c.color}

    def class_for_key(self, key: int):
        """The class a number key (1-9) labels with, or None."""
        return next((c for c in self._classes if c.shortcut == str(key)), None)

    def refresh_classes(self) -> None:
        project = self._session.project
        try:
            self._classes = project.classes() if project is not None else []
        except TransferLabError:
            self._classes = []
        self.classes_changed.emit()

    def _project_opened(self, _project=None) -> None:
        self.undo_stack.clear()
        self.refresh_classes()

    # ------------------------------------------------------------ labels

    def writable(self) -> bool:
        project = self._session.project
        if project is None:
            return False
        if project.read_only:
            self._notifier.post("This project is open read-only, so labels cannot be changed here.", "warning")
            return False
        return True

    def label(self, ids, name: str | None) -> bool:
        """Label (or with None clear) samples as one undoable edit; False when nothing was done."""
        ids = [int(i) for i in ids]
        if not ids or not self.writable():
            return False
        try:
            before = self._session.project.labels_of(ids)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return False
        after = {i: name for i in before}
        if all(before[i] == name for i in before):
            return True  # already so: nothing to save, nothing to undo
        self.undo_stack.push(LabelCommand(self, before, after, describe_edit(ids, name)))
        return True

    def label_many(self, labels: dict[int, str | None], text: str) -> bool:
        """Give each sample its own label, all as one undoable edit; False when nothing was done."""
        labels = {int(i): name for i, name in labels.items()}
        if not labels or not self.writable():
            return False
        try:
            before = self._session.project.labels_of(list(labels))
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return False
        if all(before[i] == labels[i] for i in before):
            return True
        self.undo_stack.push(LabelCommand(self, before, labels, text))
        return True

    def _write(self, labels: dict[int, str | None]) -> None:
        project = self._session.project
        if project is None:
            return
        try:
            project.set_labels(labels.items())
        except Exception as exc:  # noqa: BLE001 - the person hears why; the stack stays usable
            self._notifier.error(describe_error(exc, "saving labels"))
            return
        self.labels_changed.emit(dict(labels))
        self.refresh_classes()  # counts, and any class the edit created

    # ------------------------------------------------------------ class edits

    def _class_edit(self, doing: str, fn, *args, **kwargs):
        if not self.writable():
            return None
        try:
            result = fn(*args, **kwargs)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return None
        except Exception as exc:  # noqa: BLE001
            self._notifier.error(describe_error(exc, doing))
            return None
        self.refresh_classes()
        return True if result is None else result

    def add_class(self, name: str, color: str | None = None):
        return self._class_edit("adding a class", self._session.project.add_class, name, color) if self._session.project else None

    def set_color(self, name: str, color: str):
        return self._class_edit("changing a colour", self._session.project.set_class_color, name, color)

    def reorder(self, names: list[str]):
        return self._class_edit("reordering classes", self._session.project.reorder_classes, names)

    def rename_class(self, old: str, new: str):
        done = self._class_edit("renaming a class", self._session.project.rename_class, old, new)
        if done:
            self._history_rewritten(f"Renamed '{old}' to '{new.strip()}'.")
        return done

    def delete_class(self, name: str, move_to: str | None = None):
        moved = self._class_edit("deleting a class", self._session.project.delete_class, name, move_to=move_to)
        if moved is not None:
            where = f"moved to '{move_to}'" if move_to else "now unlabelled"
            count = "1 sample" if moved == 1 else f"{moved:,} samples"
            self._history_rewritten(f"Deleted the class '{name}'; {count} {'is' if moved == 1 else 'are'} {where}.")
        return moved

    def merge_classes(self, sources: list[str], into: str):
        moved = self._class_edit("merging classes", self._session.project.merge_classes, sources, into)
        if moved is not None:
            self._history_rewritten(f"Merged {', '.join(repr(s) for s in sources)} into '{into}' ({moved:,} samples moved).")
        return moved

    def _history_rewritten(self, text: str) -> None:
        self.undo_stack.clear()
        self._notifier.post(text, "success")
        self._session.notify_changed()  # every view reads its rows again
