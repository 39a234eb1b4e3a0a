"""The text half of an export: (input_ids, attention_mask) in, probabilities out, the tokenizer
beside the model (NAME.tokenizer.json) and inside its metadata, and the check against PyTorch.

The check runs every sample text alone and then all of them as one padded batch: the single runs
prove the graph computes what PyTorch computes, the batch proves the mask keeps padding out of
attention and of the mean (a batch must answer for each text what it answers alone).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.export.report import ExportError, ExportReport
from core.export.staging import Staging, check_file, finish_file
from core.predict import contract as C

FP32_TOLERANCE = 1e-3  # as for pictures and sounds (core.export.build_variants)


def text_input_spec(loaded) -> dict:
    pre = loaded.spec.preprocessing
    return C.text_input_spec(pre.max_tokens, pre.tokenizer)


def sample_texts(project, samples) -> list[tuple[object, str]]:
    from core.errors import MediaError
    from core.text.decode import read_text_file

    out = []
    for s in samples:
        try:
            out.append((s, read_text_file(project.path_of(s))))
        except (MediaError, OSError):
            continue
    return out


def export_text_checked(project, loaded, wrapper, staging: Staging, out: Path, meta: dict, parity_samples: int,
                        run_summary: dict) -> ExportReport:
    import onnx
    import torch

    from core.export.samples import pick_samples
    from core.export.torch_export import torch_export
    from core.export.variants import operators
    from core.text.tokenizer import tokenizer_file

    pre = loaded.spec.preprocessing
    tokenizer_json = tokenizer_file(pre.tokenizer).read_text(encoding="utf-8")
    meta = {**meta, C.KEY_TOKENIZER: tokenizer_json}
    tmp = staging.path("fp32")
    example = pre.collate([pre.to_tensor("An example sentence to trace the graph with, of some length."),
                           pre.to_tensor("A shorter one.")])
    batch = torch.export.Dim("batch", min=1, max=4096)
    length = torch.export.Dim("length", min=2, max=pre.max_tokens)  # [CLS] and [SEP] at least
    torch_export(wrapper, example, tmp, input_name=list(C.TEXT_INPUTS),
                 output_names=C.output_names(len(loaded.head_sizes)),
                 dims={"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}},
                 what=f"{loaded.spec.name} model")
    finish_file(tmp, meta, onnx.load(str(tmp)))
    try:
        check_file(tmp)
    except ExportError as exc:
        raise ExportError(f"The exported model is not valid ONNX: {exc.message}. Nothing was written; please "
                          "report this.", detail=exc.detail) from None
    staging.path("tokenizer").write_text(tokenizer_json, encoding="utf-8")
    texts = sample_texts(project, pick_samples(project, loaded.class_names, parity_samples))
    if not texts:
        raise ExportError("No text of the project could be read to check the export against PyTorch.")
    from core.export import measure

    session = measure.session(tmp)
    outputs = [o.name for o in session.get_outputs() if o.name != C.LOGITS]
    items = [pre.to_tensor(t) for _, t in texts]
    diffs, singles = [], []
    with torch.inference_mode():
        for item in items:
            ids, mask = pre.collate([item])
            got = np.concatenate([p[0] for p in session.run(outputs, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})])
            outs = wrapper(ids, mask)
            want = torch.cat([outs[0][0], *(o[0] for o in outs[2:])]).numpy()
            diffs.append(float(np.abs(got - want).max()))
            singles.append(got)
        ids, mask = pre.collate(items)
        together = np.concatenate(session.run(outputs, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}), axis=1)
    padded = float(np.abs(together - np.stack(singles)).max())
    parity = max(max(diffs), padded)
    if not parity <= FP32_TOLERANCE:  # written so that NaN fails too
        raise ExportError(
            f"The exported model does not match PyTorch: probabilities differ by up to {parity:.2e} "
            f"(allowed {FP32_TOLERANCE:.0e}; {padded:.2e} between a padded batch and single texts). "
            "The file was not written; please report this.")
    opset, ops = operators(tmp)
    report = ExportReport(
        path=str(out), run_id=loaded.info.id, size_bytes=tmp.stat().st_size, parity_max_diff=parity,
        parity_samples=len(texts), preprocessing_max_diff=0.0, preprocessing_top1_agreement=1.0,
        metadata={k: v for k, v in meta.items() if k != C.KEY_TOKENIZER}, operators={"opset": opset, "fp32": ops},
        run=run_summary)
    # the tokenizer is the very one training used (same file, same library): nothing differs before the graph
    report.variants["fp32"] = {"path": str(out), "written": True, "size_bytes": report.size_bytes,
                               "padded_batch_max_diff": padded}
    report.variants["tokenizer"] = {"path": str(staging.files["tokenizer"]), "written": True,
                                    "size_bytes": len(tokenizer_json.encode("utf-8"))}
    return report
