"""The few-shot worker: builds a prototype model (core.fewshot) on the training thread, as a run.

Like TrainWorker it holds no logic of its own: ``fewshot_run`` embeds the labelled samples (with
progress and a way to stop) and saves the run; the worker re-emits what happened as signals
carrying plain values.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal

from desktop.workers.run_builder import RunBuilderWorker


@dataclass(frozen=True)
class FewshotEnd:
    status: str  # "completed" or "cancelled"
    run_id: str | None = None
    backbone: str | None = None
    class_names: tuple[str, ...] = ()
    examples_per_class: tuple[int, ...] = ()
    val_acc: float | None = None  # leave-one-out accuracy (None when no class has two examples)
    seconds: float = 0.0


class FewshotWorker(RunBuilderWorker):
    progress = Signal(object)  # (samples embedded, samples in all)
    fewshot_end = Signal(object)  # FewshotEnd

    doing = "building the few-shot model"

    def build(self, spec, started: float) -> None:
        import time

        from core.fewshot import fewshot_run

        result = fewshot_run(self._project, spec, min_classes=2,
                             progress=lambda done, total: self.progress.emit((done, total)),
                             should_stop=lambda: self._control.cancelled)
        if result.status == "cancelled":
            self.fewshot_end.emit(FewshotEnd("cancelled", backbone=spec.name, seconds=time.perf_counter() - started))
            return
        self.fewshot_end.emit(FewshotEnd(
            "completed", result.run_id, spec.name, tuple(result.details["class_names"]),
            tuple(result.details["examples_per_class"]), result.metrics.get("val_acc"), time.perf_counter() - started))
