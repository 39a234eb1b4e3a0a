"""The built-in TF-IDF backbone through the whole pipeline as a person types it: a text project
trained with --backbone tfidf, exported (checked against PyTorch by the export itself), predicted
with --json; fine-tuning refused in a sentence; and the weights listing calls it built in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli_text import TEXTS, UNSEEN, _folder, _second_runtime_agrees
from tests.helpers.cli import tl

pytestmark = pytest.mark.slow


def test_tfidf_project_end_to_end(tmp_path):
    src = _folder(tmp_path / "src")
    proj = tmp_path / "p"
    tl("new", proj, "--task", "text")
    tl("import", proj, src)

    trained = json.loads(tl("train", proj, "--backbone", "tfidf", "--json").stdout)
    assert trained["status"] == "completed" and trained["mode"] == "probe" and trained["backbone"] == "tfidf"
    refused = tl("train", proj, "--backbone", "tfidf", "--mode", "finetune", check=False)
    assert refused.returncode != 0 and "tfidf has no weights to fine-tune" in refused.stderr

    model = tmp_path / "out" / "bag.onnx"
    exported = json.loads(tl("export", proj, model, "--json").stdout)
    assert exported["parity_max_diff"] < 1e-3 and exported["parity_samples"] >= 3
    assert exported["variants"]["fp32"]["padded_batch_max_diff"] < 1e-3
    assert "ScatterElements" in exported["operators"]["fp32"]
    assert (tmp_path / "out" / "bag.tokenizer.json").is_file()

    unseen = tmp_path / "unseen"
    unseen.mkdir()
    for label, text in UNSEEN.items():
        (unseen / f"{label}.txt").write_text(text, encoding="utf-8")
    out = json.loads(tl("predict", model, unseen, "--json").stdout)
    assert {r["label"] for r in out} <= set(TEXTS) and len(out) == len(UNSEEN)
    by_name = {Path(r["path"]).stem: r for r in out}
    # words shared with the training texts ("club", "oven", "winds") carry these three
    assert sum(by_name[label]["label"] == label for label in UNSEEN) >= 2
    _second_runtime_agrees(model, [UNSEEN[label] for label in UNSEEN], [by_name[label]["confidence"] for label in UNSEEN])
    assert not any("note" in r for r in out)
    # a text none of whose words the training texts held gets the answer to an empty text, and says so
    strange = json.loads(tl("predict", model, "--text", "Ωμέγα ψυχή ζωή", "--json").stdout)[0]
    assert strange["label"] in TEXTS and "none of its words carry weight" in strange["note"]


def test_weights_list_says_built_in():
    listed = tl("weights", "list").stdout
    line = next(x for x in listed.splitlines() if x.startswith("tfidf "))
    assert "built in (no weights)" in line
    refused = tl("weights", "download", "tfidf", check=False)
    assert refused.returncode != 0 and "built in and has no weights" in refused.stderr
