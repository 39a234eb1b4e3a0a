"""What an export did: the ExportReport every caller reads (CLI, app, self-test, benchmark), and the
errors an export raises."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from core.errors import TransferLabError


class ExportError(TransferLabError):
    pass


class ExportExists(ExportError):
    """The model file (or a file that belongs with it) is already there and overwrite was not asked for."""

    def __init__(self, message: str, paths: list[Path]):
        super().__init__(message)
        self.paths = paths


@dataclass
class ExportReport:
    path: str
    run_id: str
    size_bytes: int
    parity_max_diff: float  # onnxruntime vs PyTorch, same raw input
    parity_samples: int
    preprocessing_max_diff: float | None  # onnxruntime on raw files vs the training-time transform
    preprocessing_top1_agreement: float | None
    labels_path: str = ""
    card_path: str = ""
    # "fp32", then each variant asked for ("fp16", "int8", "split"): path, written, size_bytes, latency_ms,
    # accuracy, samples, top1_agreement_vs_fp32, max_diff_vs_fp32, and reason (why it was not written)
    variants: dict = field(default_factory=dict)
    measured: dict = field(default_factory=dict)  # how: samples, splits, latency_input, latency_runs, threads
    operators: dict = field(default_factory=dict)  # opset and the operator types of each file
    run: dict = field(default_factory=dict)  # the run exported: id, mode, backbone, status, metrics, best
    removed: list = field(default_factory=list)  # files of an earlier export of NAME that no longer belong
    seconds: float = 0.0
    metadata: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict) -> ExportReport:
        known = {f.name for f in fields(cls)}
        report = cls(**{k: v for k, v in data.items() if k in known})
        if "fp32" not in report.variants:  # written before variants were judged: every one listed was written
            report.variants = {"fp32": {"path": report.path, "written": True, "size_bytes": report.size_bytes},
                               **{k: {**v, "written": True} for k, v in report.variants.items()}}
        return report

    @property
    def not_written(self) -> dict[str, str]:
        """{variant: why it was not written} for the variants asked for but not written."""
        return {k: v.get("reason") or "not written" for k, v in self.variants.items() if not v.get("written")}

    def files(self) -> list[str]:
        """Every file this export wrote."""
        out = []
        for v in self.variants.values():
            if v.get("written"):
                out += [p for p in (v.get("frontend_path"), v.get("path")) if p]
        return out + [p for p in (self.labels_path, self.card_path) if p]
