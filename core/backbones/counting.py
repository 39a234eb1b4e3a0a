"""Parameter and multiply-accumulate counts, measured rather than copied from papers.

One forward pass of the finalized feature model on the meta device (shapes only: no memory, a few
milliseconds) under torch's ``FlopCounterMode``, which counts at the operator level: convolutions,
matrix products and attention, including those called functionally (WavLM's projections, ViT's
``nn.MultiheadAttention``) that module hooks would miss. Normalisation, activations, pooling and
element-wise work are not counted: the same convention as torchvision's ``_ops`` metadata, which the
tests check these numbers against.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def count_params_and_macs(spec) -> tuple[int, int]:
    with torch.device("meta"):
        model = spec.build().eval()
        params = sum(p.numel() for p in model.parameters())
        inputs = spec.example_input(1)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(*inputs)
    return params, counter.get_total_flops() // 2  # one multiply-accumulate = two FLOPs
