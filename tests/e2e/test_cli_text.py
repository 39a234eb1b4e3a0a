"""A text project as a person types it: new --task text, import a folder of class folders of .txt,
train, export, predict --json (files and --text), with the real bundled MiniLM; and prediction
without torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import tl

pytestmark = pytest.mark.slow

TEXTS = {
    "football": ["The striker scored twice and the team won the derby.", "The goalkeeper saved a late penalty.",
                 "Fans sang in the stadium as the match went to extra time.", "The coach praised the defence.",
                 "A header in the last minute won the cup final.", "The league leaders lost at home on Sunday."],
    "cooking": ["Simmer the tomato sauce until it thickens.", "Knead the dough and let it rest for an hour.",
                "Roast the potatoes with rosemary and garlic.", "Whisk the eggs with sugar for the sponge cake.",
                "Season the soup with salt and pepper before serving.", "Fry the onions slowly until golden."],
    "weather": ["Heavy rain and strong winds are expected tonight.", "A heatwave will bring temperatures of 35 degrees.",
                "Snow is forecast for the hills by Friday.", "Fog will clear by late morning, then sunshine.",
                "Thunderstorms may cause flooding in the valley.", "A cold front brings frost overnight."],
}
UNSEEN = {"football": "The midfielder was sent off and the club lost the game.",
          "cooking": "Bake the bread in a hot oven for forty minutes.",
          "weather": "Showers and gusty winds will move in from the west this afternoon."}


def _folder(root: Path) -> Path:
    for label, texts in TEXTS.items():
        (root / label).mkdir(parents=True)
        for k, text in enumerate(texts):
            (root / label / f"{k}.txt").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A text project made, imported, trained (auto: the probe) and exported by the CLI, once for the
    tests of this file: (project, model, the answers of new, import, train and export)."""
    tmp_path = tmp_path_factory.mktemp("text")
    src = _folder(tmp_path / "src")
    proj = tmp_path / "p"
    answers = {"new": json.loads(tl("new", proj, "--task", "text", "--json").stdout),
               "import": json.loads(tl("import", proj, src, "--json").stdout),
               "train": json.loads(tl("train", proj, "--json").stdout)}
    model = tmp_path / "out" / "topics.onnx"
    answers["export"] = json.loads(tl("export", proj, model, "--json").stdout)
    return proj, model, answers


def test_text_project_end_to_end(exported, tmp_path):
    proj, model, answers = exported
    assert answers["new"]["task"] == "text"
    imported = answers["import"]
    assert imported["added"] == 18 and imported["rejected"] == [] and sorted(imported["classes_created"]) == sorted(TEXTS)

    trained = answers["train"]
    assert trained["status"] == "completed" and trained["mode"] == "probe" and trained["backbone"] == "minilm_l6"

    export = answers["export"]
    assert export["parity_max_diff"] < 1e-3 and export["parity_samples"] >= 3
    assert export["variants"]["fp32"]["padded_batch_max_diff"] < 1e-3
    assert (model.parent / "topics.tokenizer.json").is_file()
    refused = tl("export", proj, model.parent / "small.onnx", "--int8", check=False)
    assert refused.returncode == 1 and "fp32 only" in refused.stderr
    assert not (model.parent / "small.onnx").exists()
    assert "tokenizers" in (model.parent / "topics.md").read_text()

    unseen = tmp_path / "unseen"
    unseen.mkdir()
    for label, text in UNSEEN.items():
        (unseen / f"{label}.txt").write_bytes(text.encode("utf-16"))  # any encoding import reads
    (unseen / "blank.txt").write_text("   ")
    out = json.loads(tl("predict", model, unseen, "--text", "Sunny spells and a light breeze tomorrow.", "--json").stdout)
    by_name = {Path(r["path"]).stem if not r["path"].startswith("<") else r["path"]: r for r in out}
    for label in UNSEEN:
        r = by_name[label]
        assert set(r) == {"path", "label", "confidence", "top"}  # the fields an image model's answer has
        assert r["label"] == label and r["top"][0] == {"label": label, "confidence": r["confidence"]}
    assert by_name["<text 1>"]["label"] == "weather"
    assert by_name["blank"]["label"] is None and "empty text" in by_name["blank"]["note"]
    _second_runtime_agrees(model, [UNSEEN[label] for label in UNSEEN], [by_name[label]["confidence"] for label in UNSEEN])

    # fine-tuning the encoder, and from the fine-tuned run again (after the probe's export: the
    # one-epoch runs are not meant to be the best)
    tuned = json.loads(tl("train", proj, "--mode", "finetune", "--epochs", "1", "--batch-size", "8", "--json").stdout)
    assert tuned["status"] == "completed" and tuned["mode"] == "finetune"
    again = json.loads(tl("train", proj, "--mode", "finetune", "--epochs", "1", "--from-run", tuned["run_id"],
                          "--json").stdout)
    assert again["status"] == "completed" and tuned["run_id"] in again["mode_reason"]


def _second_runtime_agrees(model: Path, texts: list[str], confidences: list[float]) -> None:
    """onnx's own reference evaluator (numpy, no onnxruntime) runs the exported file on the tokens of
    the file beside it and gives the probabilities `predict` printed."""
    import numpy as np
    from onnx.reference import ReferenceEvaluator
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model.with_suffix(".tokenizer.json")))
    reference = ReferenceEvaluator(str(model))
    for text, confidence in zip(texts, confidences):
        enc = tokenizer.encode(text)
        probs = reference.run(None, {"input_ids": np.array([enc.ids], np.int64),
                                     "attention_mask": np.array([enc.attention_mask], np.int64)})[0][0]
        assert abs(float(probs.sum()) - 1.0) < 1e-5
        assert abs(float(probs.max()) - confidence) < 1e-5  # measured: within 3e-10 of onnxruntime


def test_predict_runs_without_torch(exported, tmp_path):
    """An exported text model needs onnxruntime and tokenizers only: torch made unimportable."""
    model = tmp_path / "m.onnx"
    shutil.copyfile(exported[1], model)  # alone: not the tokenizer file beside the export
    assert not (tmp_path / "m.tokenizer.json").exists()  # the tokenizer inside the model's metadata is enough
    assert tl("predict", model, "--text", "x", "--text", "Bake the cake.").stdout.count(":") == 2
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from core.predict import Predictor\n"
        f"p = Predictor({str(model)!r})\n"
        f"r = p.predict_text({UNSEEN['cooking']!r})\n"
        "assert 'torch' not in [m for m, v in sys.modules.items() if v is not None and m.split('.')[0] == 'torch']\n"
        "print(r.label)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cooking"
