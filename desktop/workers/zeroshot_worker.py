"""The zero-shot worker: trains attribute detectors (core.zeroshot) on the training thread, as a run.

Like FewshotWorker it holds no logic of its own: ``zeroshot_run`` learns a detector per attribute
from the classes that have examples and saves a model that scores every described class, those
known by their description alone included. Stop is honoured between batches of the feature
extraction (nothing is saved then).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Signal

from core.zeroshot.described import too_few_described
from desktop.workers.errors import UserError
from desktop.workers.run_builder import RunBuilderWorker

WHERE = ("On the Label page select a class, press Describe… and type what it looks like (for example "
         "'green, square'); label examples of some of the classes.")


def too_few_sentence(described: dict[str, list[str]]) -> str | None:
    """None when enough classes are described; otherwise core's sentence and where, in the app."""
    too_few = too_few_described(described)
    return f"{too_few} {WHERE}" if too_few else None


@dataclass(frozen=True)
class ZeroshotEnd:
    status: str  # "completed" or "cancelled"
    run_id: str | None = None
    backbone: str | None = None
    class_names: tuple[str, ...] = ()
    classes_with_examples: tuple[str, ...] = ()
    classes_by_description_only: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    attributes_never_varied: tuple[str, ...] = ()
    class_attributes: dict = field(default_factory=dict)  # {class: [attributes]}
    train_acc: float | None = None
    seconds: float = 0.0


class ZeroshotWorker(RunBuilderWorker):
    zeroshot_end = Signal(object)  # ZeroshotEnd

    doing = "training the attribute detectors"

    def build(self, spec, started: float) -> None:
        import time

        from core.zeroshot import zeroshot_run

        described = self._project.class_attributes()
        if too_few := too_few_sentence(described):
            self.failed.emit(UserError(too_few))
            return
        if self._control.cancelled:
            self.zeroshot_end.emit(ZeroshotEnd("cancelled", backbone=spec.name))
            return
        r = zeroshot_run(self._project, spec, should_stop=lambda: self._control.cancelled)
        if r.status == "cancelled":
            self.zeroshot_end.emit(ZeroshotEnd("cancelled", backbone=spec.name))
            return
        d = r.details
        self.zeroshot_end.emit(ZeroshotEnd(
            "completed", r.run_id, spec.name, tuple(d["class_names"]), tuple(d["classes_with_examples"]),
            tuple(d["classes_by_description_only"]), tuple(d["attributes"]), tuple(d["attributes_never_varied"]),
            dict(described), r.metrics.get("train_acc"), time.perf_counter() - started))
