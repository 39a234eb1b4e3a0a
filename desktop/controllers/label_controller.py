"""Labels and classes of the open project: every edit saved at once, label edits undoable.

A label edit is one QUndoCommand holding the labels before and after, and the label set it was
made in (None: the main set); redo and undo each write them with one ``project.set_labels`` (or
``set_set_labels``) call, one committed transaction. Class renames, deletions and merges are not
undoable (they are confirmed first) and clear the undo history, because an older edit could
otherwise bring a renamed or deleted class back.

Multi-task projects have extra label sets. ``active_set`` is the set the Label page works in
(None: the main one); ``classes()``, ``label()`` and ``labels_changed`` stay the main set's, which
every other page uses, and ``active_classes()`` / ``set_labels_changed`` serve the active set.
Renaming or deleting an extra set's class, and deleting an extra set, are like the main set's class
edits: confirmed first, not undoable, and they clear the undo history.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.errors import TransferLabError
from core.project.labels import PALETTE
from core.project.models import ClassInfo
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers import describe_error


class LabelCommand(QUndoCommand):
    def __init__(self, controller: "LabelController", before: dict[int, str | None], after: dict[int, str | None],
                 text: str, label_set: str | None = None):
        super().__init__(text)
        self._controller = controller
        self.before, self.after = before, after
        self.label_set = label_set  # the extra label set the edit was made in; None: the main set
        self._pushed = False

    def redo(self) -> None:
        self._controller._write(self.after, self.label_set)
        if self._pushed:  # a redo, not the edit itself: views in another set go to it
            self._controller.redone.emit(list(self.after), self.label_set)
        self._pushed = True

    def undo(self) -> None:
        self._controller._write(self.before, self.label_set)
        self._controller.undone.emit(list(self.before), self.label_set)


def describe_edit(ids: list[int], name: str | None, label_set: str | None = None) -> str:
    what = "1 sample" if len(ids) == 1 else f"{len(ids):,} samples"
    where = f" in '{label_set}'" if label_set else ""
    return f"label {what} '{name}'{where}" if name else f"clear the label of {what}{where}"


def parse_attributes(text: str) -> list[str]:
    """Attributes as typed: comma-separated when there is a comma (so "dark green, square" keeps
    "dark green"), otherwise one per word."""
    parts = text.split(",") if "," in text else text.split()
    return [" ".join(p.split()) for p in parts if p.strip()]


def set_class_infos(counts: dict[str, int]) -> list[ClassInfo]:
    """An extra set's classes as ClassInfo (keys 1-9 by order; colours from the main palette)."""
    return [ClassInfo(id=0, name=name, position=k, color=PALETTE[k % len(PALETTE)], count=n)
            for k, (name, n) in enumerate(counts.items())]


class LabelController(QObject):
    labels_changed = Signal(object)  # {sample_id: class name or None}
    classes_changed = Signal()  # added, renamed, recoloured, deleted, merged or counts changed
    undone = Signal(object, object)  # [sample ids], label set or None: an undo gave their old labels back
    redone = Signal(object, object)  # [sample ids], label set or None: a redo (not the edit itself)
    set_labels_changed = Signal(str, object)  # an extra label set, {sample_id: class name or None}
    label_sets_changed = Signal()  # an extra label set added, or the main one renamed
    active_set_changed = Signal(object)  # the extra label set the Label page works in, or None

    def __init__(self, session: ProjectSession, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._notifier = notifier
        self.undo_stack = QUndoStack(self)
        self._classes = []
        self._attributes: dict[str, list[str]] = {}  # the main set's described classes (zero-shot)
        self._set_classes = []  # ClassInfo of the active extra set
        self._sets: list[str] = []  # the extra label sets
        self.main_set = "class"
        self.active_set: str | None = None
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
            self._attributes = project.class_attributes() if project is not None else {}
        except TransferLabError:
            self._classes, self._attributes = [], {}
        self._refresh_sets(project)
        self.classes_changed.emit()

    def _project_opened(self, _project=None) -> None:
        self.undo_stack.clear()
        self.active_set = None
        self.refresh_classes()
        self.active_set_changed.emit(None)

    # ------------------------------------------------------------ label sets (multi-task)

    def label_sets(self) -> list[str]:
        """The project's extra label sets (the main one is ``main_set``)."""
        return list(self._sets)

    def active_classes(self):
        """The classes of the set the Label page works in (the main set's when none is chosen)."""
        return list(self._set_classes) if self.active_set else list(self._classes)

    def active_class_colors(self) -> dict[str, str]:
        return {c.name: c.color for c in self.active_classes() if c.color}

    def active_class_for_key(self, key: int):
        return next((c for c in self.active_classes() if c.shortcut == str(key)), None)

    def _refresh_sets(self, project) -> None:
        sets, main = [], "class"
        if project is not None:
            try:
                sets, main = project.label_sets(), project.main_label_set
            except TransferLabError:
                pass
        changed = (sets, main) != (self._sets, self.main_set)
        self._sets, self.main_set = sets, main
        lost = self.active_set is not None and self.active_set not in sets
        if lost:  # deleted from the command line, or a project without it
            self.active_set = None
        self._set_classes = []
        if self.active_set:
            try:
                self._set_classes = set_class_infos(project.set_class_counts(self.active_set))
            except TransferLabError:
                pass
        if changed:
            self.label_sets_changed.emit()
        if lost:
            self.active_set_changed.emit(None)

    def set_active_set(self, name: str | None) -> None:
        """Work in the extra label set ``name`` on the Label page (None or the main set's name: the main set)."""
        name = None if not name or name == self.main_set else name
        if name == self.active_set or (name is not None and name not in self._sets):
            return
        self.active_set = name
        self.refresh_classes()
        self.active_set_changed.emit(name)

    def add_label_set(self, name: str) -> str | None:
        """Add an extra label set and work in it; its name, or None (the person was told why)."""
        project = self._session.project
        added = self._class_edit("adding a label set", project.add_label_set, name) if project else None
        if added:
            self.set_active_set(added)
            self._notifier.post(f"Added the label set '{added}': give it classes on the left, then label with "
                                "the number keys.", "success")
        return added

    def delete_label_set(self, name: str) -> int | None:
        """Delete an extra label set with its classes and labels (the page goes back to the main set
        if it was working in it); how many labels went with it, or None (the person was told why)."""
        project = self._session.project
        gone = self._class_edit("deleting a label set", project.delete_label_set, name) if project else None
        if gone is not None:
            labels = "1 label" if gone == 1 else f"{gone:,} labels"
            self._history_rewritten(f"Deleted the label set '{name}' and its {labels}.")
        return gone

    def set_label_count(self, name: str) -> int:
        """How many samples have a label in the extra set ``name`` (0 when it cannot be read)."""
        project = self._session.project
        try:
            return len(project.set_labels_of(name)) if project is not None else 0
        except TransferLabError:
            return 0

    def rename_main_set(self, name: str) -> bool:
        project = self._session.project
        return bool(self._class_edit("renaming the main label set", project.rename_main_label_set, name)) if project else False

    def add_active_class(self, name: str):
        """Add a class to the set the Label page works in."""
        if self.active_set is None:
            return self.add_class(name)
        project = self._session.project
        return self._class_edit("adding a class", project.add_set_class, self.active_set, name) if project else None

    # ------------------------------------------------------------ labels

    def writable(self) -> bool:
        project = self._session.project
        if project is None:
            return False
        if project.read_only:
            self._notifier.post("This project is open read-only, so labels cannot be changed here.", "warning")
            return False
        return True

    def label(self, ids, name: str | None, label_set: str | None = None) -> bool:
        """Label (or with None clear) samples as one undoable edit, in the main set or the extra
        set ``label_set``; False when nothing was done."""
        ids = [int(i) for i in ids]
        if not ids or not self.writable():
            return False
        project = self._session.project
        try:
            if label_set is None:
                before = project.labels_of(ids)
            else:
                known = project.set_labels_of(label_set)
                before = {i: known.get(i) for i in ids}
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return False
        after = {i: name for i in before}
        if all(before[i] == name for i in before):
            return True  # already so: nothing to save, nothing to undo
        self.undo_stack.push(LabelCommand(self, before, after, describe_edit(ids, name, label_set), label_set))
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

    def _write(self, labels: dict[int, str | None], label_set: str | None = None) -> None:
        project = self._session.project
        if project is None:
            return
        try:
            if label_set is None:
                project.set_labels(labels.items())
            else:
                project.set_set_labels(label_set, labels.items())
        except TransferLabError as exc:  # e.g. the set was deleted from the command line meanwhile
            self._notifier.post(exc.message, "error", exc.detail)
            return
        except Exception as exc:  # noqa: BLE001 - the person hears why; the stack stays usable
            self._notifier.error(describe_error(exc, "saving labels"))
            return
        if label_set is None:
            self.labels_changed.emit(dict(labels))
        else:
            self.set_labels_changed.emit(label_set, dict(labels))
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

    def class_attributes(self) -> dict[str, list[str]]:
        """{class: [attributes]} for the main set's classes described by attributes."""
        return {name: list(attrs) for name, attrs in self._attributes.items()}

    def describe_class(self, name: str, attributes) -> list[str] | None:
        """Describe a main-set class by attributes (a list, or text as typed), creating it if new:
        a class can exist by its description alone. The cleaned list, or None (the person was told why)."""
        if isinstance(attributes, str):
            attributes = parse_attributes(attributes)
        name = " ".join(name.split())
        project = self._session.project
        if project is None:
            return None
        new = name not in {c.name for c in self._classes}
        cleaned = self._class_edit("describing a class", project.set_class_attributes, name, attributes)
        if cleaned is None:
            return None
        what = ", ".join(cleaned) or "no attributes"
        self._notifier.post(f"Added the class '{name}', described as {what}: the zero-shot mode on the Train "
                            "page can recognise it without examples." if new else
                            f"Described '{name}' as {what}.", "success")
        return cleaned

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

    def rename_set_class(self, label_set: str, old: str, new: str):
        """Rename a class of the extra set ``label_set``; its samples keep their label there."""
        project = self._session.project
        done = self._class_edit("renaming a class", project.rename_set_class, label_set, old, new) if project else None
        if done:
            self._history_rewritten(f"Renamed '{old}' to '{' '.join(new.split())}' in the label set '{label_set}'.")
        return done

    def delete_set_class(self, label_set: str, name: str):
        """Delete a class of the extra set ``label_set``; its samples become unlabelled in that set
        only. How many, or None (the person was told why)."""
        project = self._session.project
        gone = self._class_edit("deleting a class", project.delete_set_class, label_set, name) if project else None
        if gone is not None:
            count = "1 sample is" if gone == 1 else f"{gone:,} samples are"
            self._history_rewritten(f"Deleted the class '{name}' of '{label_set}'; {count} now unlabelled there.")
        return gone

    def merge_classes(self, sources: list[str], into: str):
        moved = self._class_edit("merging classes", self._session.project.merge_classes, sources, into)
        if moved is not None:
            self._history_rewritten(f"Merged {', '.join(repr(s) for s in sources)} into '{into}' ({moved:,} samples moved).")
        return moved

    def _history_rewritten(self, text: str) -> None:
        self.undo_stack.clear()
        self._notifier.post(text, "success")
        self._session.notify_changed()  # every view reads its rows again
