"""The files of one exported model, all named after it: NAME.onnx, its variants, NAME.labels.txt and
the model card NAME.md. Two models exported into one folder never share a file (a shared
labels.txt once named the wrong model's classes), and an export knows every file it may replace.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.atomic import atomic_write_text
from core.export.snippets import requirements, snippet
from core.run_catalogue import accuracy_name, val_acc

# role -> how its name ends, after the model's stem
SUFFIXES = {
    "fp32": ".onnx",
    "fp16": ".fp16.onnx",
    "int8": ".int8.onnx",
    "frontend": ".frontend.onnx",  # waveform -> log-mel picture (the split export of an audio model)
    "classifier": ".classifier.onnx",  # log-mel picture -> classes
    "tokenizer": ".tokenizer.json",  # a text model's tokenizer (also inside the model's metadata)
    "labels": ".labels.txt",
    "card": ".md",
}
VARIANT_TITLES = {"fp32": "fp32", "fp16": "fp16 (half-precision weights)", "int8": "int8 (static quantisation)",
                  "split": "front end + classifier (two files)"}


def files_for(out: Path) -> dict[str, Path]:
    """Every file an export to ``out`` (NAME.onnx) may write, by role."""
    return {role: out.with_name(out.stem + suffix) for role, suffix in SUFFIXES.items()}


def other_models(out) -> dict[str, Path]:
    """Files named like a variant of NAME.onnx that are models exported on their own, by role: a model
    exported as NAME.fp16.onnx has its own NAME.fp16.labels.txt or card beside it, which a variant never
    has. They belong to that other model: an export of NAME neither counts, removes nor replaces them."""
    out = Path(out).expanduser()
    found = {}
    for role, path in files_for(out).items():
        if role == "fp32" or path.suffix != ".onnx" or not path.exists():
            continue
        own = files_for(path)
        if own["labels"].exists() or own["card"].exists():
            found[role] = path
    return found


def existing_files(out) -> list[Path]:
    """The files of a model NAME.onnx that are already there: an export replaces (or, for variants it
    does not write this time, removes) them only when asked to. Another model named like one of its
    variants (other_models) is not among them."""
    out = Path(out).expanduser()
    others = set(other_models(out).values())
    return [p for p in files_for(out).values() if p.exists() and p not in others]


def write_companions(out: Path, loaded, project, report) -> tuple[str, str]:
    files = files_for(out)
    atomic_write_text(files["labels"], "".join(f"{name}\n" for name in loaded.class_names))
    atomic_write_text(files["card"], model_card(out, loaded, project, report))
    return str(files["labels"]), str(files["card"])


def _mib(n) -> str:
    return f"{n / 2**20:.1f} MiB" if n else "–"


def percent_of(variant: dict, key: str, missing: str = "–") -> str:
    """A variant's measured share (``accuracy``, ``unseen_agreement_vs_fp32``) as a percentage, or
    ``missing`` where it was not measured: one format for the model card, the CLI and the Export page."""
    value = variant.get(key)
    return missing if value is None else f"{value:.1%}"


def unseen_line(measured: dict) -> str:
    """What the "as fp32" figures are: how often each file gives fp32's class on samples the model
    did not learn from, or why there are none (then the accuracy is all there is, read mostly on
    samples it learnt from, where a smaller file rarely changes an answer)."""
    if "unseen_samples" not in measured:  # an export made before this was measured
        return ""
    n = measured["unseen_samples"]
    where = measured.get("unseen_from", "test split and unlabelled")
    if where == "test split":
        where = "test split; the model learnt from the unlabelled ones too"
    if not n:
        return (f"As fp32: no sample the model did not learn from ({where}) to compare on; "
                "on new samples a smaller file may change more answers than the accuracy above shows.")
    return f"As fp32: how often each file gives fp32's class on {n} samples the model did not learn from ({where})."


def variant_rows(report) -> list[str]:
    """The Markdown table of every variant: measured size, latency and accuracy, or why it was not written."""
    m = report.measured or {}
    rows = ["| file | variant | size | latency, 1 thread | accuracy | as fp32 | |", "|---|---|---|---|---|---|---|"]
    for kind, v in report.variants.items():
        if kind == "split":
            continue
        name = Path(v["path"]).name if v.get("written") else "(not written)"
        latency = f"{v['latency_ms']:.2f} ms" if v.get("latency_ms") is not None else "–"
        acc, same = percent_of(v, "accuracy"), percent_of(v, "unseen_agreement_vs_fp32")
        note = v.get("reason") or ""
        rows.append(f"| {name} | {VARIANT_TITLES.get(kind, kind)} | {_mib(v.get('size_bytes'))} | {latency} | {acc} | "
                    f"{same} | {note} |")
    split = report.variants.get("split")
    if split:
        if split.get("written"):
            rows.append(f"| {Path(split['frontend_path']).name} + {Path(split['path']).name} | "
                        f"{VARIANT_TITLES['split']} | {_mib(split.get('frontend_size_bytes'))} + "
                        f"{_mib(split.get('size_bytes'))} | – | – | – | same probabilities as fp32 within "
                        f"{split['max_diff_vs_fp32']:.1e} |")
        else:
            rows.append(f"| (not written) | {VARIANT_TITLES['split']} | | | | | {split.get('reason', '')} |")
    if not m:
        return rows
    rows += ["", f"Measured at export on this computer: latency is the best of {m.get('latency_runs', '?')} runs of "
                 f"one {m.get('latency_input', 'input')}, batch 1, on 1 CPU thread; accuracy on "
                 f"{m.get('samples', '?')} labelled samples of the project ({m.get('splits', 'all splits')}). "
                 + unseen_line(m)]
    return rows


def model_card(out: Path, loaded, project, report) -> str:
    status = project.status()
    metrics = loaded.info.metrics or {}
    meta = report.metadata
    input_spec = json.loads(meta["input_spec"])
    task = loaded.modality
    counts = "\n".join(
        f"| {name} | {c.train} | {c.val} | {c.test} |" for name, c in status.classes.items() if name in loaded.class_names
    )
    acc, acc_name = val_acc(metrics), accuracy_name(metrics)
    code = snippet(out.name, task, input_spec["name"], input_spec.get("sample_rate"))
    lines = [
        f"# {project.name}: {task} classifier",
        "",
        f"Exported by TransferLab from run `{loaded.info.id}` ({loaded.spec.name}, {loaded.meta.get('mode', '')} mode).",
        "",
        "## Files",
        "",
        *variant_rows(report),
        "",
        f"Beside them: `{files_for(out)['labels'].name}` (the classes, one a line) and this card. The classes are",
        "also inside every model file (metadata `labels`), so the model file alone is enough.",
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
        f"- {acc_name}: {acc:.1%}" if acc is not None else f"- {acc_name}: n/a",
        # each label set's head is judged as the main one is (a probe's: cross-validated, not on validation)
        *(f"- {acc_name}, {name}: {v:.1%}" for name, v in (metrics.get("label_sets_val_acc") or {}).items()),
        f"- export check: onnxruntime within {report.parity_max_diff:.1e} of PyTorch on {report.parity_samples} project samples",
        "",
        "## Intended use",
        "",
        f"Sorting {_PLURAL.get(task, task)} like the training data into these classes. It has only seen the classes above:",
        "anything else will still get one of them, so check the confidence. Measure it on your own data before",
        "relying on it.",
        "",
        "## Run it",
        "",
        f"Needs {requirements(task)}:",
        "",
        "```python",
        code,
        "```",
        "",
        "Or, with TransferLab installed: `transferlab predict " + out.name + " FILE...`",
        "",
        "## What a runtime needs",
        "",
        *_runtime_lines(out, task, report, input_spec),
        "",
    ]
    return "\n".join(lines)


def _runtime_lines(out: Path, task: str, report, input_spec: dict) -> list[str]:
    ops = report.operators or {}
    lines = [f"`{out.name}` uses ONNX opset {ops.get('opset', '?')} and these operators: "
             f"{', '.join(ops.get('fp32', [])) or 'n/a'}."]
    if task == "image":
        lines += ["", "Input `image`: uint8 `[N, H, W, 3]` RGB of any size; the model resizes, crops and normalises."]
        return lines
    if task == "text":
        lines += ["", f"Inputs `input_ids` and `attention_mask`: int64 `[N, tokens]`, at most {input_spec.get('max_tokens')} "
                      f"tokens, from the tokenizer in the metadata (`tokenizer`) or in `{out.stem}.tokenizer.json`; "
                      "pad a batch with 0 where the mask is 0. The model pools the tokens and classifies."]
        return lines
    stft = "STFT" in ops.get("fp32", [])
    lines += ["", f"Input `{input_spec['name']}`: float32 `[N, samples]`, mono in [-1, 1], at "
                  f"{input_spec.get('sample_rate')} Hz, any length; the model computes its features itself"
                  + (" with the `STFT` operator (opset 17)." if stft else ".")]
    if input_spec.get("fixed_length"):
        lines += ["", f"It was trained on clips of {input_spec.get('window_seconds', 1.0):g} s: cut or pad a clip to "
                      "that length, and slide that window over longer recordings (as `transferlab predict` does)."]
    if stft:
        split = (report.variants or {}).get("split") or {}
        if split.get("written"):
            lines += ["", "A runtime without `STFT` (OpenCV's DNN module, for one) can run "
                          f"`{Path(split['path']).name}` on the log-mel picture that `{Path(split['frontend_path']).name}` "
                          "makes from the waveform (in onnxruntime, or in your own code following `preprocessing` in "
                          "the metadata)."]
        else:
            lines += ["", "A runtime without `STFT` (OpenCV's DNN module, for one) cannot run this file: export "
                          "again with the front end as a separate file (`transferlab export ... --split-frontend`, or "
                          "'Also the front end as its own file' in the app), and run only the classifier there."]
    return lines


def _label_set_lines(loaded) -> list[str]:
    """Multi-task models: the other label sets and the outputs that answer for them."""
    if not loaded.label_sets:
        return []
    lines = [f"Those are the label set '{loaded.meta.get('main_label_set') or 'class'}' (output `probabilities`). "
             "This model answers for more label sets, one output each:", ""]
    lines += [f"- {name} (output `probabilities_{k}`): {', '.join(classes)}"
              for k, (name, classes) in enumerate(loaded.label_sets, start=1)]
    return lines + [""]


_PLURAL = {"image": "pictures", "audio": "recordings", "text": "texts"}  # what the model card says it sorts
