"""The tiny backbone the training tests share (tests/helpers/training.py) is a real one, and the
probe's feature scaling on a few samples."""

import torch

from tests.helpers.training import tiny_spec


def test_the_tiny_backbone_is_a_real_spec_with_loadable_weights(tmp_path):
    from core import weights

    spec = tiny_spec(tmp_path / "w")
    model = weights.load_pretrained(spec)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 32)
    assert spec.stage_names() == ["stem", "block1", "block2"]


def test_probe_scaling_of_a_few_samples_leans_on_the_overall_spread():
    """A feature nearly constant among a handful of shots must not be blown up by its tiny spread;
    with many samples each feature's own spread counts."""
    from core.train.model import Classifier

    torch.manual_seed(0)
    model = Classifier(torch.nn.Identity(), 4, 2, 0.0)
    few = torch.randn(5, 4)
    few[:, 3] = 1.0 + 1e-4 * torch.randn(5)  # constant among these five
    model.standardise_features(few)
    overall = float(few.var(dim=0, unbiased=False).mean().sqrt())
    assert float(model.feature_std[3]) > 0.5 * overall
    many = torch.randn(5000, 4) * torch.tensor([1.0, 2.0, 4.0, 0.01])
    model.standardise_features(many)
    assert abs(float(model.feature_std[0]) - 1.0) < 0.1 and abs(float(model.feature_std[2]) - 4.0) < 0.3
    assert float(model.feature_std[3]) < 0.5  # still scaled up, but not by 1/0.01
