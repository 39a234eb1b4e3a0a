"""The built-in TF-IDF backbone: the bag of tokens computed by hand, padding and special tokens that
change nothing, no weights anywhere (listed, loaded, refused to import), and a project trained with
it that beats chance on texts it never saw."""

from __future__ import annotations

import math
import random

import pytest
import torch

from core import backbones, weights
from core.backbones.tfidf import VOCAB_SIZE
from core.text.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def spec():
    return backbones.get("tfidf")


def test_features_are_the_hand_computed_bag_of_ids(spec):
    pre = spec.preprocessing
    text = "the cat the cat sat"
    ids = pre.to_tensor(text)
    words = load_tokenizer(pre.tokenizer, pre.max_tokens).encode(text).tokens
    assert words == ["[CLS]", "the", "cat", "the", "cat", "sat", "[SEP]"]  # [CLS]/[SEP] are not counted
    the, cat, sat = (int(ids[words.index(w)]) for w in ("the", "cat", "sat"))
    want = torch.zeros(VOCAB_SIZE)
    want[the], want[cat], want[sat] = math.log(3), math.log(3), math.log(2)  # log(1 + count)
    want /= math.sqrt(2 * math.log(3) ** 2 + math.log(2) ** 2)
    got = weights.load_pretrained(spec)(*pre.collate([ids]))
    assert got.shape == (1, VOCAB_SIZE) and spec.feature_dim == VOCAB_SIZE
    assert torch.allclose(got[0], want, atol=1e-6)


def test_padding_changes_nothing_and_an_empty_text_is_zeros(spec):
    pre, model = spec.preprocessing, weights.load_pretrained(spec)
    items = [pre.to_tensor(t) for t in ("A short one.", "A much longer text about cats, dogs and the weather.", "")]
    together = model(*pre.collate(items))
    alone = torch.cat([model(*pre.collate([t])) for t in items])
    assert torch.allclose(together, alone, atol=1e-7)
    assert together[2].abs().sum() == 0 and not together.isnan().any()


def test_no_weights_built_in_everywhere(spec, tmp_path):
    assert spec.title == "TF-IDF words (built in, fast baseline)" and spec.params == 0
    assert "tfidf" in backbones.names("text") and backbones.default_for("text").name == "minilm_l6"
    found = weights.locate(spec)
    assert found.source == weights.BUILT_IN and found.identity == "built-in:tfidf"
    (tmp_path / "w.pt").write_bytes(b"x")
    with pytest.raises(weights.WeightsError, match="tfidf is built in and has no weights"):
        weights.import_weights(spec, tmp_path / "w.pt")
    assert not spec.preprocessing.trains_end_to_end


WORDS = {
    "pets": "dog cat puppy kitten leash collar bark purr vet fur tail paw".split(),
    "money": "bank loan interest mortgage savings budget tax invoice salary credit debt cash".split(),
}


def _texts(rng: random.Random, n: int) -> list[tuple[str, str]]:
    filler = "the a and of to with was it on for".split()
    return [(" ".join(rng.sample(WORDS[label], 3) + rng.sample(filler, 4)), label)
            for _ in range(n) for label in WORDS]


def test_a_project_trained_with_it_beats_chance(tmp_path):
    from core.importer import import_files
    from core.project import Project
    from core.runs import load_run
    from core.train import TrainConfig, Trainer

    rng = random.Random(3)
    src = tmp_path / "src"
    for k, (text, label) in enumerate(_texts(rng, 8)):
        (src / label).mkdir(parents=True, exist_ok=True)
        (src / label / f"{k}.txt").write_text(text, encoding="utf-8")
    project = Project.create(tmp_path / "p", "text", "bag of words")
    import_files(project, [src])
    result = Trainer(project, TrainConfig(backbone="tfidf")).fit()
    loaded = load_run(project, result.run_id)
    assert loaded.meta["mode"] == "probe" and loaded.spec.name == "tfidf"
    unseen = _texts(rng, 10)
    pre = loaded.spec.preprocessing
    with torch.inference_mode():
        probs = loaded.model(*pre.collate([pre.to_tensor(t) for t, _ in unseen]))
    probs = probs[0] if isinstance(probs, tuple) else probs
    right = sum(loaded.class_names[int(p.argmax())] == label for p, (_, label) in zip(probs, unseen))
    assert right >= 16  # of 20; chance is 10
    project.close()


def test_the_probe_solves_on_the_columns_some_row_uses():
    """A bag of words is mostly columns no text uses: the head solved without them has the same
    weights on the others and zero (or the prior's) on them."""
    import numpy as np

    from core.probe.solve import solve_head

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(24, 6, generator=gen, dtype=torch.float64)
    y = np.arange(24) % 3
    x[:, :3] += torch.nn.functional.one_hot(torch.from_numpy(y), 3).double() * 2
    wide = torch.zeros(24, 40, dtype=torch.float64)
    used = torch.tensor([3, 11, 12, 25, 30, 39])
    wide[:, used] = x
    narrow, padded = solve_head(x, y, 3), solve_head(wide, y, 3)
    assert padded.weight.shape == (40, 3) and padded.strength == narrow.strength
    assert torch.allclose(padded.weight[used], narrow.weight, atol=1e-6)
    assert padded.weight[[c for c in range(40) if c not in used.tolist()]].abs().max() == 0
    assert padded.estimate == narrow.estimate
    prior = torch.randn(40, 3, generator=gen, dtype=torch.float64)
    pulled = solve_head(wide, y, 3, prior=prior)
    assert torch.allclose(pulled.weight[0], prior[0].float())  # no row moves an unused column's weight
