"""Live training curves (pyqtgraph): loss and accuracy per epoch, smoothed batch loss, learning rate.

A second run's epoch curves can be laid over the first as dashed lines (comparing two runs).
Batch points are plotted against fractional epochs, so every plot shares the same x axis.
A multi-task run adds a validation accuracy curve per extra label set, named in a legend.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from desktop import theme

pg.setConfigOptions(antialias=True)
SMOOTHING = 0.9  # exponential moving average of the batch loss
SECOND = "#e8833a"  # validation curves (orange reads well on both themes)
SET_COLOURS = ("#8e6bd8", "#2a9d8f", "#d6456b", "#b8860b", "#5b8def")  # extra label sets' curves


def _finite(v: float) -> float:
    return v if isinstance(v, (int, float)) and math.isfinite(v) else float("nan")


class TrainPlots(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.plots: dict[str, pg.PlotWidget] = {}
        self._titles: dict[str, str] = {}
        for i, (key, title, unit) in enumerate((("loss", "Loss", ""), ("acc", "Accuracy (%)", "%"),
                                                 ("batch", "Batch loss (live)", ""), ("lr", "Learning rate", ""))):
            plot = pg.PlotWidget()
            plot.setObjectName(f"plot_{key}")
            plot.setTitle(title)
            self._titles[key] = title
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMinimumHeight(150)
            if i >= 2:  # one "epoch" under each column is enough: the top row keeps its height for the curve
                plot.getPlotItem().setLabel("bottom", "epoch")
            if unit:
                plot.getPlotItem().setYRange(0, 100)
            self.plots[key] = plot
            grid.addWidget(plot, i // 2, i % 2)
        self.plots["lr"].getPlotItem().getAxis("left").enableAutoSIPrefix(True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._sets_legend = None  # the accuracy plot's, made for the first extra label set
        self.main_set = "main set"  # the main label set's name, for that legend
        self.set_curves: dict[str, pg.PlotDataItem] = {}  # extra label set -> its validation accuracy
        self._make_curves()
        self.reset()
        self._apply_theme()

    def _make_curves(self) -> None:
        add = lambda plot, name=None, **kw: self.plots[plot].plot([], [], name=name, **kw)  # noqa: E731
        self.curves["train_loss"] = add("loss", "train", symbol="o", symbolSize=5)
        self.curves["val_loss"] = add("loss", "validation", symbol="o", symbolSize=5)
        self.curves["train_acc"] = add("acc", symbol="o", symbolSize=5)
        self.curves["val_acc"] = add("acc", symbol="o", symbolSize=5)
        self.curves["batch_raw"] = add("batch")
        self.curves["batch_smooth"] = add("batch")
        self.curves["lr"] = add("lr")
        for key in ("cmp_train_loss", "cmp_val_loss", "cmp_train_acc", "cmp_val_acc"):
            self.curves[key] = add("loss" if key.endswith("loss") else "acc")
        self.plots["batch"].getPlotItem().setClipToView(True)
        self.plots["batch"].getPlotItem().setDownsampling(auto=True, mode="peak")

    # ------------------------------------------------------------ data

    def reset(self) -> None:
        self.epochs: dict[str, list[float]] = {k: [] for k in ("epoch", "train_loss", "val_loss", "train_acc", "val_acc")}
        self.batches: dict[str, list[float]] = {k: [] for k in ("x", "loss", "smooth", "lr")}
        self._ema = None
        for curve in self.curves.values():
            curve.setData([], [])
        self.set_acc: dict[str, list[float]] = {}
        for curve in self.set_curves.values():
            self.plots["acc"].removeItem(curve)
        self.set_curves.clear()
        if self._sets_legend is not None:
            self._sets_legend.clear()
            self._sets_legend.setVisible(False)

    def add_epoch(self, e) -> None:
        """An events.EpochEnd."""
        self.epochs["epoch"].append(float(e.epoch))
        self.epochs["train_loss"].append(_finite(e.train_loss))
        self.epochs["val_loss"].append(_finite(e.val_loss))
        self.epochs["train_acc"].append(100 * _finite(e.train_acc))
        self.epochs["val_acc"].append(100 * _finite(e.val_acc))
        self._add_set_values(len(self.epochs["epoch"]), getattr(e, "label_sets_val_acc", None) or {})
        self._draw_epochs()

    def _add_set_values(self, n: int, values: dict[str, float]) -> None:
        """The extra label sets' validation accuracy of epoch ``n`` (a set first seen now gets NaN before)."""
        for name, acc in values.items():
            self.set_acc.setdefault(name, [])
        for name, series in self.set_acc.items():
            series.extend([float("nan")] * (n - 1 - len(series)))
            series.append(100 * _finite(values.get(name, float("nan"))))

    def set_names(self) -> list[str]:
        return list(self.set_acc)

    def add_batch(self, b) -> None:
        """An events.BatchEnd."""
        x = (b.epoch - 1) + b.batch / max(b.batches, 1)
        loss = _finite(b.loss)
        self._ema = loss if self._ema is None or math.isnan(self._ema) else SMOOTHING * self._ema + (1 - SMOOTHING) * loss
        for key, value in (("x", x), ("loss", loss), ("smooth", self._ema), ("lr", b.lr)):
            self.batches[key].append(value)
        self.curves["batch_raw"].setData(self.batches["x"], self.batches["loss"])
        self.curves["batch_smooth"].setData(self.batches["x"], self.batches["smooth"])
        self.curves["lr"].setData(self.batches["x"], self.batches["lr"])

    def set_history(self, rows: list[dict]) -> None:
        """Show a finished run: its metrics.jsonl rows (one per epoch)."""
        self.reset()
        for n, row in enumerate(rows, 1):
            for key in self.epochs:
                value = float(row.get(key, float("nan")) or 0.0)
                self.epochs[key].append(100 * value if key.endswith("acc") else value)
            sets = row.get("label_sets") or {}
            self._add_set_values(n, {name: m.get("val_acc", float("nan")) for name, m in sets.items()})
        self.curves["lr"].setData([r.get("epoch", i + 1) for i, r in enumerate(rows)], [r.get("lr", 0.0) for r in rows])
        self._draw_epochs()

    def set_comparison(self, rows: list[dict] | None) -> None:
        """Lay another run's epoch curves over these as dashed lines (None clears them)."""
        rows = rows or []
        x = [float(r.get("epoch", i + 1)) for i, r in enumerate(rows)]
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            scale = 100 if key.endswith("acc") else 1
            self.curves[f"cmp_{key}"].setData(x, [scale * float(r.get(key, float("nan"))) for r in rows])

    def _draw_epochs(self) -> None:
        x = self.epochs["epoch"]
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            self.curves[key].setData(x, self.epochs[key])
        for name, series in self.set_acc.items():
            curve = self.set_curves.get(name) or self._add_set_curve(name)
            curve.setData(x[:len(series)], series)

    def _add_set_curve(self, name: str) -> pg.PlotDataItem:
        if self._sets_legend is None:
            # one row along the bottom, right: accuracy curves rise, so that corner stays free
            self._sets_legend = self.plots["acc"].addLegend(offset=(-4, -4), labelTextSize="8pt",
                                                            verSpacing=-4, horSpacing=10)
            self._style_legend(self._sets_legend)
        if not self.set_curves:  # validation accuracy of the main set (orange, as in the loss legend)
            self._sets_legend.addItem(self.curves["val_acc"], self.main_set)
        self._sets_legend.setVisible(True)
        colour = SET_COLOURS[len(self.set_curves) % len(SET_COLOURS)]
        curve = self.plots["acc"].plot([], [], name=name, pen=pg.mkPen(colour, width=2),
                                       symbol="t", symbolSize=6, symbolBrush=colour, symbolPen=None)
        self.set_curves[name] = curve
        self._sets_legend.setColumnCount(len(self.set_curves) + 1)
        return curve

    def point_counts(self) -> dict[str, int]:
        counts = {key: len(curve.xData) if curve.xData is not None else 0 for key, curve in self.curves.items()}
        counts.update({f"set:{name}": len(curve.xData) if curve.xData is not None else 0
                       for name, curve in self.set_curves.items()})
        return counts

    # ------------------------------------------------------------ theme

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()

    def _apply_theme(self) -> None:
        name = theme.current_theme()
        c = lambda k: theme.color(name, k)  # noqa: E731
        accent, muted, text = c("accent"), c("muted"), c("text")
        # the loss plot's key is in its title: a legend inside the plot hid the end of the train curve
        loss_key = "&nbsp;&nbsp;<span style='font-size:9pt'><span style='color:{}'>●</span>&nbsp;train&nbsp;&nbsp;" \
              "<span style='color:{}'>●</span>&nbsp;validation</span>"  # short titles: the key fits a 250 px plot
        for which, plot in self.plots.items():
            plot.setBackground(c("base"))
            item = plot.getPlotItem()
            title = self._titles[which] + (loss_key.format(accent.name(), SECOND) if which == "loss" else "")
            item.setTitle(title, color=text.name(), size="10pt")
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(pg.mkPen(c("border")))
                axis.setTextPen(pg.mkPen(muted))
        faint = pg.mkColor(muted)
        faint.setAlpha(90)
        styles = {
            "train_loss": dict(pen=pg.mkPen(accent, width=2), symbolBrush=accent, symbolPen=None),
            "val_loss": dict(pen=pg.mkPen(SECOND, width=2), symbolBrush=SECOND, symbolPen=None),
            "train_acc": dict(pen=pg.mkPen(accent, width=2), symbolBrush=accent, symbolPen=None),
            "val_acc": dict(pen=pg.mkPen(SECOND, width=2), symbolBrush=SECOND, symbolPen=None),
            "batch_raw": dict(pen=pg.mkPen(faint, width=1)),
            "batch_smooth": dict(pen=pg.mkPen(accent, width=2)),
            "lr": dict(pen=pg.mkPen(c("success"), width=2)),
        }
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            colour = accent if key.startswith("train") else pg.mkColor(SECOND)
            styles[f"cmp_{key}"] = dict(pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine))
        for key, style in styles.items():
            curve = self.curves[key]
            curve.setPen(style["pen"])
            if "symbolBrush" in style:
                curve.setSymbolBrush(style["symbolBrush"])
                curve.setSymbolPen(style["symbolPen"])
        if self._sets_legend is not None:
            self._style_legend(self._sets_legend)

    def _style_legend(self, legend) -> None:
        name = theme.current_theme()
        legend.setLabelTextColor(theme.color(name, "text"))
        legend.setBrush(pg.mkBrush(theme.color(name, "base")))
