"""`transferlab weights`: see, import and (on request only) download pretrained weights."""

from __future__ import annotations

import sys
import time

NAME = "weights"
HELP = "Pretrained weights: list where they are, import a file, or download the official file."


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="weights_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="where each backbone's weights are found on this computer")
    p = sub.add_parser("import", help="check a weight file and store it for a backbone")
    p.add_argument("name", help="backbone name (see `transferlab backbones`)")
    p.add_argument("file", help="a PyTorch state-dict file (.pth/.pt)")
    p = sub.add_parser("download", help="download the official weights (the only command that uses the network)")
    p.add_argument("name", help="backbone name (see `transferlab backbones`)")


def run(args) -> int:
    # torch loads here, not when the CLI starts (every command's module is imported to build the help)
    from core import weights
    from core.backbones import all_specs, get

    if args.weights_command == "list":
        for spec in all_specs():
            found = weights.locate(spec)
            where = f"{found.source}: {found.path}" if found else f"missing ({spec.weights.file_name})"
            print(f"{spec.name:26s} {where}")
        return 0
    if args.weights_command == "import":
        spec = get(args.name)
        found = weights.import_weights(spec, args.file)
        print(f"Imported {args.file} as the {spec.name} weights ({found.path}).")
        return 0
    spec = get(args.name)
    found = weights.download(spec, progress=ProgressBar(spec.weights.file_name))
    print(f"Downloaded {spec.weights.file_name} to {found.path}.")
    return 0


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, width: int = 30):
        self.label, self.width, self._last = label, width, 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self._last < 0.1 and not finished:
            return
        self._last = now
        if total:
            filled = int(self.width * done / total)
            bar = "#" * filled + "-" * (self.width - filled)
            text = f"\r{self.label} [{bar}] {done / 1e6:.1f}/{total / 1e6:.1f} MB"
        else:
            text = f"\r{self.label} {done / 1e6:.1f} MB"
        print(text, end="\n" if finished else "", file=sys.stderr, flush=True)
