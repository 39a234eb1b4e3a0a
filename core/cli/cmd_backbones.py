"""`transferlab backbones`: what each pretrained backbone costs and whether it can be used offline."""

from __future__ import annotations

import json
import sys

NAME = "backbones"
HELP = "List pretrained backbones: size, compute, measured CPU latency, weights availability, licence."


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--modality", choices=["image", "audio", "text"], help="only backbones for this input")
    parser.add_argument("--no-measure", action="store_true",
                        help="do not time backbones not yet measured on this machine (latency shows as unknown)")
    parser.add_argument("--remeasure", action="store_true", help="time every backbone again on this machine")


def rows(modality: str | None = None, *, measure: bool = True, refresh: bool = False, notify=None) -> list[dict]:
    """Plain-value rows for the CLI and the GUI's backbone picker."""
    # torch loads here, not when the CLI starts (every command's module is imported to build the help)
    from core.backbones import all_specs
    from core.backbones.latency import cached_latency_ms, latency_ms
    from core.weights import locate

    out = []
    for spec in all_specs(modality):
        found = locate(spec)
        if notify is not None and (refresh or (measure and cached_latency_ms(spec) is None)):
            notify(spec.name)
        row = spec.describe()
        row.update(
            available=found is not None,
            weights_source=found.source if found else None,
            weights_path=str(found.path) if found and not spec.weights.built_in else None,
            # every file it reads: a pair's networks each have their own (weights_path is the first)
            weights_paths=[str(m.path) for m in found.members or (found,)] if found and not spec.weights.built_in
            else [],
            latency_ms=latency_ms(spec, measure=measure, refresh=refresh),
        )
        out.append(row)
    return out


def run(args) -> int:
    def notify(name):
        print(f"measuring CPU latency of {name} (once per machine)...", file=sys.stderr, flush=True)

    table = rows(args.modality, measure=not args.no_measure, refresh=args.remeasure, notify=notify)
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    header = ("name", "modality", "params", "MACs", "dim", "weights", "CPU ms/item", "licence")
    lines = [header]
    for r in table:
        lines.append((
            r["name"], r["modality"], f"{r['params'] / 1e6:.1f} M", f"{r['macs'] / 1e9:.2f} G",
            str(r["feature_dim"]), r["weights_source"] or "missing",
            "?" if r["latency_ms"] is None else f"{r['latency_ms']:.1f}", r["licence"],
        ))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    for row in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print("\nMACs and latency are per item: one image at the crop size, one audio clip for the log-mel "
          "backbone, one second of audio for speech backbones, a text of 128 tokens for text backbones. Missing weights: "
          "`transferlab weights import NAME FILE` or `transferlab weights download NAME`.")
    return 0
