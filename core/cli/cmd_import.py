from __future__ import annotations

import sys

from core.cli.output import ProgressBar, open_for_writing, print_json, shown, warn_case_twins
from core.errors import UsageError
from core.importer import import_files

NAME = "import"
HELP = "Import images, audio or texts (folders, files, CSV listings) into a project."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("paths", metavar="PATH", nargs="*", help="folders (recursive), files, or CSV files (path,label); "
                   "text projects: .txt files, and .csv/.tsv/.jsonl listings of texts (text and label columns)")
    p.add_argument(
        "--labels",
        choices=["folder", "none"],
        default="folder",
        help="folder: a file's parent folder names its class (ImageFolder layout); none: leave unlabelled",
    )
    p.add_argument("--csv", action="append", default=[], metavar="FILE", help="a CSV with path,label columns")
    p.add_argument(
        "--segment",
        metavar="HOW",
        help="audio: cut each recording into samples: fixed:LEN[:HOP] (seconds) or activity[:PADDING] "
        "(where sound is heard)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object with the import report")


def run(args) -> int:
    if not args.paths and not args.csv:
        raise UsageError("Name at least one folder, file or --csv listing to import.")
    segment = None
    if args.segment:
        from core.audio.segment import SegmentSettings  # numpy: only when cutting recordings

        segment = SegmentSettings.parse(args.segment)
    bar = ProgressBar("Importing")
    with open_for_writing(args.dir) as project:
        try:
            report = import_files(
                project,
                args.paths,
                labels=args.labels,
                csv_files=args.csv,
                progress=lambda p: bar.update(p.done, p.total),
                segment=segment,
            )
        finally:
            bar.close()
        if args.json:
            print_json(report.to_json())
            return 0
        print(f"Imported into {project.name}: {report.summary()} in {report.seconds:.1f}s.")
        if report.labelled:
            print(f"{report.labelled} samples labelled from folder names or listings.")
        if report.classes_created:
            print("New classes: " + ", ".join(report.classes_created))
            warn_case_twins(project, report.classes_created, args.dir)
        for dup in report.duplicates[:20]:
            print(f"  duplicate: {shown(dup.path)} (same content as {shown(dup.existing)})")
        if len(report.duplicates) > 20:
            print(f"  ... and {len(report.duplicates) - 20} more duplicates")
        differing = [d for d in report.duplicates if d.label_differs]
        if differing:  # the project's sample keeps its label: the file's or row's is dropped, so say so
            print(f"transferlab: warning: {len(differing)} duplicate(s) came with another label than the sample "
                  "already in the project, which keeps its own (change it with transferlab label set):",
                  file=sys.stderr)
            for dup in differing[:20]:
                has = f"'{dup.existing_label}'" if dup.existing_label else "no label"
                print(f"  {shown(dup.path)} says '{dup.label}'; {shown(dup.existing)} has {has}", file=sys.stderr)
            if len(differing) > 20:
                print(f"  ... and {len(differing) - 20} more", file=sys.stderr)
        for rej in report.rejected:
            print(f"  rejected: {shown(rej.path)}: {rej.reason}", file=sys.stderr)
    return 0

