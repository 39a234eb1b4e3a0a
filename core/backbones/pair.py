"""Two networks reading one picture, their features side by side (issue 14).

Measured in bench/backbone_ensemble_lab.py: EfficientNet-Lite0 and Lite1 each given a probe head
(each choosing its own column set and strength) with the two heads' logits averaged beat the Lite0
probe alone by 2.2 points on the eight picture tasks of the transfer-quality suite (37 of 48 draws
better), where Lite1 alone was no better on average; through real projects
(bench/bench_transfer_suite.py, eight picture tasks, 5 and 20 a class, three draws) it gained +2.15
over Lite0, so it is a picture probe's default (core.backbones.probe_default_for). The pair reads the picture once at the larger
member's size; a smaller member reads it resized inside the graph (bilinear), which scored the same
as that member's own preprocessing (+0.1 points), so one exported model takes one picture.

``forward`` returns ``[member 0's features, member 1's features, ...]``: each member's own output,
pooled levels included once ``pool_levels`` was called (its levels' means and cells, then its final
features), so ``blocks()`` says which columns are whose and a probe can solve one head per member.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from core.backbones.feature_models import FeatureModel
from core.backbones.spec import Stage


class PairFeatures(FeatureModel):
    """``members`` (FeatureModels), each reading the input resized to its ``sizes`` entry (None or
    the input's own size: as it is); ``widths``: each member's own feature width (its spec's
    feature_dim), its block's width until levels are pooled."""

    def __init__(self, members: list[FeatureModel], sizes: list[int | None], widths: list[int]):
        if not len(members) == len(sizes) == len(widths) or len(members) < 2:
            raise ValueError("a pair needs two or more members, each with its input size and width")
        super().__init__(nn.ModuleList(members), _member_stages)
        self.sizes, self.widths = tuple(sizes), tuple(int(w) for w in widths)

    @property
    def members(self) -> list[FeatureModel]:
        return list(self.net)

    # ------------------------------------------------------------------ forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for member, size in zip(self.members, self.sizes):
            seen = x if size is None or tuple(x.shape[-2:]) == (size, size) else F.interpolate(
                x, size=(size, size), mode="bilinear", align_corners=False)
            out.append(member(seen))
        return torch.cat(out, dim=1)

    # ------------------------------------------------------------------ levels, per member

    def pool_levels(self, example: tuple | None = None, levels=None, dims=None, grid: int = 0,
                    maxed: bool = False) -> FeatureModel:
        """Every member pools its own levels (FeatureModel.pool_levels); ``levels``/``dims`` as the
        pair reports them (member paths under ``net.<k>.``, each member's level widths and then its
        final width, member after member), as a checkpoint records them."""
        self.unpool_levels()
        for k, member in enumerate(self.members):
            if levels is None:
                member.pool_levels(None if example is None else self._member_example(example, k), grid=grid,
                                   maxed=maxed)
            else:
                prefix = f"net.{k}."
                own = [p[len(prefix):] for p in levels if p.startswith(prefix)]
                start = sum(len([p for p in levels if p.startswith(f"net.{j}.")]) + 1 for j in range(k))
                member.pool_levels(levels=own, dims=list(dims)[start:start + len(own) + 1], grid=grid, maxed=maxed)
        self.levels = tuple(f"net.{k}.{p}" for k, m in enumerate(self.members) for p in m.levels)
        self.level_dims = tuple(d for m in self.members for d in m.level_dims)
        self.level_grid, self.level_max = self.members[0].level_grid, self.members[0].level_max
        self.level_channels = tuple(c for m in self.members for c in m.level_channels)
        return self

    def unpool_levels(self) -> None:
        for member in self.members:
            member.unpool_levels()
        super().unpool_levels()

    def _member_example(self, example: tuple, k: int) -> tuple:
        (x,) = example
        size = self.sizes[k]
        return (x if size is None else torch.zeros(x.shape[0], x.shape[1], size, size, dtype=x.dtype),)

    def blocks(self) -> list[tuple[int, int, dict[str, torch.Tensor] | None]]:
        """(first column, end column, the member's own column sets in its block's numbering) of
        each member, in ``forward``'s order."""
        out, start = [], 0
        for member, own in zip(self.members, self.widths):
            width = member.pooled_dim or own
            out.append((start, start + width, member.feature_groups()))
            start += width
        return out

    def feature_groups(self) -> dict[str, torch.Tensor] | None:
        """Each column set of the members joined (grid with grid, ...), in the pair's numbering."""
        blocks = self.blocks()
        if any(groups is None for _s, _e, groups in blocks):
            return None
        names = list(blocks[0][2])
        return {n: torch.cat([groups[n] + start for start, _e, groups in blocks]) for n in names}

    @property
    def pooled_dim(self) -> int | None:
        if not all(m.levels for m in self.members):
            return None
        return sum(m.pooled_dim for m in self.members)

    @property
    def feature_tag(self) -> str:
        tags = [m.feature_tag for m in self.members]
        return "" if not any(tags) else "|pair(" + ";".join(tags) + ")"

    def finalize(self) -> FeatureModel:
        for member in self.members:
            member.finalize()
        return super().finalize()


def _member_stages(net: nn.ModuleList) -> list[Stage]:
    """Every member's stages, input side first, under ``net.<k>.`` and named by member."""
    return [Stage(f"{k}:{stage.name}", tuple(f"net.{k}.{m}" for m in stage.modules))
            for k, member in enumerate(net) for stage in member._stage_fn(member.net)]
