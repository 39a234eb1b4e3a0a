"""Parameter and multiply-accumulate counts, measured rather than copied from papers.

One forward pass of the finalized feature model on the meta device (shapes only: no memory, a few
milliseconds) under torch's ``FlopCounterMode``, which counts at the operator level: convolutions,
matrix products and attention, including those called functionally (WavLM's projections, ViT's
``nn.MultiheadAttention``) that module hooks would miss. Normalisation, activations, pooling and
element-wise work are not counted: the same convention as torchvision's ``_ops`` metadata, which the
tests check these numbers against.

The first count in a process costs about 2 s on a 2-core CPU, most of it loading TorchDynamo (which
``FlopCounterMode`` needs and a probe's training otherwise does not): every ``transferlab train``
paid it to choose its mode. The counts are kept in the cache folder (``backbone-sizes.json``, by
backbone, settings and torch version), so only the first process on a machine counts.
"""

from __future__ import annotations

import json

import torch

from core.atomic import atomic_write_text
from core.user_data import cache_dir

STORE = "backbone-sizes.json"
FORMAT = 1  # bump when what is counted changes: the remembered counts are then counted again


def sizes(spec) -> tuple[int, int]:
    """(parameters, multiply-accumulates) of ``spec``: remembered in the cache folder, else counted."""
    path = cache_dir() / STORE
    key = f"{FORMAT}:{spec.name}:{spec.fingerprint}:torch {torch.__version__}"
    try:
        known = json.loads(path.read_text())
        params, macs = known[key]
        return int(params), int(macs)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, unreadable or from elsewhere: count it
    counted = count_params_and_macs(spec)
    try:
        try:
            known = json.loads(path.read_text())
            known = known if isinstance(known, dict) else {}
        except (OSError, ValueError):
            known = {}
        known[key] = list(counted)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(known, indent=1), fsync=False)
    except OSError:
        pass  # a read-only cache folder costs the count again next time, nothing else
    return counted


def count_params_and_macs(spec) -> tuple[int, int]:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = spec.build().eval()
        params = sum(p.numel() for p in model.parameters())
        inputs = spec.example_input(1)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(*inputs)
    return params, counter.get_total_flops() // 2  # one multiply-accumulate = two FLOPs
