"""Weights: found offline in the documented order, imports checked, downloads only on request."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest
import torch

from core import backbones, weights
from core.cli import main
from core.weights import WeightsError


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    home = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.delenv("TORCH_HUB", raising=False)
    return home / "hub" / "checkpoints"


@pytest.fixture(scope="module")
def lite0_file() -> Path:
    return backbones.get("efficientnet_lite0").weights.bundled()


def _without_bundle(name="efficientnet_lite0", **changes):
    """The same backbone as if its package were not installed (or with another download address)."""
    spec = backbones.get(name)
    return dataclasses.replace(spec, weights=dataclasses.replace(spec.weights, bundled=None, **changes))


def test_bundled_weights_are_found_first(torch_home):
    found = weights.locate("efficientnet_lite0")
    assert found.source == "bundled" and found.path.name == "efficientnet-lite0-57934424.pth"
    assert weights.locate("audio_efficientnet_lite0").path == found.path  # one file, two backbones


def test_missing_weights_give_one_sentence_naming_the_file_and_where(torch_home):
    with pytest.raises(WeightsError) as info:
        weights.load_pretrained("resnet18")
    message = info.value.message
    assert "resnet18-f37072fd.pth" in message and str(torch_home) in message
    assert "transferlab weights import resnet18 FILE" in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_hub_cache_file_in_torch_home_is_found_and_loaded(torch_home):
    torch_home.mkdir(parents=True)
    reference = backbones.get("resnet18").build(with_head=True)
    torch.save(reference.net.state_dict(), torch_home / "resnet18-f37072fd.pth")
    found = weights.locate("resnet18")
    assert found.source == "hub cache" and found.path.parent == torch_home
    model = weights.load_pretrained("resnet18")
    assert torch.equal(model.net.layer1[0].conv1.weight, reference.net.layer1[0].conv1.weight)
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 512)


def test_import_accepts_the_official_file_and_it_is_used_after_bundle_and_hub(torch_home, lite0_file):
    stored = weights.import_weights("efficientnet_lite0", lite0_file)
    assert stored.path == weights.imported_dir() / "efficientnet_lite0.pt"
    assert stored.path.read_bytes() == lite0_file.read_bytes()
    assert weights.locate("efficientnet_lite0").source == "bundled"  # the bundle still comes first
    spec = _without_bundle()
    found = weights.locate(spec)
    assert found.source == "imported"
    assert found.identity == "imported:" + hashlib.sha256(lite0_file.read_bytes()).hexdigest()
    assert weights.load_pretrained(spec)(torch.zeros(1, 3, 224, 224)).shape == (1, 1280)


def test_import_rejects_wrong_shapes_naming_file_and_tensor(tmp_path, lite0_file):
    state = torch.load(lite0_file, weights_only=True)
    state["_fc.weight"] = torch.zeros(10, 1280)
    bad = tmp_path / "ten_classes.pth"
    torch.save(state, bad)
    with pytest.raises(WeightsError, match=r"ten_classes.pth does not fit this backbone: 1 tensors have "
                                           r"the wrong shape \(e.g. _fc.weight is \[10, 1280\], expected \[1000, 1280\]\)"):
        weights.import_weights("efficientnet_lite0", bad)
    with pytest.raises(WeightsError, match="missing"):
        weights.import_weights("efficientnet_lite0", _saved(tmp_path, backbones.get("resnet18").build().net.state_dict()))
    assert not weights.imported_path(backbones.get("efficientnet_lite0")).exists()


def test_import_rejects_right_shapes_with_wrong_official_hash(tmp_path, lite0_file):
    state = torch.load(lite0_file, weights_only=True)
    state["_fc.bias"] = state["_fc.bias"] + 1.0
    with pytest.raises(WeightsError, match="not the official efficientnet_lite0 weights file: its SHA-256"):
        weights.import_weights("efficientnet_lite0", _saved(tmp_path, state))


def test_import_rejects_pickles_that_are_not_state_dicts(tmp_path):
    module_file = tmp_path / "whole_model.pth"
    torch.save(torch.nn.Linear(2, 2), module_file)  # a pickled module: code, not just tensors
    with pytest.raises(WeightsError, match="whole_model.pth cannot be read as PyTorch weights"):
        weights.import_weights("resnet18", module_file)
    with pytest.raises(WeightsError, match="list.pth is not a state dict .* but a list"):
        weights.import_weights("resnet18", _saved(tmp_path, [torch.zeros(2)], "list.pth"))
    with pytest.raises(WeightsError, match="entry 'epoch' is a int"):
        weights.import_weights("resnet18", _saved(tmp_path, {"w": torch.zeros(1), "epoch": 3}, "ckpt.pth"))
    text = tmp_path / "notes.pth"
    text.write_text("not weights")
    with pytest.raises(WeightsError, match="notes.pth cannot be read"):
        weights.import_weights("resnet18", text)


class _Payload:
    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_loading_never_runs_code_from_a_weight_file(tmp_path):
    marker = tmp_path / "code_ran"
    payload = _Payload()
    payload.marker = str(marker)
    evil = _saved(tmp_path, {"w": torch.zeros(1), "x": payload}, "evil.pth")
    with pytest.raises(WeightsError, match="evil.pth cannot be read"):
        weights.read_state_dict(evil)
    assert not marker.exists()


def test_cli_import_and_its_errors_are_one_line(tmp_path, lite0_file, capsys):
    assert main(["weights", "import", "efficientnet_lite0", str(lite0_file)]) == 0
    assert "Imported" in capsys.readouterr().out
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00garbage")
    assert main(["weights", "import", "resnet18", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("transferlab: ") and "bad.pth" in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_nothing_touches_the_network_without_a_download_request(torch_home, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("network access without a download request")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert weights.locate("resnet18") is None
    weights.load_pretrained("efficientnet_lite0")
    assert main(["weights", "list"]) == 0
    listed = capsys.readouterr().out
    assert "missing (resnet18-f37072fd.pth)" in listed
    pair = next(line for line in listed.splitlines() if line.startswith("efficientnet_lite0_lite1 "))
    assert "efficientnet-lite0-" in pair and " + " in pair and "efficientnet-lite1-" in pair  # each network's file


# ------------------------------------------------------------------ downloads (from a local server)


class _RangeServer(http.server.ThreadingHTTPServer):
    """Serves one file with HTTP Range support, recording the Range headers it was sent."""

    def __init__(self, payload: bytes):
        self.payload, self.ranges = payload, []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):
                data, rng = self.payload, handler.headers.get("Range")
                self.ranges.append(rng)
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                handler.send_response(206 if rng else 200)
                if rng:
                    handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                handler.send_header("Content-Length", str(len(data) - start))
                handler.end_headers()
                handler.wfile.write(data[start:])

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/efficientnet-lite0-57934424.pth"


def test_download_resumes_a_partial_file_and_verifies_the_hash(torch_home, lite0_file):
    payload = lite0_file.read_bytes()
    server = _RangeServer(payload)
    try:
        spec = _without_bundle(url=server.url)
        torch_home.mkdir(parents=True)
        (torch_home / "efficientnet-lite0-57934424.pth.part").write_bytes(payload[:1000])
        seen = []
        found = weights.download(spec, progress=lambda done, total: seen.append((done, total)))
        assert server.ranges == ["bytes=1000-"]
        assert found.path == torch_home / "efficientnet-lite0-57934424.pth" and found.source == "hub cache"
        assert found.path.read_bytes() == payload
        assert seen[0] == (1000, len(payload)) and seen[-1] == (len(payload), len(payload))
        assert weights.locate(spec).source == "hub cache"
    finally:
        server.shutdown()


def test_damaged_download_is_deleted_and_never_used(torch_home, lite0_file):
    server = _RangeServer(b"x" * 5000)
    try:
        spec = _without_bundle(url=server.url)
        with pytest.raises(WeightsError, match="damaged and was deleted.*SHA-256"):
            weights.download(spec)
        assert not any(torch_home.iterdir())
        assert weights.locate(spec) is None
    finally:
        server.shutdown()


def test_unreachable_server_is_a_sentence(torch_home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    spec = _without_bundle(url=f"http://127.0.0.1:{port}/efficientnet-lite0-57934424.pth")
    with pytest.raises(WeightsError, match="Could not download efficientnet-lite0-57934424.pth"):
        weights.download(spec, timeout=5)


def _saved(tmp_path, obj, name="weights.pth"):
    path = tmp_path / name
    torch.save(obj, path)
    return path
