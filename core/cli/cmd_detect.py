from __future__ import annotations

from core.cli.output import ProgressBar, print_json

NAME = "detect"
HELP = "Run an exported audio model over a long recording and report detections with times."


def add_arguments(p) -> None:
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("recording", metavar="LONG.wav")
    p.add_argument("--threshold", type=float, default=0.6, help="minimum smoothed confidence (default 0.6)")
    p.add_argument("--smooth", type=int, default=3, metavar="N", help="moving average over N windows (default 3)")
    p.add_argument("--refractory", type=float, default=1.0, metavar="S",
                   help="seconds before the same class may fire again (default 1.0)")
    p.add_argument("--hop", type=float, metavar="S", help="window step in seconds (default: a quarter window)")
    p.add_argument("--ignore", action="append", default=[], metavar="CLASS",
                   help="a class never reported (default: background, noise, silence, unknown, other)")
    p.add_argument("--truth", metavar="CSV", help="the true events (label,start,end): report hit rate, "
                   "false triggers per hour and a threshold sweep")
    p.add_argument("--json", action="store_true", help="print one JSON object: detections, and with --truth the "
                   "score and the threshold sweep")


def run(args) -> int:
    # onnxruntime and the decoders load here, not when the CLI starts (it imports every command's module)
    from core.predict import Predictor
    from core.predict.detect import DetectSettings, detect_file, read_truth

    predictor = Predictor(args.model)
    settings = DetectSettings(threshold=args.threshold, smooth_windows=args.smooth, refractory=args.refractory,
                              hop=args.hop, ignore=tuple(args.ignore))
    truth = read_truth(args.truth) if args.truth else None
    bar = ProgressBar("Listening")
    try:
        result = detect_file(predictor, args.recording, settings, truth, progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(result.to_json())
        return 0
    print(f"{result.path}: {len(result.detections)} detection(s) in {result.duration:.1f} s")
    for d in result.detections:
        print(f"  {d.time:9.2f}s  {d.label:<20} {d.confidence:.0%}")
    if result.score is not None:
        s = result.score
        print(f"\nhits {s.hits}/{s.events} ({s.hit_rate:.0%}), false triggers {s.false_triggers} "
              f"({s.false_triggers_per_hour:.1f} per hour)")
        print(f"\n{'threshold':>9} {'hit rate':>9} {'false/hour':>11}")
        for row in result.sweep:
            print(f"{row['threshold']:>9.2f} {row['hit_rate']:>9.0%} {row['false_triggers_per_hour']:>11.1f}")
    return 0
