"""A classic text baseline offered as a backbone: TF-IDF-style bags of words for the linear probe.

The tokens are the bundled MiniLM WordPiece tokenizer's (the same tokenizer.json, 30,522 ids), so
the exported model takes the same inputs as a MiniLM one (input_ids, attention_mask) and
prediction needs nothing new. The features count each token id in the text, take log(1 + count)
(sublinear tf) and scale each text's row to unit length. There is no idf term: the probe
standardises every column over the project's texts (core.train.model.standardise_features), which
gives rare tokens the larger weight idf would, measured on the project itself. No weights: nothing
is learnt before the head, so nothing can be fine-tuned either (the preprocessing says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from core.backbones.feature_models import FeatureModel
from core.backbones.preprocessing import TextPreprocessing
from core.backbones.spec import BackboneSpec, WeightsFile

VOCAB_SIZE = 30522  # the bundled all-MiniLM-L6-v2 tokenizer's vocabulary
# [PAD], [CLS] and [SEP] of that vocabulary: they are in every text and say nothing about it.
# [UNK] (100) stays: a run of characters the vocabulary cannot spell is itself a sign.
IGNORED_IDS = (0, 101, 102)


class TokenCounts(nn.Module):
    """(input_ids, attention_mask) [B, T] -> log1p(count of each id) [B, V], rows of unit length."""

    def __init__(self, vocab_size: int = VOCAB_SIZE, ignored: tuple[int, ...] = IGNORED_IDS):
        super().__init__()
        self.vocab_size = int(vocab_size)
        self.ignored = tuple(int(i) for i in ignored)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        keep = attention_mask.to(torch.float32)
        for i in self.ignored:
            keep = keep * (input_ids != i).to(torch.float32)
        # ScatterElements with reduction "add" in ONNX (opset 16 and later): what onnxruntime runs
        counts = torch.zeros(input_ids.shape[0], self.vocab_size, dtype=torch.float32, device=input_ids.device)
        counts = counts.scatter_add(1, input_ids, keep)
        tf = torch.log1p(counts)
        # an empty text (nothing but special tokens) stays a row of zeros, not NaN
        return tf / tf.norm(dim=1, keepdim=True).clamp(min=1e-12)


class TokenBagFeatures(FeatureModel):
    """The bag of tokens as a feature model: no parameters, no stages, no levels to pool."""

    def __init__(self, vocab_size: int = VOCAB_SIZE):
        super().__init__(TokenCounts(vocab_size), lambda _net: [])

    def pool_levels(self, example=None, levels=None, dims=None, grid: int = 0, maxed: bool = False) -> FeatureModel:
        # one level only: the probe's "auto" features are the bag itself
        self.unpool_levels()
        return self

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.net(input_ids, attention_mask)


@dataclass(frozen=True)
class TokenBagPreprocessing(TextPreprocessing):
    """MiniLM's tokens, read further into a text (a bag costs nothing per token, unlike attention),
    and never trained end to end: the bag has no weights to fine-tune."""

    trains_end_to_end: ClassVar[bool] = False
    max_tokens: int = 512


def build_tfidf() -> TokenBagFeatures:
    return TokenBagFeatures()


TFIDF_WEIGHTS = WeightsFile(
    key="tfidf",
    file_name="(none)",
    url=None,
    sha256=None,
    licence="none (built in, no weights)",
    built_in=True,
    description="built in: counts of the tokenizer's word pieces, no learnt weights",
)

TFIDF = BackboneSpec(
    name="tfidf",
    modality="text",
    title="TF-IDF words (built in, fast baseline)",
    feature_dim=VOCAB_SIZE,
    builder=build_tfidf,
    preprocessing=TokenBagPreprocessing(),
    weights=TFIDF_WEIGHTS,
    licence="Apache-2.0",  # TransferLab's code; the vocabulary is all-MiniLM-L6-v2's (Apache-2.0)
    macs_input="one text of 128 tokens (no multiplications: counting)",
    notes="Classic baseline: log(1 + count) of each WordPiece token of the bundled MiniLM tokenizer, rows "
          "scaled to unit length; the probe's per-project standardisation of each column plays idf's part. "
          "Fast, no weights; the honest reference for the sentence encoders.",
)
