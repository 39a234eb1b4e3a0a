"""The bundled text backbone: the real all-MiniLM-L6-v2 weights, checked against transformers' own
BertModel and pooling, padding that changes nothing, every layer's mean, the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import backbones, features
from core.backbones.text_entries import masked_mean
from core.text.tokenizer import bundled_minilm_dir
from core.weights import load_pretrained

pytestmark = pytest.mark.slow

TEXTS = ["The cat sat on the mat.", "Shares fell sharply after the announcement, and the bank cut its forecast.",
         "ok", "Ünïcödé — “quotes” and emoji 🙂 survive the tokenizer."]


@pytest.fixture(scope="module")
def model():
    return load_pretrained("minilm_l6")


def test_spec_is_in_the_one_registry_as_the_text_default():
    spec = backbones.default_for("text")
    assert spec.name == "minilm_l6" and spec.modality == "text" and spec.feature_dim == 384
    assert backbones.names("text") == ["minilm_l6", "tfidf"]  # the offline default first
    assert spec.stage_names() == ["embeddings", *(f"layer{i}" for i in range(1, 7))]
    assert 22_000_000 < spec.params < 23_000_000  # 22.7M with the pooler dropped


def test_features_match_transformers_own_bert_and_pooling(model):
    from transformers import AutoModel

    reference = AutoModel.from_pretrained(str(bundled_minilm_dir())).eval()
    pre = backbones.get("minilm_l6").preprocessing
    ids, mask = pre.collate([pre.to_tensor(t) for t in TEXTS])
    with torch.inference_mode():
        ours = model(ids, mask)
        states = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        theirs = masked_mean(states, mask)
    assert ours.shape == (len(TEXTS), 384)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_a_padded_batch_gives_each_text_what_it_gets_alone(model):
    pre = backbones.get("minilm_l6").preprocessing
    items = [pre.to_tensor(t) for t in TEXTS]
    assert len({len(t) for t in items}) == len(items)  # different lengths: the batch is padded
    with torch.inference_mode():
        together = model(*pre.collate(items))
        alone = torch.cat([model(*pre.collate([t])) for t in items])
    assert torch.allclose(together, alone, atol=1e-5)


def test_long_texts_are_cut_to_max_tokens():
    pre = backbones.get("minilm_l6").preprocessing
    ids = pre.to_tensor("word " * 2000)
    assert ids.shape == (pre.max_tokens,) and ids[0] == 101 and ids[-1] == 102  # [CLS] ... [SEP]


def test_every_layer_pooled_next_to_the_final_features(model):
    spec = backbones.get("minilm_l6")
    pre = spec.preprocessing
    batch = pre.collate([pre.to_tensor(t) for t in TEXTS[:2]])
    with torch.inference_mode():
        final = model(*batch)
        model.pool_levels(pre.example_batch(1))
        try:
            pooled = model(*batch)
            groups = model.feature_groups()
        finally:
            model.unpool_levels()
    assert model.pooled_dim is None and pooled.shape == (2, 7 * 384)
    assert set(groups) == {"levels", "final"} and len(groups["levels"]) == 7 * 384
    assert torch.allclose(pooled[:, groups["final"]], final, atol=1e-6)
    assert not torch.allclose(pooled[:, :384], final, atol=1e-2)  # the embeddings' mean is another thing


def test_embedding_cache_serves_texts_the_second_time(model, tmp_path):
    files = []
    for k, text in enumerate(TEXTS):
        files.append(tmp_path / f"{k}.txt")
        files[-1].write_text(text, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x00binary")
    items = [(f"h{k}", str(p)) for k, p in enumerate(files)] + [("bad", str(tmp_path / "bad.txt"))]
    first = features.extract("minilm_l6", items, cache_dir=tmp_path / "cache", model=model)
    again = features.extract("minilm_l6", items, cache_dir=tmp_path / "cache", model=model)
    assert first.computed == len(TEXTS) and again.cached == len(TEXTS) and again.computed == 0
    assert "NUL bytes" in first.failed["bad"] and "bad" not in first.hashes
    np.testing.assert_allclose(first.vectors, again.vectors)
