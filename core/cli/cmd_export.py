from __future__ import annotations

import os
import sys
from pathlib import Path

from core.cli.output import open_for_reading, print_json
from core.export.files import percent_of, unseen_line
from core.run_catalogue import accuracy_name, val_acc

NAME = "export"
HELP = "Export a trained run to a self-describing ONNX model, checked against PyTorch."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("out", metavar="OUT.onnx",
                   help="the model file to write (OUT.labels.txt and the model card OUT.md go beside it)")
    p.add_argument("--run", metavar="ID", help="which run (default: the best finished run by validation accuracy)")
    p.add_argument("--fp16", action="store_true",
                   help="also write OUT.fp16.onnx, if it is smaller, within 1 point of fp32's accuracy and gives "
                        "fp32's class on at least 90%% of the samples the model did not learn from")
    p.add_argument("--int8", action="store_true",
                   help="also write OUT.int8.onnx (static quantisation calibrated on the project's samples), "
                        "if it is smaller, faster on this CPU, within 1 point of fp32's accuracy and gives fp32's "
                        "class on at least 90%% of the samples the model did not learn from")
    p.add_argument("--split-frontend", action="store_true",
                   help="audio: also write OUT.frontend.onnx (waveform -> log-mel picture) and OUT.classifier.onnx "
                        "(log-mel picture -> classes), for runtimes without STFT such as OpenCV")
    p.add_argument("--force", action="store_true",
                   help="replace OUT.onnx and the files that belong with it when they exist (otherwise nothing "
                        "is written)")
    p.add_argument("--json", action="store_true")


def describe_run(run: dict) -> str:
    metrics = run.get("metrics") or {}
    acc, name = val_acc(metrics), accuracy_name(metrics)
    bits = [f"{run.get('mode') or '?'} on {run.get('backbone') or '?'}",
            f"{name} {acc:.1%}" if acc is not None else f"no {name}",
            run.get("status") or "", "the best finished run" if run.get("best") else "not the best finished run"]
    return ", ".join(b for b in bits if b)


def run(args) -> int:
    from core.export.exporter import export_run

    with open_for_reading(args.dir) as project:
        report = export_run(project, args.out, args.run, fp16=args.fp16, int8=args.int8,
                            split_frontend=args.split_frontend, overwrite=args.force,
                            progress=lambda text: print(text, file=sys.stderr, flush=True) if not args.json else None)
    missing = report.not_written
    if args.json:
        print_json(report.to_json())
    else:
        _print(report)
    for kind, reason in missing.items():
        print(f"transferlab: {kind} was not written: {reason}.", file=sys.stderr)
    return 1 if missing else 0


def _print(report) -> None:
    print(f"Exported run {report.run_id} ({describe_run(report.run)}) to {report.path} in {report.seconds:.0f} s.")
    print(f"Checked: onnxruntime within {report.parity_max_diff:.1e} of PyTorch on {report.parity_samples} samples; "
          f"on raw files it agrees with the training-time preprocessing on "
          f"{report.preprocessing_top1_agreement:.0%} of them (max difference {report.preprocessing_max_diff:.3f}); "
          f"every file passes the ONNX checker (full check).")
    m = report.measured
    if m:
        print(f"Measured on {m['samples']} labelled samples ({m['splits']}); latency: best of {m['latency_runs']} runs "
              f"of one {m['latency_input']}, batch 1, 1 thread.")
        if unseen := unseen_line(m):
            print(unseen)
    print(f"  {'variant':<9} {'file':<34} {'size':>9} {'latency':>10} {'accuracy':>9} {'as fp32':>8}")
    for kind, v in report.variants.items():
        if kind == "split":
            continue
        name = os.path.basename(v["path"]) if v.get("written") else "(not written)"
        size = f"{v['size_bytes'] / 2**20:.1f} MiB" if v.get("size_bytes") else "-"
        latency = f"{v['latency_ms']:.2f} ms" if v.get("latency_ms") is not None else "-"
        acc, same = percent_of(v, "accuracy", "-"), percent_of(v, "unseen_agreement_vs_fp32", "-")
        print(f"  {kind:<9} {name:<34} {size:>9} {latency:>10} {acc:>9} {same:>8}")
    split = report.variants.get("split")
    if split and split.get("written"):
        print(f"  front end and classifier: {os.path.basename(split['frontend_path'])} "
              f"({split['frontend_size_bytes'] / 2**20:.1f} MiB) + {os.path.basename(split['path'])} "
              f"({split['size_bytes'] / 2**20:.1f} MiB), chained within {split['max_diff_vs_fp32']:.1e} of fp32")
    print(f"Beside it: {Path(report.labels_path).name} and the model card {Path(report.card_path).name}")
    if report.removed:
        print("Removed (from an earlier export of this name): " + ", ".join(Path(p).name for p in report.removed))
