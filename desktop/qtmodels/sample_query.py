"""Which samples a view shows: a filter as the pages hold it, and the two queries a lazy grid
needs (ids of a filter once, then the next unlabelled ones), answered by core.Project.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.project import SPLITS, UNLABELLED

UNLABELLED_FILTER = "\x00unlabelled"  # the class filter value for "no label yet"


@dataclass(frozen=True)
class SampleFilter:
    label: str | None = None  # a class name, UNLABELLED_FILTER, or None for every class
    split: str | None = None  # 'train' | 'val' | 'test' | 'none' | None
    status: str | None = "ok"  # 'ok' | 'broken' | None
    search: str = ""  # substring of the original file path
    label_set: str | None = None  # ``label`` is a class of this extra label set (None: the main set)

    def with_changes(self, **changes) -> "SampleFilter":
        return replace(self, **changes)

    def describe(self) -> str:
        bits = []
        if self.label == UNLABELLED_FILTER:
            bits.append("unlabelled")
        elif self.label:
            bits.append(f"labelled '{self.label}'")
        if self.split == "none":
            bits.append("without a split")
        elif self.split:
            bits.append(f"in {self.split}")
        if self.search:
            bits.append(f"matching '{self.search}'")
        return ", ".join(bits)


def _query(f: SampleFilter) -> dict:
    """The filter as core.Project's query arguments."""
    label = UNLABELLED if f.label == UNLABELLED_FILTER else (f.label or None)
    split = f.split if f.split == "none" or f.split in SPLITS else None
    return {"label": label, "split": split, "status": f.status or None, "search": f.search or None,
            "label_set": f.label_set}


def sample_ids(project, f: SampleFilter) -> list[int]:
    """The ids a filter selects, in import order (20,000 ids take a few milliseconds)."""
    return project.sample_ids(**_query(f))


def unlabelled_after(project, after_id: int, limit: int = 256, label_set: str | None = None) -> list[int]:
    """Ids of unlabelled, usable samples after ``after_id``, in order (a batch, for "next unlabelled");
    with ``label_set``, those without a label in that extra set."""
    return project.unlabelled_after(after_id, limit, label_set)
