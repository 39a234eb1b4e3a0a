"""Pick a pretrained backbone with the numbers that matter side by side: CPU latency measured on this
machine, parameters, compute, and whether the weights are here (with Import / Download where not).

Everything slow (building models to count parameters, locating weights, timing) runs in the
background; the table fills in when the numbers arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from desktop.notifier import Notifier
from desktop.workers.runner import Runner

COLUMNS = ("Backbone", "Params", "CPU", "Weights")  # short headers: the names keep the room (1024 px)


@dataclass(frozen=True)
class BackboneRow:
    spec: object
    params: int
    macs: int
    latency_ms: float | None
    weights: str | None  # where the weights are ('bundled', 'hub cache', 'imported') or None


def read_rows(_ctx, specs) -> list[BackboneRow]:
    from core import weights
    from core.backbones import latency

    if isinstance(specs, str):  # a modality: the registry is read here, off the GUI thread
        from core import backbones

        specs = backbones.all_specs(specs)
    rows = []
    for spec in specs:
        try:
            found = weights.locate(spec)
        except Exception:  # noqa: BLE001 - a broken entry shows as missing, the rest still list
            found = None
        rows.append(BackboneRow(spec, spec.params, spec.macs, latency.cached_latency_ms(spec),
                                found.source if found else None))
    return rows


def measure(ctx, specs) -> None:
    """Each backbone's (name, milliseconds) as a partial result, as soon as it is measured."""
    from core.backbones import latency

    for spec in specs:
        ctx.partial((spec.name, latency.latency_ms(spec)))


def _role(spec) -> str:
    """Where this backbone is the default (as `transferlab train` without --backbone picks)."""
    from core.backbones import default_for, probe_default_for

    probe, single = probe_default_for(spec.modality), default_for(spec.modality)
    if probe is not None and spec.name == probe.name:
        return f" The default for a probe (Auto below 300 labelled a class); other modes use {single.title.split(' (')[0]}."
    if spec.name == single.name:
        return " The default for fine-tuning, few-shot and zero-shot." if probe is not None else " The default."
    return ""


def human(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return str(int(n))


class BackbonePicker(QWidget):
    changed = Signal(object)  # the chosen BackboneSpec

    def __init__(self, notifier: Notifier, parent: QWidget | None = None):
        super().__init__(parent)
        self._notifier = notifier
        self._jobs = Runner(self)
        self._rows: dict[str, BackboneRow] = {}
        self.tree = QTreeWidget()
        self.tree.setObjectName("BackboneList")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        # names that do not fit keep their ends: "EfficientNet-Lite0/1/2" elided at the end all read
        # "EfficientNet-Lit…" at the default window size
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setMinimumHeight(170)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.headerItem().setToolTip(2, "Time of one prediction on this computer's CPU")
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._selected(cur))
        self.detail = QLabel("Reading the backbones…")
        self.detail.setProperty("role", "muted")
        self.detail.setWordWrap(True)
        self.import_button = QPushButton("Import weights…")
        self.import_button.clicked.connect(self._import)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self._download)
        self.measure_button = QPushButton("Measure speed")
        self.measure_button.setToolTip("Time one prediction of each backbone on this computer's CPU (remembered)")
        self.measure_button.clicked.connect(self.measure_missing)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for b in (self.import_button, self.download_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.measure_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self._update_buttons()

    # ------------------------------------------------------------ filling

    def set_specs(self, specs, select: str | None = None) -> None:
        """Show these specs, or a modality's registry entries (read in the background)."""
        self._want = select
        self.tree.clear()
        self._rows.clear()
        self.detail.setText("Reading the backbones…")
        # key: a newer list replaces one still being read (its rows never arrive)
        self._jobs.submit(read_rows, specs if isinstance(specs, str) else list(specs), key="rows", on_result=self._fill,
                          on_failed=self._notifier.error, doing="reading the backbones")

    def _fill(self, rows: list[BackboneRow]) -> None:
        self.tree.clear()
        for row in rows:
            self._rows[row.spec.name] = row
            item = QTreeWidgetItem(self.tree)
            item.setData(0, Qt.ItemDataRole.UserRole, row.spec.name)
            self._paint(item, row)
            if row.spec.name == self._want:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def _paint(self, item: QTreeWidgetItem, row: BackboneRow) -> None:
        spec = row.spec
        item.setText(0, spec.title.split(" (")[0])
        item.setToolTip(0, f"{spec.title}\n{spec.name} · {spec.feature_dim}-d features · licence {spec.licence}")
        item.setText(1, human(row.params))
        item.setToolTip(1, f"{row.params:,} parameters · {human(row.macs)}MACs per {spec.macs_input}")
        item.setText(2, f"{row.latency_ms:.1f} ms" if row.latency_ms is not None else "–")
        item.setText(3, row.weights or "missing")
        for col in (1, 2):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == name:
                return self.tree.topLevelItem(i)
        return None

    # ------------------------------------------------------------ choosing

    def select(self, name: str) -> bool:
        """Make the backbone called ``name`` the chosen one (False: it is not listed, or not yet)."""
        item = self._item(name)
        if item is not None:
            self.tree.setCurrentItem(item)
        else:
            self._want = name  # the list is still being read: chosen when it arrives
        return item is not None

    def current_spec(self):
        row = self.current_row()
        return row.spec if row else None

    def current_row(self) -> BackboneRow | None:
        item = self.tree.currentItem()
        return self._rows.get(item.data(0, Qt.ItemDataRole.UserRole)) if item else None

    def _selected(self, item) -> None:
        row = self.current_row()
        self._update_buttons()
        if row is None:
            return
        spec = row.spec
        where = ("built in, no weights" if spec.weights.built_in else f"weights: {row.weights}" if row.weights
                 else "weights not on this computer")
        speed = f"{row.latency_ms:.1f} ms per {spec.macs_input} on this CPU" if row.latency_ms else "speed not measured yet"
        self.detail.setText(f"{spec.title}: {human(row.params)} parameters, {human(row.macs)}MACs, "
                            f"{spec.feature_dim}-d features; {speed}; {where}.{_role(spec)}")
        self.changed.emit(spec)

    def _update_buttons(self) -> None:
        row = self.current_row()
        missing = row is not None and row.weights is None
        self.import_button.setVisible(missing)
        self.download_button.setVisible(missing and bool(row.spec.weights.url))
        self.measure_button.setEnabled(bool(self._rows) and not self._jobs.busy)

    # ------------------------------------------------------------ actions (all in the background)

    def measure_missing(self) -> None:
        specs = [r.spec for r in self._rows.values() if r.latency_ms is None]
        if not specs:
            return
        self.measure_button.setEnabled(False)
        self.measure_button.setText("Measuring…")
        self._jobs.submit(measure, specs, on_partial=self._measured, on_failed=self._notifier.error,
                          on_finished=self._measure_done, doing="measuring backbone speed")

    def _measured(self, value) -> None:
        name, ms = value
        row = self._rows.get(name)
        if row is not None:
            self._rows[name] = BackboneRow(row.spec, row.params, row.macs, ms, row.weights)
            item = self._item(name)
            if item is not None:
                self._paint(item, self._rows[name])
                if item is self.tree.currentItem():
                    self._selected(item)

    def _measure_done(self) -> None:
        self.measure_button.setText("Measure speed")
        self._update_buttons()

    def _import(self) -> None:
        row = self.current_row()
        if row is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Weights for {row.spec.title}", "", "PyTorch weights (*.pt *.pth *.bin *.safetensors);;All files (*)")
        if path:
            self._weights_job(row, "importing weights", _import_weights, path)

    def _download(self) -> None:
        row = self.current_row()
        if row is not None:
            self._notifier.post(f"Downloading the weights of {row.spec.title} from {row.spec.weights.url}…")
            self._weights_job(row, "downloading weights", _download_weights)

    def _weights_job(self, row: BackboneRow, doing: str, fn, *args) -> None:
        def done(source: str) -> None:
            self._rows[row.spec.name] = BackboneRow(row.spec, row.params, row.macs, row.latency_ms, source)
            item = self._item(row.spec.name)
            if item is not None:
                self._paint(item, self._rows[row.spec.name])
                self._selected(item)
            self._notifier.post(f"The weights of {row.spec.title} are ready ({source}).", "success")

        self._jobs.submit(fn, row.spec, *args, on_result=done, on_failed=self._notifier.error, doing=doing)


def _import_weights(_ctx, spec, path):
    from core import weights

    return weights.import_weights(spec, path).source


def _download_weights(ctx, spec):
    from core import weights

    return weights.download(spec, progress=lambda done, total: ctx.progress((done, total))).source
