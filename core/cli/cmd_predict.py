from __future__ import annotations

import os
import sys

from core.cli.output import ProgressBar, print_json, shown

NAME = "predict"
HELP = "Predict files or folders with an exported .onnx model (onnxruntime only, no torch)."


def add_arguments(p) -> None:
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("paths", metavar="FILE_OR_DIR", nargs="*")
    p.add_argument("--text", action="append", default=[], metavar="TEXT",
                   help="text models: a text to classify, typed on the command line (repeatable)")
    p.add_argument("--top", type=int, default=3, metavar="K", help="how many classes to show per file (default 3)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per file")


def run(args) -> int:
    # onnxruntime and the decoders load here, not when the CLI starts (it imports every command's module)
    from core.errors import UsageError
    from core.predict import Predictor

    if args.top < 1:  # 0 and -3 showed one class as if asked for it
        raise UsageError(f"--top is how many classes to show per file: at least 1, not {args.top}.")
    if not args.paths and not args.text:
        raise UsageError("Name at least one file or folder to predict (or, for a text model, --text \"...\").")
    predictor = Predictor(args.model)
    if args.text and predictor.task != "text":
        raise UsageError(f"--text is for text models; {os.path.basename(args.model)} takes {predictor.task}.")
    results = []
    bar = ProgressBar("Predicting")
    try:
        if args.paths:
            results = predictor.predict(args.paths, top=args.top, progress=bar)
    finally:
        bar.close()
    results += [predictor.predict_text(t, top=args.top, name=f"<text {k}>") for k, t in enumerate(args.text, 1)]
    if args.json:
        print_json([r.to_json() for r in results])
    else:
        for r in results:
            name = shown(os.path.relpath(r.path) if not os.path.isabs(r.path) else r.path)
            if r.error:
                print(f"{name}: cannot predict: {r.error}", file=sys.stderr)
                continue
            if r.label is None:  # too short, empty or silent: a note instead of a guess
                print(f"{name}: {r.note}")
                continue
            ranked = ", ".join(f"{label} {p:.1%}" for label, p in r.top)
            print(f"{name}: {r.label} ({r.confidence:.1%})   [{ranked}]" + (f"  ({r.note})" if r.note else ""))
            for label_set, (label, p) in r.label_sets.items():  # multi-task models
                print(f"    {label_set}: {label} ({p:.1%})")
            for w in r.windows or []:
                print(f"    {w.start:7.2f}-{w.end:7.2f}s  {w.label} ({w.confidence:.0%})")
    failed = sum(1 for r in results if r.error)
    return 0 if failed < len(results) or not results else 1
