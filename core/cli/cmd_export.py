from __future__ import annotations

from core.cli.output import open_for_reading, print_json

NAME = "export"
HELP = "Export a trained run to a self-describing ONNX model, checked against PyTorch."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("out", metavar="OUT.onnx", help="the model file to write (labels.txt and a model card go beside it)")
    p.add_argument("--run", metavar="ID", help="which run (default: the newest trained one)")
    p.add_argument("--fp16", action="store_true", help="also write OUT.fp16.onnx (half the size)")
    p.add_argument("--int8", action="store_true", help="also write OUT.int8.onnx (dynamic quantisation) and measure its accuracy")
    p.add_argument("--json", action="store_true")


def run(args) -> int:
    from core.export.exporter import export_run

    with open_for_reading(args.dir) as project:
        report = export_run(project, args.out, args.run, fp16=args.fp16, int8=args.int8)
    if args.json:
        print_json(report.to_json())
        return 0
    print(f"Exported run {report.run_id} to {report.path} ({report.size_bytes / 2**20:.1f} MiB) in {report.seconds:.0f}s.")
    print(f"Checked: onnxruntime within {report.parity_max_diff:.1e} of PyTorch on {report.parity_samples} samples; "
          f"on raw files it agrees with the training-time preprocessing on "
          f"{report.preprocessing_top1_agreement:.0%} of them (max difference {report.preprocessing_max_diff:.3f}).")
    for kind, v in report.variants.items():
        line = f"{kind}: {v['path']} ({v['size_bytes'] / 2**20:.1f} MiB)"
        if "accuracy_change" in v:
            line += (f", accuracy {v['accuracy_fp32']:.1%} -> {v['accuracy_int8']:.1%} on {v['samples']} samples; "
                     f"quantised: {v['quantised']}")
        if "max_diff_vs_fp32" in v:
            line += (f", same top class as fp32 on {v['top1_agreement_vs_fp32']:.0%} of {v['samples']} samples "
                     f"(probabilities within {v['max_diff_vs_fp32']:.3f})")
        print(line)
    print(f"Beside it: {report.labels_path} and the model card {report.card_path}")
    return 0
