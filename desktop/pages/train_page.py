"""Train: pick a backbone and settings, then watch the run live (curves, speed, ETA, events).

The page lays out and glues; the TrainController owns the training thread, and core's Trainer
does all of the work. Past runs are listed below the plots, and two can be compared. The few-shot
mode builds a prototype model instead (core.fewshot: seconds, no training) on the same thread,
and its run lands in the history like any other; so does the zero-shot mode's (core.zeroshot:
attribute detectors that also know classes described but never shown).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QScrollArea, QStackedWidget, QTabWidget, QVBoxLayout,
                               QWidget)

from core.errors import TransferLabError
from desktop.controllers.runs_controller import RunsController
from desktop.controllers.train_controller import IDLE, PAUSED, RUNNING, TrainController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.widgets.backbone_picker import BackbonePicker
from desktop.widgets.event_log import EventLog
from desktop.widgets.fewshot_summary import FewshotSummary
from desktop.widgets.run_history import RunHistory, read_metrics
from desktop.widgets.section import card, page_header
from desktop.widgets.train_plots import TrainPlots
from desktop.widgets.train_progress import TrainProgress, set_accuracies
from desktop.widgets.zeroshot_summary import ZeroshotSummary
from desktop.workers.runner import Runner


def detect_devices(_ctx) -> list[tuple[str, str]]:
    import torch

    devices = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            devices.append((f"{torch.cuda.get_device_name(i)} (cuda:{i})", f"cuda:{i}"))
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append(("Apple GPU (mps)", "mps"))
    from core.backbones.latency import cpu_model

    devices.append((f"CPU: {cpu_model()}", "cpu"))
    return devices


PROMPT = "Pick a backbone and press Start."
FEWSHOT_PROMPT = "Label an example or more of each class, then press Build."
ZEROSHOT_PROMPT = "Describe classes by attributes on the Label page, then press Build."


class TrainPage(QWidget):
    def __init__(self, session: ProjectSession, training: TrainController, runs: RunsController, notifier: Notifier,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._session, self._training, self._runs, self._notifier = session, training, runs, notifier
        self._jobs = Runner(self)
        self._stale = True
        self._run_began = False  # a FitStart came for the training under way

        title = QLabel("Train")
        title.setProperty("role", "title")
        self.status_label = QLabel(PROMPT)
        self.status_label.setProperty("role", "muted")
        self.status_label.setWordWrap(True)  # a long status wraps instead of running under the buttons
        self.start_button = QPushButton("Start training")
        self.start_button.setProperty("primary", True)
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(training.stop)
        head = page_header(title, self.status_label, self.start_button, self.pause_button, self.stop_button)

        self.picker = BackbonePicker(notifier)
        from desktop.widgets.train_settings import TrainSettings

        self.settings = TrainSettings()
        self.settings.mode_changed.connect(self._mode_changed)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.setSpacing(12)
        left_layout.addWidget(card(self.picker, title="Backbone"), 1)
        left_layout.addWidget(card(self.settings, title="Settings"))
        scroll = QScrollArea()
        scroll.setObjectName("TrainSettingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(left)
        scroll.setFixedWidth(420)  # leaves the curves ~470-500 px at 1180 px and at 1024 px (narrow navigation)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.progress = TrainProgress()
        self.plots = TrainPlots()
        self.fewshot = FewshotSummary()
        self.plot_stack = QStackedWidget()  # curves, or in the few-shot mode what there is instead
        self.plot_stack.addWidget(self.plots)
        self.plot_stack.addWidget(self.fewshot)
        self.zeroshot = ZeroshotSummary()
        self.plot_stack.addWidget(self.zeroshot)
        self.log = EventLog()
        self.history = RunHistory()
        self.history.selection_changed.connect(self._history_selected)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("TrainTabs")
        self.tabs.addTab(self.history, "Run history")
        self.tabs.addTab(self.log, "Event log")
        self.tabs.setMaximumHeight(190)  # the curves keep their axes at 700 px high
        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(self.progress)
        right.addWidget(self.plot_stack, 1)
        right.addWidget(self.tabs)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(scroll)
        body.addLayout(right, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 20)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addLayout(body, 1)

        training.state_changed.connect(self._state_changed)
        training.fit_start.connect(self._fit_start)
        training.batch_end.connect(self._batch_end)
        training.embed_progress.connect(self.progress.embed_progress)
        training.epoch_end.connect(self._epoch_end)
        training.warning.connect(lambda w: self.log.add(w.message, "warning"))
        training.fit_end.connect(self._fit_end)
        training.failed.connect(self._failed)
        training.fewshot_progress.connect(self.progress.fewshot_progress)
        training.fewshot_end.connect(self._fewshot_end)
        training.zeroshot_end.connect(self._zeroshot_end)
        runs.runs_changed.connect(lambda: self.history.set_runs(runs.runs()))
        session.opened.connect(lambda _p: self._project_changed())
        session.closed.connect(self._project_changed)
        self._jobs.submit(detect_devices, on_result=self.settings.set_devices, doing="looking for GPUs")
        self._state_changed(IDLE)

    # ------------------------------------------------------------ the project

    def _project_changed(self) -> None:
        self._stale = True
        self.plots.reset()
        self.progress.clear()
        self.log.clear()
        if self.isVisible():
            self._load_backbones()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._load_backbones()
        self._show_described()

    def _load_backbones(self) -> None:
        project = self._session.project
        if project is None:
            return
        self._stale = False
        if self._training.spec is not None:
            self.picker.set_specs([self._training.spec])
            return
        self.picker.set_specs(project.task, select=self._default_backbone(project.task).name)

    def _default_backbone(self, modality: str):
        """What ``transferlab train`` picks without --backbone for the chosen mode: a probe's default
        (pictures: Lite0 + Lite1) unless the mode trains one network (fine-tuning, few-shot, zero-shot)."""
        from core import backbones
        from core.train.plan import pair_fits

        probe, single = backbones.probe_default_for(modality), backbones.default_for(modality)
        if probe is None or self.settings.mode.currentData() not in ("auto", "probe"):
            return single
        project, device = self._session.project, self.settings.device
        listed = {device.itemData(i) for i in range(device.count())}
        chosen = device.currentData()
        gpu = chosen not in ("auto", "cpu") or (chosen == "auto" and any(d not in ("auto", "cpu") for d in listed))
        try:
            status = project.status()
        except TransferLabError:
            return probe
        samples = status.labelled - status.splits.get("test", 0)  # the unlabelled ones do not count (plan.py)
        return probe if pair_fits(samples, "cuda" if gpu else "cpu") else single

    # ------------------------------------------------------------ buttons

    def _mode_view(self):
        """(start button text, prompt, what stands in place of the curves) for the chosen mode."""
        if self.settings.is_fewshot():
            return "Build few-shot model", FEWSHOT_PROMPT, self.fewshot
        if self.settings.is_zeroshot():
            return "Build zero-shot model", ZEROSHOT_PROMPT, self.zeroshot
        return "Start training", PROMPT, self.plots

    def _mode_changed(self, _mode: str = "") -> None:
        chosen, project = self.picker.current_spec(), self._session.project
        mode = self.settings.mode.currentData()
        if chosen is not None and chosen.weights.members and project is not None and mode not in ("auto", "probe"):
            # a pair trains as a probe only; the other modes use one network (as on the command line)
            single = self._default_backbone(project.task)
            if self.picker.select(single.name):
                why = "trains as a probe only" if mode in ("finetune", "full") else "is measured for probes only"
                self.log.add(f"{_short(chosen)} {why}: {_short(single)} is chosen for this mode.")
        text, prompt, view = self._mode_view()
        self.start_button.setText(text)
        self.plot_stack.setCurrentWidget(view)
        if self.status_label.text() in (PROMPT, FEWSHOT_PROMPT, ZEROSHOT_PROMPT):
            self.status_label.setText(prompt)
        self._show_described()

    def _show_described(self) -> None:
        project = self._session.project
        if project is None or not self.settings.is_zeroshot():
            return
        try:
            described = project.class_attributes()
            counts = {c.name: c.count for c in project.classes()}
        except TransferLabError:
            return
        self.zeroshot.set_described(described, counts)

    def start(self) -> bool:
        self.plot_stack.setCurrentWidget(self._mode_view()[2])
        spec = self.picker.current_spec()
        if spec is None and self._training.spec is None:
            self._notifier.post("Pick a backbone first (the list is still loading).", "info")
            return False
        if self.settings.is_fewshot():
            return self._start_fewshot(spec)
        if self.settings.is_zeroshot():
            return self._start_zeroshot(spec)
        try:
            config = self.settings.config(spec.name if spec is not None else None)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error")
            return False
        self.plots.reset()
        self.plots.set_comparison(None)
        self.history.tree.clearSelection()
        self.progress.clear()
        self.log.clear()
        self.log.add(f"Starting {config.mode} training of {config.backbone or 'the default backbone'}…")
        self._rate = None
        self._run_began = False
        return self._training.start(config)

    def _start_fewshot(self, spec) -> bool:
        self.fewshot.clear()
        self._clear_for_build(spec, "a few-shot model", "each class becomes the average of its labelled "
                              "training and validation examples (nothing is trained)")
        return self._training.start_fewshot(spec)

    def _start_zeroshot(self, spec) -> bool:
        self.zeroshot.clear()
        self._show_described()
        self._clear_for_build(spec, "a zero-shot model", "a detector per attribute, learnt from the described "
                              "classes that have labelled examples")
        return self._training.start_zeroshot(spec)

    def _clear_for_build(self, spec, what: str, how: str) -> None:
        """Before a few-shot or zero-shot build: a clean progress card and log that say what happens."""
        self.history.tree.clearSelection()
        self.progress.clear()
        self.log.clear()
        chosen = self._training.spec or spec
        name = chosen.name if chosen is not None else "the default backbone"
        self.log.add(f"Building {what} on {name}: {how}…")

    def _pause_or_resume(self) -> None:
        if self._training.state == PAUSED:
            self._training.resume()
        else:
            self._training.pause()

    def _state_changed(self, state: str) -> None:
        running = state != IDLE
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(state in (RUNNING, PAUSED) and self._training.can_pause)
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        self.stop_button.setEnabled(state in (RUNNING, PAUSED) and self._training.can_stop)
        self.picker.setEnabled(not running)
        self.settings.setEnabled(not running)
        building = {"fewshot": "Building the few-shot model…", "zeroshot": "Building the zero-shot model…"}
        texts = {RUNNING: building.get(self._training.kind, "Training…"),
                 PAUSED: "Paused: press Resume to go on.", "stopping": "Stopping after this batch…"}
        if state in texts:
            self.status_label.setText(texts[state])
        if state == PAUSED:
            self.log.add("Paused.")

    # ------------------------------------------------------------ events from the run

    def _fit_start(self, e) -> None:
        self._run_began = True
        project = self._session.project
        self.plots.main_set = project.main_label_set if project is not None else "main set"
        self._epochs = int(e.config.get("epochs") or 0)
        self._t0 = None
        self.progress.start(e)
        self.log.add(f"Run {e.run_id}: {e.mode} on {e.device} ({e.precision}), {e.train_size:,} training and "
                     f"{e.val_size:,} validation samples, {len(e.class_names)} classes.")
        self.log.add(f"Mode {e.mode}: {e.mode_reason}.")
        if e.resumed_from_epoch:
            self.log.add(f"Resumed after epoch {e.resumed_from_epoch}.")

    def _batch_end(self, b) -> None:
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = (now, b.step)
        done_steps = b.step - self._t0[1]
        eta = None
        if done_steps > 0 and self._epochs:
            rate = done_steps / max(now - self._t0[0], 1e-6)
            left = (self._epochs - b.epoch) * b.batches + (b.batches - b.batch)
            eta = left / rate
        self.progress.batch(b, self._epochs, eta)
        self.plots.add_batch(b)

    def _epoch_end(self, e) -> None:
        self.plots.add_epoch(e)
        self.progress.epoch(e)
        if e.stage.startswith("linear probe"):  # solved, not trained in epochs
            stage, _, adaptation = e.stage.partition("; adaptation: ")
            stage, _, unlabelled = stage.partition("; unlabelled: ")
            how, _, features = stage.split("chosen by ")[-1].partition("; features: ")
            estimate = (f"cross-validated accuracy {100 * e.val_acc:.1f}% ({how})" if e.val_acc == e.val_acc
                        else "no accuracy estimate (no labels)" if "no labels" in adaptation
                        else "no accuracy estimate (a class has a single example)")
            chosen = f"; features {features}" if features else ""
            self.log.add(f"Probe solved in {e.seconds:.1f} s: {estimate}{chosen}.")
            if unlabelled:  # what the unlabelled samples did, or why they were left out
                self.log.add(f"Unlabelled samples: {unlabelled}.")
            if adaptation:  # --from-run: what adapting to this project's samples did, or why not
                self.log.add(f"Adaptation: {adaptation}.")
            return
        stage = f" [{e.stage}]" if e.stage else ""
        sets = f" ({set_accuracies(e.label_sets_val_acc)})" if e.label_sets_val_acc else ""
        self.log.add(f"Epoch {e.epoch}/{e.epochs}{stage}: train loss {e.train_loss:.3f}, val loss {e.val_loss:.3f}, "
                     f"val acc {100 * e.val_acc:.1f}%{sets}{'  ★ best' if e.is_best else ''} ({e.seconds:.1f} s)")

    def _fit_end(self, e) -> None:
        words = {"completed": "Finished", "early_stopped": "Stopped early (no more improvement)", "cancelled": "Stopped"}
        acc = e.metrics.get("val_acc")
        how = e.metrics.get("val_estimate")
        if e.status == "completed" and how and ("probe_choice" in e.metrics or "adaptation" in e.metrics):  # solved
            estimate = f"cross-validated accuracy {100 * acc:.1f}% ({how})" if acc is not None else "no accuracy estimate"
            text = f"Probe solved in {e.seconds:.0f} s: {estimate}."
            if e.skipped_files:
                text += f" {e.skipped_files} unreadable files were skipped."
            self.status_label.setText(text)  # the log has the epoch's line, with the features chosen
            self.progress.finish(e)
            return
        best = f"; best epoch {e.best_epoch} with {100 * acc:.1f}% validation accuracy" if acc is not None and e.best_epoch else ""
        if best and e.metrics.get("label_sets_val_acc"):
            best += f" ({set_accuracies(e.metrics['label_sets_val_acc'])})"
        text = f"{words.get(e.status, e.status)} after {e.epochs_done} epochs in {e.seconds:.0f} s{best}."
        if e.skipped_files:
            text += f" {e.skipped_files} unreadable files were skipped."
        self.status_label.setText(text)
        self.log.add(text, "success" if e.status != "cancelled" else "info")
        self.progress.finish(e)

    def _fewshot_end(self, e) -> None:
        if e.status != "completed":
            self.status_label.setText("Stopped: no few-shot model was saved.")
            self.log.add("Stopped before the model was built.", "info")
            self.progress.built_finish(e.status, e.val_acc)
            return
        n = sum(e.examples_per_class)
        score = f"; leave-one-out accuracy {100 * e.val_acc:.1f}%" if e.val_acc is not None else ""
        text = (f"Few-shot model ready in {e.seconds:.1f} s: {len(e.class_names)} classes from {n:,} labelled "
                f"example{'s' if n != 1 else ''}{score}.")
        self.status_label.setText(text)
        self.fewshot.show_end(e)
        counts = ", ".join(f"{c} {k}" for c, k in zip(e.class_names, e.examples_per_class))
        self.log.add(f"Run {e.run_id} ({e.backbone}): examples per class: {counts}.")
        self.log.add(text + " Evaluate, Play and Export can use it now.", "success")
        self.progress.built_finish(e.status, e.val_acc)

    def _zeroshot_end(self, e) -> None:
        if e.status != "completed":
            self.status_label.setText("Stopped: no zero-shot model was saved.")
            self.log.add("Stopped before the model was built.", "info")
            return
        unseen = ", ".join(e.classes_by_description_only) or "none"
        text = (f"Zero-shot model ready in {e.seconds:.1f} s: {len(e.class_names)} classes, "
                f"{len(e.classes_by_description_only)} known by description alone.")
        self.status_label.setText(text)
        self.zeroshot.show_end(e)
        self.log.add(f"Run {e.run_id} ({e.backbone}): learnt from {', '.join(e.classes_with_examples)}; "
                     f"by description alone: {unseen}.")
        if e.attributes_never_varied:
            self.log.add(f"Could not learn {', '.join(e.attributes_never_varied)}: the same in every class with "
                         "examples.", "warning")
        self.log.add(text + " Evaluate, Play and Export can use it now.", "success")
        self.progress.built_finish(e.status)

    def _failed(self, error) -> None:
        words = {"fewshot": "The few-shot model could not be built.", "zeroshot": "The zero-shot model could not be built."}
        # refused before a run began (one class, no labels): no run was made, so none "stopped"
        default = "Training stopped with an error." if self._run_began else "Training did not start."
        self.status_label.setText(words.get(self._training.kind, default))
        self.log.add(error.message, "error")
        self._notifier.error(error)

    # ------------------------------------------------------------ history

    def _history_selected(self, runs) -> None:
        if runs and runs[0].mode not in ("fewshot", "zeroshot"):
            self.plot_stack.setCurrentWidget(self.plots)  # its curves, even while the few-shot mode is chosen
        if self._training.busy:
            self.plots.set_comparison(read_metrics(runs[0].dir) if runs else None)
            return
        if not runs:
            return
        project = self._session.project
        self.plots.main_set = project.main_label_set if project is not None else "main set"
        self.plots.set_history(read_metrics(runs[0].dir))
        self.plots.set_comparison(read_metrics(runs[1].dir) if len(runs) > 1 else None)


def _short(spec) -> str:
    return spec.title.split(" (")[0]
