"""Deleting samples (undoable, in the window's one undo history) and showing their files.

A deletion is a QUndoCommand holding what ``Project.delete_samples`` took out; undo puts it back
with ``restore_samples``. The media files of deleted samples stay while an undo can still need
them and go when the project closes, if nothing uses them by then.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.errors import TransferLabError
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers import describe_error


def count_text(n: int) -> str:
    return "1 sample" if n == 1 else f"{n:,} samples"


class DeleteCommand(QUndoCommand):
    def __init__(self, edits: "SampleEdits", ids: list[int]):
        super().__init__(f"delete {count_text(len(ids))}")
        self._edits = edits
        self.ids = list(ids)
        self.removal = None

    def redo(self) -> None:
        self.removal = self._edits._delete(self.ids)
        if self.removal is None:
            self.setObsolete(True)  # it failed (and said why): the stack drops it

    def undo(self) -> None:
        if self.removal is not None:
            self.ids = self._edits._restore(self.removal) or self.ids


class CutCommand(QUndoCommand):
    def __init__(self, edits: "SampleEdits", sample, spans, settings):
        super().__init__(f"cut {sample.display_name} into {len(spans)} samples")
        self._edits = edits
        self.sample_id, self.spans, self.settings = sample.id, list(spans), settings
        self.cut = None

    def redo(self) -> None:
        self.cut = self._edits._apply(lambda p: p.cut_sample(self.sample_id, self.spans, self.settings), "cutting a recording")
        if self.cut is None:
            self.setObsolete(True)
            return
        self._edits.restored.emit(list(self.cut.segment_ids))

    def undo(self) -> None:
        if self.cut is not None:
            ids = self._edits._apply(lambda p: p.undo_cut(self.cut), "undoing a cut")
            if ids:
                self.sample_id = ids[0]
                self._edits.restored.emit(ids)


class AddBackgroundCommand(QUndoCommand):
    def __init__(self, edits: "SampleEdits"):
        super().__init__("add a background class")
        self._edits = edits
        self.ids: list[int] = []
        self.made_class = False

    def redo(self) -> None:
        from core.audio.quiet import BACKGROUND, add_background_class

        def add(project):
            self.made_class = BACKGROUND not in project.class_names()
            return add_background_class(project)

        self.ids = self._edits._apply(add, "adding a background class") or []
        if not self.ids:
            self.setObsolete(True)

    def undo(self) -> None:
        from core.audio.quiet import BACKGROUND

        def remove(project):
            project.delete_samples(self.ids)
            if self.made_class and BACKGROUND in project.class_names():
                project.delete_class(BACKGROUND)

        self._edits._apply(remove, "removing the background class")


class SampleEdits(QObject):
    deleted = Signal(object)  # [sample ids] just deleted
    restored = Signal(object)  # [sample ids] to show now: an undo brought them back, or a cut made them

    def __init__(self, session: ProjectSession, notifier: Notifier, undo_stack: QUndoStack,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._notifier = notifier
        self.undo_stack = undo_stack
        self._unused_media: set[str] = set()
        session.about_to_close.connect(self._tidy_media)

    def writable(self) -> bool:
        project = self._session.project
        if project is None:
            return False
        if project.read_only:
            self._notifier.post("This project is open read-only, so samples cannot be deleted here.", "warning")
            return False
        return True

    def delete(self, ids) -> bool:
        """Delete samples as one undoable edit; False when nothing was done."""
        ids = sorted({int(i) for i in ids})
        if not ids or not self.writable():
            return False
        command = DeleteCommand(self, ids)
        self.undo_stack.push(command)
        if command.removal is None:
            return False
        gone = len(command.removal)
        self._notifier.post(f"Deleted {count_text(gone)}. Undo (Ctrl+Z) brings "
                            f"{'it' if gone == 1 else 'them'} back.", "success",
                            actions=[("Undo", self.undo_stack.undo)])
        return True

    def _delete(self, ids: list[int]):
        project = self._session.project
        try:
            removal = project.delete_samples(ids)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return None
        except Exception as exc:  # noqa: BLE001 - said in a sentence; the project is unchanged
            self._notifier.error(describe_error(exc, "deleting samples"))
            return None
        self._unused_media |= removal.media_paths
        self._session.notify_changed()
        self.deleted.emit(removal.ids)
        return removal

    def _restore(self, removal) -> list[int]:
        project = self._session.project
        try:
            ids = project.restore_samples(removal)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return []
        except Exception as exc:  # noqa: BLE001
            self._notifier.error(describe_error(exc, "restoring samples"))
            return []
        self._session.notify_changed()
        self.restored.emit(ids)
        return ids

    # ------------------------------------------------------------ cutting a recording

    def cut(self, sample, parent=None) -> bool:
        """"Cut into samples…": the dialog with a preview, then the cut as one undoable edit."""
        from desktop.widgets.cut_dialog import CutDialog

        project = self._session.project
        if sample is None or project is None or not self.writable():
            return False
        path = str(project.path_of(sample))
        dialog = CutDialog(parent, [(path, sample.duration or 0.0)], importing=False)
        dialog.exec()
        spans = dialog.cuts.get(path) or []
        if dialog.choice != "cut" or not spans:
            return False
        command = CutCommand(self, sample, spans, dialog.settings())
        self.undo_stack.push(command)
        if command.cut is None:
            return False
        self._notifier.post(f"Cut {sample.display_name} into {len(command.cut.segment_ids)} samples"
                            + (f", each labelled '{sample.label}'" if sample.label else "")
                            + ". Undo (Ctrl+Z) puts the whole file back.", "success",
                            actions=[("Undo", self.undo_stack.undo)])
        return True

    def add_background(self, parent=None) -> bool:
        """One click: quiet parts of the imported recordings become a 'background' class (undoable)."""
        project = self._session.project
        if project is None or not self.writable():
            return False
        if not project.recordings():
            self._notifier.post("There are no long recordings in this project to take quiet parts from: import one "
                                "and cut it into samples, or import a folder named 'background' of noise and silence.",
                                "info")
            return False
        command = AddBackgroundCommand(self)
        self.undo_stack.push(command)
        if not command.ids:
            self._notifier.post("No quiet stretch long enough was found in the recordings.", "info")
            return False
        self._notifier.post(f"Added the class 'background' with {count_text(len(command.ids))} from the quiet parts "
                            "of your recordings. Train again so the model learns it.", "success",
                            actions=[("Undo", self.undo_stack.undo)])
        return True

    def _apply(self, fn, doing: str):
        """Run a project edit, say any failure in a sentence, and let every page read again."""
        project = self._session.project
        try:
            result = fn(project)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return None
        except Exception as exc:  # noqa: BLE001
            self._notifier.error(describe_error(exc, doing))
            return None
        self._session.notify_changed()
        return result

    def _tidy_media(self) -> None:
        project, paths = self._session.project, self._unused_media
        self._unused_media = set()
        if project is None or project.read_only or not paths:
            return
        try:
            project.remove_unreferenced_media(paths)
        except (TransferLabError, OSError):
            pass  # left in media/, unused: harmless, and tidied by nothing else

    # ------------------------------------------------------------ files

    def file_of(self, sample) -> str | None:
        """The file a person knows: the original if it is still there, else the project's copy."""
        project = self._session.project
        if sample is None or project is None:
            return None
        original = sample.original_path
        if original and os.path.exists(original):
            return original
        return str(project.path_of(sample))

    def reveal(self, sample) -> bool:
        from desktop import reveal

        path = self.file_of(sample)
        if path is None:
            return False
        if not reveal.reveal_in_folder(path):
            self._notifier.post(f"Could not open a file manager on {os.path.dirname(path)}.", "warning")
            return False
        return True
