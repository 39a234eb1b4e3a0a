"""Plain, frozen records handed out by the project API (no SQLite rows leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Sample:
    id: int
    hash: str
    kind: str
    media_path: str  # relative to the project folder
    original_path: str | None
    label: str | None
    split: str | None
    status: str
    status_reason: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    size_bytes: int | None = None
    added_at: float = 0.0
    source_hash: str | None = None  # set for a segment of a long recording
    start: float | None = None  # seconds into the recording (segments only)
    end: float | None = None

    @property
    def is_segment(self) -> bool:
        return self.source_hash is not None

    @property
    def display_name(self) -> str:
        src = self.original_path or self.media_path
        name = src.replace("\\", "/").rsplit("/", 1)[-1]
        if self.is_segment:
            return f"{name} [{self.start:.2f}-{self.end:.2f}s]"
        return name


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    position: int
    color: str | None
    count: int = 0

    @property
    def shortcut(self) -> str | None:
        """Number key that labels with this class in the app (1-9 for the first nine)."""
        return str(self.position + 1) if self.position < 9 else None


@dataclass(frozen=True)
class ClassCounts:
    total: int = 0
    train: int = 0
    val: int = 0
    test: int = 0
    unassigned: int = 0


@dataclass(frozen=True)
class ProjectStatus:
    name: str
    task: str
    samples: int
    labelled: int
    unlabelled: int
    rejected: int
    broken: int
    splits: dict[str, int] = field(default_factory=dict)
    classes: dict[str, ClassCounts] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "task": self.task,
            "samples": self.samples,
            "labelled": self.labelled,
            "unlabelled": self.unlabelled,
            "rejected": self.rejected,
            "broken": self.broken,
            "splits": dict(self.splits),
            "classes": {name: vars(c).copy() for name, c in self.classes.items()},
        }
