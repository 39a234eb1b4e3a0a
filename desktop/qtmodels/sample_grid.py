"""The samples a filter selects, as a list model that loads rows a page at a time.

On a filter change only the ids are read (a few milliseconds for 20,000); a row's Sample is read
when a view first asks for it, in pages, and its thumbnail when a view first paints it. Label
edits update rows in place and never reorder or drop them, so the person's place stays put.

With an extra label set chosen (multi-task, ``set_label_view``) a row's Sample carries its label in
that set instead of the main one, so every view and delegate shows that set's labels unchanged.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from core.errors import ProjectError
from desktop.qtmodels.sample_query import SampleFilter, sample_ids
from desktop.thumbnails.loader import ThumbnailLoader

SAMPLE_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB_ROLE = Qt.ItemDataRole.UserRole + 2
COLOR_ROLE = Qt.ItemDataRole.UserRole + 3
ID_ROLE = Qt.ItemDataRole.UserRole + 4
PAGE = 128


class SampleGridModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self._loader = loader
        self._project = None
        self._filter = SampleFilter()
        self._ids: list[int] = []
        self._pages: dict[int, list] = {}
        self._colors: dict[str, str] = {}
        self._rows_of_hash: dict[str, int] = {}
        self._order = None  # a sort key over sample ids, or None for import order
        self._row_index: dict[int, int] | None = None
        self._label_set: str | None = None  # rows show this extra set's labels (None: the main set's)
        self._set_labels: dict[int, str] = {}
        self.page_loads = 0  # for tests: rows are read lazily
        loader.ready.connect(self._thumbnail_ready)

    # ------------------------------------------------------------ what is shown

    def set_project(self, project) -> None:
        self._project = project
        self.reload()

    @property
    def filter(self) -> SampleFilter:
        return self._filter

    def set_filter(self, f: SampleFilter) -> None:
        if f != self._filter:
            self._filter = f
            self.reload()

    def set_order(self, key) -> None:
        """Rows sorted by ``key(sample_id)`` (None: import order); read again now."""
        self._order = key
        self.reload()

    @property
    def project(self):
        return self._project

    @property
    def label_set(self) -> str | None:
        return self._label_set

    def set_label_of(self, sample_id: int) -> str | None:
        """A sample's label in the extra set shown (None: unlabelled there, or the main set is shown)."""
        return self._set_labels.get(sample_id)

    def set_label_view(self, label_set: str | None, labels: dict[int, str] | None = None) -> None:
        """Rows show their label in the extra set ``label_set`` (``labels``: {sample id: class}),
        or with None the main label; rows are read again when next painted."""
        self._label_set = label_set
        self._set_labels = dict(labels or {}) if label_set is not None else {}
        self.invalidate_rows()

    def set_class_colors(self, colors: dict[str, str]) -> None:
        self._colors = dict(colors)
        self._refresh_all()

    def reload(self) -> None:
        """Read the ids again (after an import, or a new filter)."""
        self.beginResetModel()
        self._pages.clear()
        self._rows_of_hash.clear()
        try:
            self._ids = sample_ids(self._project, self._filter) if self._project is not None else []
        except ProjectError:  # the project closed under us
            self._ids = []
        self._row_index = None
        if self._order is not None:
            self._ids.sort(key=self._order)
            self._row_index = {sample_id: row for row, sample_id in enumerate(self._ids)}
        self.endResetModel()

    def invalidate_rows(self) -> None:
        """Rows read again when next painted (class renamed, merged or deleted)."""
        self._pages.clear()
        self._rows_of_hash.clear()
        self._refresh_all()

    def _refresh_all(self) -> None:
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    # ------------------------------------------------------------ lookups

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, sample_id: int) -> int | None:
        if self._row_index is not None:
            return self._row_index.get(sample_id)
        row = bisect.bisect_left(self._ids, sample_id)  # ids are ascending (import order) unless sorted
        return row if row < len(self._ids) and self._ids[row] == sample_id else None

    def id_after_removing(self, ids) -> int | None:
        """The sample to show once ``ids`` are gone: the first after them, else the last before."""
        gone = set(ids)
        rows = [r for r in (self.row_of(i) for i in gone) if r is not None]
        if not rows:
            return None
        for row in [*range(max(rows) + 1, len(self._ids)), *range(min(rows) - 1, -1, -1)]:
            if self._ids[row] not in gone:
                return self._ids[row]
        return None

    def sample_at(self, row: int):
        if not 0 <= row < len(self._ids) or self._project is None:
            return None
        page_no = row // PAGE
        page = self._pages.get(page_no)
        if page is None:
            page = self._load_page(page_no)
        return page[row - page_no * PAGE]

    def _load_page(self, page_no: int) -> list:
        first = page_no * PAGE
        page = []
        for offset, sample_id in enumerate(self._ids[first:first + PAGE]):
            try:
                sample = self._project.sample(sample_id)
            except ProjectError:  # deleted meanwhile: keep the row, show it as missing
                sample = None
            if sample is not None and self._label_set is not None:
                sample = replace(sample, label=self._set_labels.get(sample_id))
            page.append(sample)
            if sample is not None:
                self._rows_of_hash[sample.hash] = first + offset
        self._pages[page_no] = page
        self.page_loads += 1
        return page

    def thumbnail(self, sample):
        return self._loader.get(sample)

    def color_of(self, label: str | None) -> str | None:
        return self._colors.get(label) if label else None

    # ------------------------------------------------------------ data

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        sample = self.sample_at(index.row())
        if sample is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return sample.display_name
        if role == SAMPLE_ROLE:
            return sample
        if role == THUMB_ROLE:
            return self._loader.get(sample)
        if role == COLOR_ROLE:
            return self._colors.get(sample.label) if sample.label else None
        if role == Qt.ItemDataRole.ToolTipRole:
            label = sample.label or "no label yet"
            return f"{sample.original_path or sample.media_path}\n{label}" + (
                f"\nCannot be read: {sample.status_reason}" if sample.status != "ok" else "")
        return None

    def flags(self, index: QModelIndex):
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if index.isValid() else Qt.ItemFlag.NoItemFlags

    # ------------------------------------------------------------ updates

    def apply_labels(self, labels: dict[int, str | None], label_set: str | None = None) -> None:
        """Labels changed (an edit, an undo) in the main set or the extra set ``label_set``: update
        the rows that are loaded if that is the set shown, keep every row."""
        if label_set != self._label_set:
            return
        if label_set is not None:
            for sample_id, name in labels.items():
                if name is None:
                    self._set_labels.pop(sample_id, None)
                else:
                    self._set_labels[sample_id] = name
        changed = []
        for sample_id, name in labels.items():
            row = self.row_of(sample_id)
            if row is None:
                continue
            page = self._pages.get(row // PAGE)
            if page is None:
                continue  # read fresh when it is painted
            sample = page[row % PAGE]
            if sample is not None and sample.label != name:
                page[row % PAGE] = replace(sample, label=name) if label_set is not None else self._fresh(sample, name)
                changed.append(row)
        for row in changed:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def _fresh(self, sample, name):
        """The row read again: labelling gives a sample its split, which the page shows too."""
        try:
            return self._project.sample(sample.id)
        except ProjectError:
            return replace(sample, label=name)

    def _thumbnail_ready(self, sample_hash: str) -> None:
        row = self._rows_of_hash.get(sample_hash)
        if row is not None and row < len(self._ids):
            index = self.index(row)
            self.dataChanged.emit(index, index, [THUMB_ROLE])
