"""What the Train page shows instead of curves in the zero-shot mode: how such a model is made, the
classes described so far (and a sentence when there are too few), and once a model is built which
classes it learnt from, which it knows by description alone, and which attributes it could not learn."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QLabel, QWidget

from desktop.widgets.mode_card import ModeCard
from desktop.workers.training import too_few_sentence

HOW = ("Each class is described by attributes (on the Label page: select a class, Describe…). A detector per "
       "attribute learns from the classes that have labelled examples, and a picture goes to the class whose "
       "description its attributes fit best, so a class described but never shown can be recognised too.")


def _names(names) -> str:
    return ", ".join(f"<b>{escape(n)}</b>" for n in names)


class ZeroshotSummary(ModeCard):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Zero-shot model (by attributes)", HOW, parent)
        self.described = QLabel()  # the classes described now, before a model is built
        self.described.setWordWrap(True)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.learnt = QLabel()
        self.by_description = QLabel()
        self.flat = QLabel()
        for label in (self.learnt, self.by_description, self.flat):
            label.setWordWrap(True)
        for label in (self.described, self.result, self.learnt, self.by_description, self.flat):
            self.content.addWidget(label)
        self.clear()

    def clear(self) -> None:
        self.described.show()  # until a model is built: then what it learnt says more
        for label in (self.result, self.learnt, self.by_description, self.flat, self.note):
            label.setText("")
            label.hide()

    def set_described(self, described: dict[str, list[str]], counts: dict[str, int]) -> None:
        """The project's described classes now ({class: [attributes]}) and labelled samples per class."""
        if too_few := too_few_sentence(described):
            self.described.setText(escape(too_few, quote=False))
            return
        rows = "".join(f"<li><b>{escape(c)}</b>: {escape(', '.join(a)) or '(no attributes)'} "
                       f"<span style='color:gray'>· {self._examples(counts.get(c, 0))}</span></li>"
                       for c, a in described.items())
        self.described.setText(f"Described classes:<ul style='margin:0'>{rows}</ul>")

    @staticmethod
    def _examples(n: int) -> str:
        return "no examples: by description alone" if n == 0 else f"{n:,} example{'s' if n != 1 else ''}"

    def show_end(self, end) -> None:
        """A workers.training.ZeroshotEnd."""
        self.clear()
        if end.status != "completed":
            return
        self.described.hide()
        self.result.setText(f"<b>Run {escape(end.run_id)}</b> · {escape(end.backbone)} · built in {end.seconds:.1f} s: "
                            f"{len(end.attributes)} attribute detectors, {len(end.class_names)} classes.")
        self.learnt.setText(f"Learnt from the examples of {_names(end.classes_with_examples)}.")
        unseen = end.classes_by_description_only
        self.by_description.setText(f"Recognises {_names(unseen)} by description alone." if unseen else
                                    "Every described class has examples, so none is recognised by description alone.")
        if end.attributes_never_varied:
            self.flat.setText("Could not learn " + _names(end.attributes_never_varied) + ": among the classes with "
                              "examples these are always present or always absent. Label examples of a class that "
                              "differs in them.")
            self.flat.show()
        if end.train_acc is not None:
            self.note.setText(f"Training accuracy {100 * end.train_acc:.1f}% on the classes with examples. How well "
                              "it knows a class by description alone shows on the Evaluate page, from its labelled "
                              "samples in the validation or test split (this model learnt from none of them).")
            self.note.show()
        for label in (self.result, self.learnt, self.by_description):
            label.show()
