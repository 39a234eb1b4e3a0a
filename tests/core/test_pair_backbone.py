"""Two networks reading one picture (core.backbones.pair): each member's features in its own block,
its levels pooled by itself, the blocks and column sets in the pair's numbering, a checkpoint's
levels rebuilt, every parameter in a named stage, and one ONNX graph giving the same features."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from core.backbones import ClassifierFeatures
from core.backbones.pair import PairFeatures
from tests.helpers.training import TinyNet, _stages


def _member(seed: int) -> ClassifierFeatures:
    torch.manual_seed(seed)
    return ClassifierFeatures(TinyNet(), head="fc", stage_fn=_stages).finalize().eval()


def _pair() -> PairFeatures:
    return PairFeatures([_member(1), _member(2)], sizes=[24, None], widths=[32, 32]).eval()


def test_each_member_reads_the_picture_at_its_size_into_its_own_block():
    pair = _pair()
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        out = pair(x)
        first = pair.members[0](F.interpolate(x, size=(24, 24), mode="bilinear", align_corners=False))
        second = pair.members[1](x)
    assert out.shape == (3, 64)
    assert torch.equal(out[:, :32], first) and torch.equal(out[:, 32:], second)
    assert [(s, e) for s, e, _g in pair.blocks()] == [(0, 32), (32, 64)]
    assert not torch.equal(first, second)  # two networks, not one twice


def test_levels_are_pooled_per_member_and_rebuilt_from_what_a_checkpoint_records():
    pair = _pair()
    pair.pool_levels((torch.zeros(1, 3, 32, 32),), grid=2)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        out = pair(x)
    assert out.shape[1] == pair.pooled_dim == sum(m.pooled_dim for m in pair.members)
    assert pair.levels[0].startswith("net.0.") and pair.levels[-1].startswith("net.1.")
    blocks = pair.blocks()
    assert blocks[0][1] == blocks[1][0] and blocks[1][1] == out.shape[1]
    groups = pair.feature_groups()
    assert set(groups) == {"grid", "levels", "final"}
    assert torch.equal(groups["grid"], torch.arange(out.shape[1]))
    finals = [g["final"] + s for s, _e, g in blocks]
    assert torch.equal(groups["final"], torch.cat(finals))
    assert groups["final"].tolist()[-1] == out.shape[1] - 1  # the second member's final features end the row

    again = PairFeatures([_member(1), _member(2)], sizes=[24, None], widths=[32, 32]).eval()
    again.pool_levels(levels=pair.levels, dims=pair.level_dims, grid=2)
    with torch.no_grad():
        assert torch.equal(again(x), out)
    assert again.feature_tag == pair.feature_tag and "pair(" in pair.feature_tag


def test_a_single_network_is_one_block_its_whole_row_once_its_width_is_known():
    member = _member(1)
    assert member.blocks() == []  # levels not pooled: its width is its spec's, not its own to say
    member.pool_levels((torch.zeros(1, 3, 32, 32),), grid=2)
    with torch.no_grad():
        width = member(torch.rand(1, 3, 32, 32)).shape[1]
    ((start, end, groups),) = member.blocks()
    assert (start, end) == (0, width) and set(groups) == {"grid", "levels", "final"}
    assert torch.equal(groups["final"], member.feature_groups()["final"])


def test_every_parameter_is_in_a_stage_named_by_its_member():
    pair = _pair()
    stages = pair.stages()
    assert [s.name for s in stages][:1] == ["0:stem"] and stages[-1].name.startswith("1:")
    covered = {id(p) for s in stages for p in pair.stage_parameters(s)}
    assert covered == {id(p) for p in pair.parameters()}


def test_one_onnx_graph_gives_the_pairs_features(tmp_path):
    import onnxruntime as ort
    from torch.export import Dim

    from core.export.torch_export import torch_export

    pair = _pair()
    pair.pool_levels((torch.zeros(1, 3, 32, 32),), grid=2)
    path = tmp_path / "pair.onnx"
    torch_export(pair, torch.rand(2, 3, 32, 32), path, input_name="x", output_names=["features"],
                 dims={0: Dim("batch", min=1, max=64)}, what="pair")
    x = torch.rand(5, 3, 32, 32)
    with torch.no_grad():
        expected = pair(x).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})[0]
    assert np.abs(got - expected).max() < 1e-4


def test_the_bundled_pair_reads_with_lite0s_and_lite1s_own_weights():
    from core import weights
    from core.weights import WeightsError, load_pretrained

    pair = load_pretrained("efficientnet_lite0_lite1")
    lite0, lite1 = load_pretrained("efficientnet_lite0"), load_pretrained("efficientnet_lite1")
    x = torch.rand(2, 3, 240, 240)
    with torch.no_grad():
        expected = torch.cat([lite0(F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False)), lite1(x)], 1)
        assert torch.allclose(pair(x), expected, atol=1e-5)
    found = weights.locate("efficientnet_lite0_lite1")
    assert found.source == "bundled" and found.identity.count("+") == 1  # both networks' files are bundled
    with pytest.raises(WeightsError, match="reads with efficientnet_lite0 and efficientnet_lite1"):
        weights.import_weights("efficientnet_lite0_lite1", __file__)


def _tiny_pair_spec(tmp_path):
    from core.backbones.spec import BackboneSpec, WeightsFile
    from tests.helpers.training import tiny_spec

    a, b = tiny_spec(tmp_path / "a", name="tiny_a"), tiny_spec(tmp_path / "b", name="tiny_b")
    return BackboneSpec(
        name="tiny_pair", modality="image", title="Two tiny CNNs (tests)", feature_dim=64,
        builder=lambda: PairFeatures([a.build(with_head=True), b.build(with_head=True)], sizes=[24, None],
                                     widths=[32, 32]),
        preprocessing=a.preprocessing,
        weights=WeightsFile(key="tiny_pair", file_name="", url=None, sha256=None, licence="test", members=(a, b)),
        licence="test", macs_input="one 32x32 image")


def test_a_probe_on_a_pair_solves_a_head_per_network_exports_and_reuses_each_choice(tmp_path):
    from core.export.exporter import export_run
    from core.runs import load_run
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import make_colour_project

    spec = _tiny_pair_spec(tmp_path)
    project = make_colour_project(tmp_path, per_class=8)
    try:
        first = Trainer(project, TrainConfig(mode="probe"), spec=spec).fit()
        assert first.status == "completed"
        chosen = first.metrics["probe_choice"]
        assert len(chosen["members"]) == 2 and chosen["features"].startswith("network 1 ")
        loaded = load_run(project, first.run_id, spec=spec)
        assert loaded.meta["levels"][0].startswith("net.0.") and loaded.meta["levels"][-1].startswith("net.1.")
        report = export_run(project, tmp_path / "pair.onnx", first.run_id, spec=spec)
        assert report.parity_max_diff < 1e-4
        sample = project.samples(split="train")[0]
        project.set_label([sample.id], next(c for c in project.class_names() if c != sample.label))
        again = Trainer(project, TrainConfig(), spec=spec).fit()  # auto: a pair trains as a probe
        reused = again.metrics["probe_choice"]
        assert reused["reused_from"] == first.run_id and reused["members"] == chosen["members"]
        with pytest.raises(Exception, match="trains as a probe only .* to fine-tune or train every layer, choose one network: tiny_a or tiny_b"):
            Trainer(project, TrainConfig(mode="finetune", epochs=1), spec=spec).fit()
    finally:
        project.close()


def test_each_networks_columns_are_scaled_towards_their_own_overall_spread():
    from core.train.model import PRIOR_SAMPLES, Classifier

    model = Classifier(_pair(), 64, 3, 0.0)
    features = torch.cat([torch.randn(20, 32), 100 * torch.randn(20, 32)], 1)
    features[:, 0] = 0.0  # a constant column of the first network
    model.standardise_features(features)
    first_overall = float(features[:, :32].var(0, unbiased=False).mean())
    expected = (PRIOR_SAMPLES * first_overall / (20 + PRIOR_SAMPLES)) ** 0.5
    assert abs(float(model.feature_std[0]) - expected) < 1e-3 * expected  # not pulled up by the second's scale
