"""Files of an export on their way: made under hidden temporary names in the run's folder inside the
project (core.project.upkeep.staging_path: a killed export leaves nothing in the person's output
folder, and the next opening of the project removes what it left), checked, and moved to their final
names only when everything passed (removed on any failure), and the one validity check every written
file passes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.export.files import files_for
from core.export.report import ExportError
from core.predict import contract as C
from core.project.upkeep import place, staging_path


def check_file(path: Path) -> None:
    """The ONNX checker with full_check (types and shapes inferred strictly, nodes in order)."""
    import onnx

    try:
        onnx.checker.check_model(str(path), full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ExportError(f"the ONNX checker rejects it ({' '.join(str(exc).split())[:300]})", detail=str(exc)) from None


def finish_file(path: Path, meta: dict[str, str], model=None) -> None:
    """Write ``meta`` into the file's metadata_props (replacing any), drop the exporter's per-node
    notes that hold this machine's source paths, and save."""
    import onnx

    from core.export.variants import strip_private_metadata

    model = model if model is not None else onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    if C.KEY_LABELS in meta:
        model.doc_string = f"TransferLab {meta[C.KEY_TASK]} classifier: {', '.join(json.loads(meta[C.KEY_LABELS]))}"
    strip_private_metadata(model)
    onnx.save(model, str(path))


class Staging:
    """Temporary files by role (core.export.files.SUFFIXES), moved to their final names at commit."""

    def __init__(self, out: Path, run_dir: Path):
        self.files = files_for(out)
        self.run_dir = Path(run_dir)
        self.temp: dict[str, Path] = {}

    def path(self, role: str) -> Path:
        self.temp[role] = staging_path(self.run_dir, self.files[role])
        return self.temp[role]

    def drop(self, role: str) -> None:
        tmp = self.temp.pop(role, None)
        if tmp is not None and tmp.exists():
            tmp.unlink()

    def commit(self, roles: list[str]) -> None:
        for role in roles:
            tmp = self.temp[role]
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            place(tmp, self.files[role])
            del self.temp[role]  # only once placed: a file that could not be is removed by cleanup()

    def cleanup(self) -> None:
        for role in list(self.temp):
            self.drop(role)
