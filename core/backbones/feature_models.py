"""The modules a spec's builder returns: the official network (``net``, whose state dict matches the
official weight file key for key) plus the pooling that turns it into a feature extractor.

``finalize()`` removes what feature extraction never uses (the ImageNet classifier, transformer layers
above the chosen one) so that fine-tuning and DDP see no dead parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

from core.backbones.spec import Stage

GRID_MAX_CHANNELS = 320  # grid-pooled levels: the narrower, lower ones (the widest would add the most)


def find_feature_maps(model: nn.Module, stages, example: tuple) -> tuple[list[str], list[int], int]:
    """Run ``example`` once through ``model``: the last module of each of ``stages`` whose output
    is a feature map ``[B, C, H, W]``, their channels, and the width of the model's own output."""
    candidates = [stage.modules[-1] for stage in stages]
    shapes: dict[str, tuple] = {}
    handles = []
    for path in candidates:
        try:
            module = model.get_submodule(path)
        except AttributeError:
            continue
        handles.append(module.register_forward_hook(
            lambda _m, _i, out, path=path: shapes.__setitem__(path, tuple(out.shape) if torch.is_tensor(out) else ())))
    try:
        with torch.no_grad():
            final = model(*example)
    finally:
        for handle in handles:
            handle.remove()
    levels = [p for p in candidates if len(shapes.get(p, ())) == 4]
    return levels, [shapes[p][1] for p in levels], int(final.shape[1])


class FeatureModel(nn.Module):
    """Base class: ``forward(*batch)`` -> ``[B, feature_dim]``; ``stages()`` from input to output.

    ``pool_levels()`` makes the model return, before its own features, the spatial mean of the
    output of every stage that gives a feature map (see its docstring)."""

    def __init__(self, net: nn.Module, stage_fn: Callable[[nn.Module], list[Stage]]):
        super().__init__()
        self.net = net
        self._stage_fn = stage_fn
        self.finalized = False
        self.levels: tuple[str, ...] = ()  # module paths whose pooled outputs come first (pool_levels)
        self.level_dims: tuple[int, ...] = ()  # their widths, then the final features' width
        self.level_grid = 0  # also pool levels of at most GRID_MAX_CHANNELS channels on a grid x grid partition
        self.level_max = False  # also each level's per-channel maximum over the picture (pool_levels' ``maxed``)
        self.level_channels: tuple[int, ...] = ()  # channels of each level (known when found by running)
        self._level_hooks: list = []
        self._pooled: list[torch.Tensor] = []

    # ------------------------------------------------------------------ features from every level

    def pool_levels(self, example: tuple | None = None, levels=None, dims=None, grid: int = 0,
                    maxed: bool = False) -> FeatureModel:
        """From now on ``forward`` returns ``[pooled level 1, ..., pooled level n, final features]``.

        ``grid`` > 1: levels of at most GRID_MAX_CHANNELS channels are also averaged over each
        cell of a grid x grid partition, after their mean: where a stroke or a part is, not only
        what (b, d, p and q have the same parts; measured, bench/bench_transfer_suite.py).

        ``maxed``: every level's per-channel maximum over the picture follows its mean (and cells):
        whether a part is anywhere at all, however small, where the mean dilutes one small object
        among clutter (bench/max_pool_lab.py, README).

        A network's final features are built to name ImageNet's objects and have partly forgotten
        the strokes, textures and colours lower levels see; pooled means of every stage's output
        next to them gave linear probes 3-12 points on held-out data in the transfer-quality suite
        (bench/bench_transfer_suite.py, README). The levels are found by running ``example`` once
        (every stage whose last module outputs ``[B, C, H, W]``), or given (``levels``, ``dims``,
        as a checkpoint records them). Forward hooks read them, so parameter names, training and
        export are unchanged (tracing follows the hooks)."""
        self.unpool_levels()
        self.level_grid = int(grid) if grid and grid > 1 else 0
        self.level_max = bool(maxed)
        channels = ()
        if levels is None:
            levels, dims, channels = self._find_levels(example)
        self.levels, self.level_dims = tuple(levels), tuple(int(d) for d in dims)
        self.level_channels = tuple(channels)
        for path in self.levels:
            self._level_hooks.append(self.get_submodule(path).register_forward_hook(self._keep_level))
        if self.levels:
            self._level_hooks.append(self.register_forward_hook(self._join_levels))
        return self

    def unpool_levels(self) -> None:
        for handle in self._level_hooks:
            handle.remove()
        self._level_hooks, self.levels, self.level_dims, self.level_grid = [], (), (), 0
        self.level_channels, self.level_max = (), False

    def feature_groups(self) -> dict[str, "torch.Tensor"] | None:
        """Column subsets of the pooled features a probe may choose between, widest first:
        ``grid`` (everything), ``levels`` (each level's mean, and maximum where pooled, and the final
        features, no cells), ``final`` (the network's own features). None where the layout is not
        known (levels given by an earlier run) or there is nothing to choose."""
        if not self.levels or not self.level_channels:
            return None
        means, start = [], 0
        for width, c in zip(self.level_dims[:-1], self.level_channels):
            means.append(torch.arange(start, start + c))
            if self.level_max:  # the maximum is the level's last c columns
                means.append(torch.arange(start + width - c, start + width))
            start += width
        final = torch.arange(start, start + self.level_dims[-1])
        groups = {"levels": torch.cat([*means, final]), "final": final}
        if self.level_grid:
            groups = {"grid": torch.arange(start + self.level_dims[-1]), **groups}
        return groups

    def blocks(self) -> list[tuple[int, int, dict[str, "torch.Tensor"] | None]]:
        """(first column, end column, column sets in the block's own numbering) of each network
        whose features a probe solves a head for apart (core.backbones.pair overrides this with one
        block per member). A single network is one block, its whole row, once its width is known
        (levels pooled); empty before."""
        width = self.pooled_dim
        return [] if width is None else [(0, width, self.feature_groups())]

    @property
    def pooled_dim(self) -> int | None:
        """The width of ``forward``'s output with levels pooled; None without."""
        return sum(self.level_dims) if self.levels else None

    @property
    def feature_tag(self) -> str:
        """What, beyond the weights, the features depend on (part of the embedding-cache key)."""
        if not self.levels:
            return ""
        return (f"|levels={','.join(self.levels)}" + (f"|grid={self.level_grid}" if self.level_grid else "")
                + ("|max" if self.level_max else ""))

    def _keep_level(self, _module, _inputs, output) -> None:
        mean = output.mean(dim=(2, 3))
        if self.level_grid and output.shape[1] <= GRID_MAX_CHANNELS:
            cells = F.adaptive_avg_pool2d(output, self.level_grid).flatten(1)
            mean = torch.cat([mean, cells], dim=1)
        if self.level_max:
            mean = torch.cat([mean, output.amax(dim=(2, 3))], dim=1)
        self._pooled.append(mean)

    def _join_levels(self, _module, _inputs, output):
        pooled, self._pooled = self._pooled, []
        return torch.cat([*pooled, output], dim=1)

    def _find_levels(self, example: tuple) -> tuple[list[str], list[int], list[int]]:
        levels, channels, final = find_feature_maps(self, self.stages(), example)
        cells = self.level_grid ** 2 if self.level_grid else 0

        def width(c: int) -> int:
            return (c * (1 + cells) if cells and c <= GRID_MAX_CHANNELS else c) + (c if self.level_max else 0)

        return levels, [width(c) for c in channels] + [final], channels

    def finalize(self) -> FeatureModel:
        self.finalized = True
        return self

    def adapt_state_dict(self, state: dict) -> dict:
        """A weights file's state dict as ``net`` names it (a family whose files carry entries
        that are not weights drops them here); as it is by default."""
        return state

    def stages(self) -> list[Stage]:
        """Trainable groups, input side first; only those present after ``finalize()``."""
        present = []
        for stage in self._stage_fn(self.net):
            modules = tuple(m for m in stage.modules if _exists(self, m))
            if modules:
                present.append(Stage(stage.name, modules))
        return present

    def stage_parameters(self, stage: Stage) -> list[nn.Parameter]:
        params: list[nn.Parameter] = []
        for path in stage.modules:
            target = _resolve(self, path)
            params.extend([target] if isinstance(target, nn.Parameter) else target.parameters())
        return params


class ClassifierFeatures(FeatureModel):
    """An ImageNet classifier whose last linear layer (``head``, a dotted path in ``net``) becomes an
    identity: the network's own pooling (and dropout, in training) then yields the features."""

    def __init__(self, net: nn.Module, head: str, stage_fn):
        super().__init__(net, stage_fn)
        self.head = head

    def finalize(self) -> FeatureModel:
        if not self.finalized:
            parent_path, _, leaf = self.head.rpartition(".")
            parent = self.net.get_submodule(parent_path) if parent_path else self.net
            if isinstance(parent, nn.Sequential) and leaf.isdigit():
                parent[int(leaf)] = nn.Identity()
            else:
                setattr(parent, leaf, nn.Identity())
        return super().finalize()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SpeechFeatures(FeatureModel):
    """A torchaudio Wav2Vec2Model (wav2vec 2.0, HuBERT, WavLM): mean of the hidden states of
    transformer ``layer`` (1-based) over the valid frames of each waveform."""

    def __init__(self, net: nn.Module, layer: int, stage_fn):
        super().__init__(net, stage_fn)
        n_layers = len(net.encoder.transformer.layers)
        if not 1 <= layer <= n_layers:
            raise ValueError(f"layer must be between 1 and {n_layers}, not {layer}")
        self.layer = layer

    def finalize(self) -> FeatureModel:
        if not self.finalized:
            # Layers above the chosen one are never run: drop them (memory, and no unused parameters).
            transformer = self.net.encoder.transformer
            transformer.layers = transformer.layers[: self.layer]
            self.net.aux = None
        return super().finalize()

    def forward(self, waves: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        # The steps of torchaudio's Wav2Vec2Model.extract_features, spelled out because torchaudio
        # hands WavLM layers the padding mask in the wrong argument (WavLM asserts it gets none and
        # wants a key-padding mask instead), and to stop after ``layer`` layers.
        net = self.net
        x, frame_lengths = net.feature_extractor(waves, lengths)
        x, additive_mask = net.encoder._preprocess(x, frame_lengths)
        transformer = net.encoder.transformer
        x = transformer._preprocess(x)
        padding = None
        if frame_lengths is not None:
            padding = torch.arange(x.shape[1], device=x.device)[None, :] >= frame_lengths[:, None]
        position_bias = None
        for block in transformer.layers[: self.layer]:
            if _is_wavlm_layer(block):
                # Additive float mask, the same type as WavLM's relative-position bias it is added to.
                key_mask = None if padding is None else padding.to(x.dtype) * -10000.0
                x, position_bias = block(x, None, position_bias=position_bias, key_padding_mask=key_mask)
            else:
                x, position_bias = block(x, additive_mask, position_bias=position_bias)
        if padding is None:
            return x.mean(dim=1)
        valid = (~padding).to(x.dtype).unsqueeze(-1)
        return (x * valid).sum(dim=1) / valid.sum(dim=1).clamp(min=1.0)


def _is_wavlm_layer(block: nn.Module) -> bool:
    return hasattr(block.attention, "rel_attn_embed")  # WavLMSelfAttention's relative positions


def unfreeze_top(model: FeatureModel, n: int) -> list[str]:
    """Freeze the whole backbone, then make the top ``n`` stages trainable (``n < 0``: all).

    Returns the names of the trainable stages, input side first.
    """
    for p in model.parameters():
        p.requires_grad_(False)
    stages = model.stages()
    chosen = stages if n < 0 else stages[len(stages) - n:] if n > 0 else []
    for stage in chosen:
        for p in model.stage_parameters(stage):
            p.requires_grad_(True)
    return [s.name for s in chosen]


# ------------------------------------------------------------------ stage lists per architecture


def _paths(prefix: str, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in names)


def sequential_stages(container: str, extra_head: tuple[str, ...] = ()) -> Callable:
    """Each child of ``net.<container>`` (an nn.Sequential) is a stage; ``extra_head`` modules
    (e.g. a pretrained pre-logits layer) form a last stage."""

    def stage_fn(net: nn.Module) -> list[Stage]:
        seq = net.get_submodule(container)
        stages = [Stage(f"{container}.{i}", (f"net.{container}.{i}",)) for i in range(len(seq))]
        if extra_head:
            stages.append(Stage("head", _paths("net.", extra_head)))
        return stages

    return stage_fn


def resnet_stages(net: nn.Module) -> list[Stage]:
    return [Stage("stem", ("net.conv1", "net.bn1"))] + [
        Stage(f"layer{i}", (f"net.layer{i}",)) for i in range(1, 5)
    ]


def vit_stages(net: nn.Module) -> list[Stage]:
    layers = net.encoder.layers
    return (
        [Stage("embedding", ("net.conv_proj", "net.class_token", "net.encoder.pos_embedding"))]
        + [Stage(f"block{i}", (f"net.encoder.layers.{name}",)) for i, name in enumerate(layers._modules)]
        + [Stage("final_norm", ("net.encoder.ln",))]
    )


def efficientnet_lite_stages(net: nn.Module) -> list[Stage]:
    """Blocks grouped like the paper's stages: consecutive blocks with the same output width."""
    stages = [Stage("stem", ("net._conv_stem", "net._bn0"))]
    group: list[str] = []
    width = None
    for i, block in enumerate(net._blocks):
        out = block._block_args.output_filters
        if group and out != width:
            stages.append(Stage(f"stage{len(stages)}", tuple(group)))
            group = []
        group.append(f"net._blocks.{i}")
        width = out
    stages.append(Stage(f"stage{len(stages)}", tuple(group)))
    stages.append(Stage("head", ("net._conv_head", "net._bn1")))
    return stages


def speech_stages(net: nn.Module) -> list[Stage]:
    t = "net.encoder.transformer"
    return [
        Stage("feature_encoder", ("net.feature_extractor",)),
        Stage("projection", ("net.encoder.feature_projection", f"{t}.pos_conv_embed", f"{t}.layer_norm")),
    ] + [Stage(f"layer{i + 1}", (f"{t}.layers.{i}",)) for i in range(len(net.encoder.transformer.layers))]


# ------------------------------------------------------------------ helpers


def _resolve(root: nn.Module, path: str):
    module_path, _, leaf = path.rpartition(".")
    owner = root.get_submodule(module_path) if module_path else root
    return getattr(owner, leaf)


def _exists(root: nn.Module, path: str) -> bool:
    try:
        return _resolve(root, path) is not None
    except AttributeError:
        return False
