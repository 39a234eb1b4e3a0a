from __future__ import annotations

from core.cli.output import ProgressBar, open_for_reading, print_json

NAME = "eval"
HELP = "Evaluate a trained run on the test split: metrics, confusion matrix, worst mistakes, HTML report."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("--run", metavar="ID", help="which run (default: the best finished run by validation accuracy)")
    p.add_argument("--split", choices=["test", "val", "learnt"],
                   help="default: test; where there is no test split, a solved probe's training and validation "
                   "samples (learnt), each predicted by a model that did not see it (a probe's cross-validation, few-shot's "
                   "leave-one-out), else val")
    p.add_argument("--json", action="store_true", help="print one JSON object: metrics, confusion matrix, mistakes, "
                   "report paths")


def run(args) -> int:
    # torch loads here, not when the CLI starts (every command's module is imported to build the help)
    from core.evaluate.run_eval import evaluate_run

    bar = ProgressBar("Evaluating")
    with open_for_reading(args.dir) as project:
        try:
            result = evaluate_run(project, args.run, split=args.split, progress=bar)
        finally:
            bar.close()
        read_only = project.read_only
    if args.json:
        print_json(result.to_json())
        return 0
    ev = result.evaluation
    where = ("the samples it learnt from (training and validation)" if result.split == "learnt"
             else f"the {result.split} split")
    print(f"Run {result.run_id} on {where} ({ev.count} samples): accuracy {ev.accuracy:.1%}, "
          f"balanced {ev.balanced_accuracy:.1%}, calibration error {ev.ece:.1%}")
    if result.cross_validated:
        print(f"  The model learnt from {result.cross_validated} of these samples: each of those is predicted by "
              f"{result.held_out_words}.")
    if result.left_out:
        print(f"  {result.left_out_words[0].upper()}{result.left_out_words[1:]}.")
    print()
    _per_class(ev)
    for name, e in result.label_sets.items():  # multi-task: each extra label set on its labelled samples
        print(f"\nLabel set {name} ({e.count} of these samples labelled in it): accuracy {e.accuracy:.1%}, "
              f"balanced {e.balanced_accuracy:.1%}")
        _per_class(e)
    if ev.mistakes:
        print("\nWorst mistakes:")
        for m in ev.mistakes[:10]:
            sid = result.sample_ids[m.index]
            print(f"  sample {sid}: {m.true_label} called {m.predicted_label} ({m.confidence:.0%})")
    for path, reason in result.skipped:
        print(f"  skipped {path}: {reason}")
    if read_only:
        print(f"\nNo report written: the project was opened read-only because {project.read_only_reason}.")
    else:
        print(f"\nReport: {result.report_html}")
    return 0


def _per_class(ev) -> None:
    print(f"{'class':<24}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
    for c in ev.per_class:
        print(f"{c.name[:23]:<24}{c.precision:>10.1%}{c.recall:>8.1%}{c.f1:>8.1%}{c.support:>9}")
