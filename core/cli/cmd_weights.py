"""`transferlab weights`: see, import and (on request only) download pretrained weights."""

from __future__ import annotations

from core.cli.output import ProgressBar

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
            where = (f"missing ({spec.weights.file_name})" if found is None else
                     "built in (no weights)" if found.source == weights.BUILT_IN else
                     f"{found.source}: " + " + ".join(str(m.path) for m in found.members or (found,)))
            print(f"{spec.name:26s} {where}")
        return 0
    if args.weights_command == "import":
        spec = get(args.name)
        found = weights.import_weights(spec, args.file)
        print(f"Imported {args.file} as the {spec.name} weights ({found.path}).")
        return 0
    spec = get(args.name)
    bar = ProgressBar(spec.weights.file_name, unit="bytes")
    try:
        found = weights.download(spec, progress=bar)
    finally:
        bar.close()
    print(f"Downloaded {spec.weights.file_name} to {found.path}.")
    return 0
