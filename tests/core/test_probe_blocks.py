"""One head per block of columns (core.probe.solve.solve_blocks: a pair backbone's networks), each
choosing its own column set and strength, joined as the mean of their logits in one linear head."""

from __future__ import annotations

import numpy as np
import torch

from core.probe.solve import solve_blocks, solve_head


def _two_views_of_three_classes(n_per_class=20, seed=0):
    """Block A (columns 0-9) tells class 0 from the others, block B (10-19) class 1 from class 2:
    either block alone confuses two classes, the two together tell all three apart."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    a = rng.normal(size=(len(y), 10)) + np.where(y == 0, 2.0, -1.0)[:, None] * np.r_[1.0, np.zeros(9)]
    b = rng.normal(size=(len(y), 10)) + np.select([y == 1, y == 2], [2.0, -2.0], 0.0)[:, None] * np.r_[1.0, np.zeros(9)]
    return torch.from_numpy(np.hstack([a, b])), y


def test_each_block_gets_its_own_head_and_their_mean_is_one_linear_head():
    x, y = _two_views_of_three_classes()
    blocks = [(0, 10, {"all": torch.arange(10), "final": torch.arange(5)}), (10, 20, None)]
    joined = solve_blocks(x, y, 3, blocks, seed=0)
    alone = [solve_head(x[:, :10], y, 3, column_sets=blocks[0][2], unvalidated=("final", torch.arange(5)), seed=0),
             solve_head(x[:, 10:], y, 3, seed=0)]
    assert [m.strength for m in joined.members] == [a.strength for a in alone]
    assert torch.allclose(joined.weight[:10], alone[0].weight / 2) and torch.allclose(joined.weight[10:], alone[1].weight / 2)
    assert torch.allclose(joined.bias, (alone[0].bias + alone[1].bias) / 2)
    logits = x.float() @ joined.weight + joined.bias
    mean_logits = (x[:, :10].float() @ alone[0].weight + alone[0].bias + x[:, 10:].float() @ alone[1].weight
                   + alone[1].bias) / 2
    assert torch.allclose(logits, mean_logits, atol=1e-5)
    # the estimate is the joined held-out predictions', and beats either block's
    assert joined.estimate == float((joined.held_out.argmax(1) == y).mean())
    assert joined.estimate >= max(a.estimate for a in alone) + 0.05
    assert joined.features == "network 1 all, network 2 all" and "network 1 all" in joined.feature_scores


def test_views_are_learnt_from_but_not_scored():
    x, y = _two_views_of_three_classes(n_per_class=10, seed=1)
    views = x + 0.05 * torch.randn_like(x)
    rows = torch.cat([x, views])
    groups = np.concatenate([np.arange(len(y))] * 2)
    scored = np.arange(2 * len(y)) < len(y)
    joined = solve_blocks(rows, np.concatenate([y, y]), 3, [(0, 10, None), (10, 20, None)], groups=groups,
                          scored=scored, seed=0)
    assert joined.held_out.shape == (2 * len(y), 3)
    judged = scored & ~np.isnan(joined.held_out).any(axis=1)
    assert judged.sum() == len(y)
    assert joined.estimate == float((joined.held_out[judged].argmax(1) == y).mean())
