from __future__ import annotations

from core.cli.output import open_for_writing, print_json
from core.errors import UsageError

NAME = "split"
HELP = "Assign train/validation/test splits (stable), or redraw them all with --reset."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("--reset", action="store_true", help="redraw every split (moves samples between splits)")
    p.add_argument("--seed", type=int, help="seed for the draw (with --reset)")
    p.add_argument("--val", type=float, help="validation fraction (with --reset; default 0.1)")
    p.add_argument("--test", type=float, help="test fraction (with --reset; default 0.1)")
    p.add_argument("--test-after", type=int, metavar="N", help="keep each class's first N labelled samples out of "
                   "the test split (with --reset; a new project: 50, so that small classes learn from every sample; "
                   "0: the test split takes its share from the first)")
    p.add_argument("--json", action="store_true", help="print one JSON object: samples assigned, split counts, "
                   "split settings")


def run(args) -> int:
    with open_for_writing(args.dir) as project:
        if args.reset:
            n = project.reset_splits(seed=args.seed, val=args.val, test=args.test, test_after=args.test_after)
        else:
            if any(v is not None for v in (args.seed, args.val, args.test, args.test_after)):
                raise UsageError("--seed, --val, --test and --test-after change existing splits; "
                                 "add --reset to do that.")
            n = project.assign_splits()
        status = project.status()
        if args.json:
            print_json({"assigned": n, "splits": status.splits, "settings": vars(project.config.splits)})
        else:
            s = status.splits
            print(f"{n} sample(s) assigned. train {s['train']}, val {s['val']}, test {s['test']}.")
    return 0
