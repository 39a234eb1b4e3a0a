"""What an import found: the records it hands back (plain values, safe to send across threads)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    path: str  # a file, or for a row of a listing of texts "LISTING:LINE"
    label: str | None
    text: str | None = None  # a row of a listing of texts: the text itself (there is no file)


@dataclass(frozen=True)
class Rejected:
    path: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    path: str
    existing: str  # the file already in the project with the same content
    label: str | None = None  # the label this file or row came with (it is not applied)
    existing_label: str | None = None  # the label of the sample already in the project

    @property
    def label_differs(self) -> bool:
        """It came with a label the project's sample does not have (which keeps its own)."""
        return self.label is not None and self.label != self.existing_label


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int
    path: str
    added: int
    duplicates: int
    rejected: int


@dataclass
class ImportReport:
    added_ids: list[int] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    labelled: int = 0
    classes_created: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return len(self.added_ids)

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "duplicates": len(self.duplicates),
            "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected],
            "duplicate_files": [{"path": d.path, "existing": d.existing, "label": d.label,
                                 "existing_label": d.existing_label} for d in self.duplicates],
            "labelled": self.labelled,
            "classes_created": list(self.classes_created),
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        parts = [f"{self.added} added", f"{len(self.duplicates)} duplicates skipped", f"{len(self.rejected)} rejected"]
        text = ", ".join(parts)
        return text + (" (cancelled)" if self.cancelled else "")
