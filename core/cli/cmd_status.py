from __future__ import annotations

from core.cli.output import open_for_reading, print_json

NAME = "status"
HELP = "Counts per class and split, unlabelled and rejected files."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    with open_for_reading(args.dir) as project:
        status = project.status()
        if args.json:
            print_json({**status.to_json(), "upkeep": project.upkeep.to_json()})
            return 0
        print(f"{status.name} ({status.task} project) — {project.root}")
        print(f"{status.samples} samples: {status.labelled} labelled, {status.unlabelled} unlabelled; "
              f"{status.rejected} files rejected at import; {status.broken} unreadable.")
        if status.classes:
            print(f"\n{'class':<28}{'total':>7}{'train':>7}{'val':>7}{'test':>7}")
            for name, c in status.classes.items():
                print(f"{name[:27]:<28}{c.total:>7}{c.train:>7}{c.val:>7}{c.test:>7}")
            s = status.splits
            print(f"{'all':<28}{status.labelled:>7}{s['train']:>7}{s['val']:>7}{s['test']:>7}")
            sp = project.config.splits
            if sp.test > 0 and sp.test_after and any(0 < c.total <= sp.test_after for c in status.classes.values()):
                print(f"(the test split takes none of a class's first {sp.test_after} labelled samples: every one of "
                      "them learns, and a probe's accuracy is estimated by cross-validation)")
        else:
            print("\nNo classes yet.")
        if project.read_only:
            print(f"\n(opened read-only: {project.read_only_reason})")
    return 0
