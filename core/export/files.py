"""The files written beside an exported model: labels.txt and a Markdown model card."""

from __future__ import annotations

import json
from pathlib import Path

from core.atomic import atomic_write_text


def write_companions(out: Path, loaded, project, report) -> tuple[str, str]:
    labels = out.parent / "labels.txt"
    atomic_write_text(labels, "".join(f"{name}\n" for name in loaded.class_names))
    card = out.parent / f"{out.stem}.md"
    atomic_write_text(card, model_card(out, loaded, project, report))
    return str(labels), str(card)


def model_card(out: Path, loaded, project, report) -> str:
    status = project.status()
    metrics = loaded.info.metrics or {}
    input_spec = json.loads(report.metadata["input_spec"])
    if loaded.modality == "image":
        run_line = "x = np.asarray(Image.open('photo.jpg').convert('RGB'))[None]  # uint8 [1, H, W, 3], any size"
        imports = "import numpy as np, onnxruntime as ort\nfrom PIL import Image"
        inp = "image"
    else:
        rate = input_spec["sample_rate"]
        run_line = f"x, _ = sf.read('clip.wav', dtype='float32'); x = x[None]  # mono at {rate} Hz"
        imports = "import onnxruntime as ort, soundfile as sf"
        inp = "waveform"
    counts = "\n".join(
        f"| {name} | {c.train} | {c.val} | {c.test} |" for name, c in status.classes.items() if name in loaded.class_names
    )
    acc = metrics.get("val_acc")
    lines = [
        f"# {project.name}: {loaded.modality} classifier",
        "",
        f"Exported by TransferLab from run `{loaded.info.id}` ({loaded.spec.name}, {loaded.meta.get('mode', '')} mode).",
        "",
        "## Classes",
        "",
        ", ".join(loaded.class_names),
        "",
        *_label_set_lines(loaded),
        "## Data",
        "",
        "| class | train | validation | test |",
        "|---|---|---|---|",
        counts,
        "",
        "## Metrics",
        "",
        f"- validation accuracy: {acc:.1%}" if isinstance(acc, (int, float)) else "- validation accuracy: n/a",
        *(f"- validation accuracy, {name}: {v:.1%}" for name, v in (metrics.get("label_sets_val_acc") or {}).items()),
        f"- export check: onnxruntime within {report.parity_max_diff:.1e} of PyTorch on {report.parity_samples} project samples",
        "",
        "## Intended use",
        "",
        f"Sorting {loaded.modality} like the training data into these classes. It has only seen the classes above:",
        "anything else will still get one of them, so check the confidence. Measure it on your own data before",
        "relying on it.",
        "",
        "## Run it",
        "",
        "```python",
        imports,
        f"session = ort.InferenceSession('{out.name}')",
        run_line,
        f"probabilities = session.run(['probabilities'], {{'{inp}': x}})[0][0]",
        "labels = [line.strip() for line in open('labels.txt')]; print(labels[probabilities.argmax()])",
        "```",
        "",
        "Or, with TransferLab installed: `transferlab predict " + out.name + " FILE...`",
        "",
    ]
    return "\n".join(lines)


def _label_set_lines(loaded) -> list[str]:
    """Multi-task models: the other label sets and the outputs that answer for them."""
    if not loaded.label_sets:
        return []
    lines = [f"Those are the label set '{loaded.meta.get('main_label_set') or 'class'}' (output `probabilities`). "
             "This model answers for more label sets, one output each:", ""]
    lines += [f"- {name} (output `probabilities_{k}`): {', '.join(classes)}"
              for k, (name, classes) in enumerate(loaded.label_sets, start=1)]
    return lines + [""]
