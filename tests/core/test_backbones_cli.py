"""`transferlab backbones` as a user runs it: every backbone, availability, latency measured once."""

from __future__ import annotations

import json

import torch

from core import backbones
from core.backbones import latency
from core.cli import main


def _seed_latencies_except(name: str) -> None:
    """Pretend every other backbone was timed already, so only one is measured here (speed)."""
    store = {latency.machine_key(): {f"{s.name}:{s.fingerprint}": 1.0 for s in backbones.all_specs() if s.name != name}}
    path = latency._store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store))


def test_backbones_json_lists_every_backbone_with_availability_and_measured_latency(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    torch.set_num_threads(2)
    _seed_latencies_except("mobilenet_v3_small")
    assert main(["backbones", "--json"]) == 0
    captured = capsys.readouterr()
    rows = {r["name"]: r for r in json.loads(captured.out)}
    assert list(rows) == backbones.names()
    for r in rows.values():
        assert {"name", "modality", "available", "params", "macs", "feature_dim", "licence", "latency_ms"} <= set(r)
    assert rows["efficientnet_lite0"]["available"] and rows["efficientnet_lite0"]["weights_source"] == "bundled"
    assert rows["efficientnet_lite0"]["weights_paths"] == [rows["efficientnet_lite0"]["weights_path"]]
    pair = rows["efficientnet_lite0_lite1"]["weights_paths"]  # the pair reads each network's own file
    assert pair == [rows["efficientnet_lite0"]["weights_path"], rows["efficientnet_lite1"]["weights_path"]]
    assert rows["audio_efficientnet_lite0"]["modality"] == "audio" and rows["audio_efficientnet_lite0"]["available"]
    assert not rows["resnet18"]["available"] and rows["resnet18"]["weights_source"] is None
    assert rows["wavlm_base"]["feature_dim"] == 768
    measured = rows["mobilenet_v3_small"]["latency_ms"]
    assert measured > 0 and measured != 1.0
    assert "measuring CPU latency of mobilenet_v3_small" in captured.err
    assert latency.cached_latency_ms("mobilenet_v3_small") == measured  # remembered for next time

    assert main(["backbones", "--modality", "audio"]) == 0
    table = capsys.readouterr()
    assert "measuring" not in table.err  # measured once per machine
    assert "wav2vec2_base" in table.out and "resnet18" not in table.out and "bundled" in table.out
