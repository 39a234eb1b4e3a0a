"""An audio model as two files, for runtimes without the STFT operator (OpenCV's DNN module, for one):
NAME.frontend.onnx (waveform -> log-mel picture) and NAME.classifier.onnx (log-mel picture -> classes).

Both are exported from the same modules as NAME.onnx and checked against it: the two files chained
in onnxruntime must give NAME.onnx's probabilities on the project's samples.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.predict import contract as C


def supports_split(loaded) -> bool:
    """Models whose preprocessing makes a picture the backbone reads (a log-mel front end)."""
    from core.backbones import LogMelPreprocessing

    return isinstance(loaded.spec.preprocessing, LogMelPreprocessing)


def backbone_supports_split(backbone: str | None) -> bool:
    """The same, by a run's backbone name (no model is built)."""
    from core import backbones
    from core.backbones import LogMelPreprocessing

    try:
        return isinstance(backbones.get(backbone).preprocessing, LogMelPreprocessing)
    except Exception:  # an unknown name (a test backbone, a removed one): let the export say
        return True


def prepared_spec(wrapper, loaded) -> dict:
    """The classifier file's input: whatever shape the run's front end makes (its settings may change)."""
    import torch

    with torch.inference_mode():
        shape = list(wrapper.prepare(torch.zeros(1, loaded.sample_rate)).shape[1:])
    return {"name": C.LOG_MEL, "dtype": "float32", "layout": "NCHW", "shape": shape,
            "normalised": "log-mel picture, low frequencies at the bottom, normalised like the backbone's images"}


def write_split(wrapper, loaded, frontend_path: Path, classifier_path: Path, main_input: dict, meta: dict,
                names: tuple[str, str]) -> dict:
    """Export both files (``names``: their final file names, for the metadata that links them)."""
    import torch

    from core.export.graph import PreparedClassifier
    from core.export.torch_export import torch_export

    batch = torch.export.Dim("batch", min=1, max=4096)
    minimum = int(main_input.get("min_samples") or 1)
    torch_export(wrapper.prepare, torch.zeros(2, loaded.clip_samples or loaded.sample_rate), frontend_path,
                 input_name=C.AUDIO_INPUT, output_names=[C.LOG_MEL],
                 dims={0: batch, 1: torch.export.Dim("time", min=minimum, max=loaded.sample_rate * 3600)},
                 what=f"{loaded.spec.name} front end")
    spec = prepared_spec(wrapper, loaded)
    torch_export(PreparedClassifier(wrapper).eval(), torch.zeros(2, *spec["shape"]), classifier_path,
                 input_name=C.LOG_MEL, output_names=C.output_names(len(loaded.head_sizes)), dims={0: batch},
                 what=f"{loaded.spec.name} classifier")
    frontend_name, classifier_name = names
    classifier_meta = {**meta, C.KEY_INPUT_SPEC: json.dumps({**spec, C.KEY_FRONTEND: frontend_name}),
                       C.KEY_FRONTEND: frontend_name}
    frontend_meta = {k: meta[k] for k in (C.KEY_FORMAT, C.KEY_TASK, C.KEY_SAMPLE_RATE, C.KEY_APP_VERSION, C.KEY_CREATED,
                                          C.KEY_RUN_ID, "preprocessing") if k in meta}
    frontend_meta.update({C.KEY_INPUT_SPEC: json.dumps(main_input), C.KEY_FRONTEND_OF: classifier_name,
                          "output": json.dumps(spec)})
    return {"classifier_meta": classifier_meta, "frontend_meta": frontend_meta}


def chained_probabilities(frontend_session, classifier_session, raw: np.ndarray) -> np.ndarray:
    picture = frontend_session.run([C.LOG_MEL], {C.AUDIO_INPUT: raw[None]})[0]
    return classifier_session.run([C.PROBABILITIES], {C.LOG_MEL: picture})[0][0]
