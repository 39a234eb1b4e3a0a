"""Two bundled backbones instead of one (issue 14): do the default probe's steps on EfficientNet-Lite1
or Lite2 features, or on Lite0's and a larger one's together, beat the plain probe where Lite0 alone
does not (textures, scenes, shifted shapes and photo regions at 5 a class)?

Stage ``embed`` (per task and backbone, once; ``ensemble-lab-<backbone>.npz`` in the task's folder
of the transfer-quality suite, tasks.materialise(name)): every pool and test file, and the two
altered views (core.probe.views) of every pool file a draw of seeds 0-2 labels at 5 or 20 a class,
through the backbone with its levels pooled on the 2x2 grid exactly as a probe run does
(bench/semi_lab.py's _backbone, core.features.extract; PyTorch, no ONNX). The views are the same
pictures Lite0's were (altered() before the backbone's own resize). Lite0's features are the first
columns of bench/std_pool_lab.py's ``std-lab-features.npz`` (its ``embed`` stage), bit for bit the
default probe's.

Stage ``run``: per task, labelled size (5, 20) and seed (bench_transfer_suite.labelled_subset), the
default probe's steps (std_pool_lab.probe_accuracy's: standardised on the labelled rows, the views
in their picture's fold, column set and strength chosen by core.probe.solve.solve_head) on

- ``lite0`` (today's default), ``lite1``, ``lite2``: each backbone alone;
- ``mean02``, ``mean01``, ``mean012``: the mean of those heads' class probabilities on the test
  files (each head chose its own column set and strength on its own folds);
- ``lmean012``, ``lmean01``: the mean of those heads' logits instead (one linear head on the
  backbones' columns side by side, each block its own head's weights divided by their number);
- ``lite0r``, ``meanr1``, ``lmeanr1``: Lite0 reading Lite1's picture (its 240 px crop) resized to 224
  px in the graph (bilinear), as one exported model taking one picture for both would, alone and
  with Lite1;
- ``cat02``, ``cat012``, ``cat01``: one probe on the backbones' columns side by side, its column sets the union
  of the backbones' sets of one name (grid with grid, ...);

each scored on the task's test files, next to the plain probe (bench_transfer_suite
.plain_probe_accuracy: Lite0's final features, scikit-learn's LogisticRegression) on the same files.

Run: OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/backbone_ensemble_lab.py embed [--tasks a,b] [--backbones lite1,lite2,lite0r]
     OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/backbone_ensemble_lab.py run [--tasks a,b] [--variants ...]
     -> bench/results/backbone_ensemble_lab.json (every draw's rows kept) and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TRANSFERLAB_ONNX_FEATURES", "0")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.bench_transfer_suite import labelled_subset  # noqa: E402
from bench.std_pool_lab import PICTURE_TASKS, SEEDS, SIZES, draw_row, solve_default  # noqa: E402

AUDIO_TASKS = ("words", "words_noise", "chords", "environment")
from bench.std_pool_lab import load as load_lite0  # noqa: E402
from bench.suite import embed, tasks  # noqa: E402

BACKBONES = {"lite1": "efficientnet_lite1", "lite2": "efficientnet_lite2", "lite0r": "efficientnet_lite0"}
VARIANTS = ("lite0", "lite1", "lite2", "mean02", "mean01", "mean012", "lmean012", "lmean01", "cat02", "cat012", "cat01",
            "lite0r", "meanr1", "lmeanr1")


class Resized(torch.nn.Module):
    """``inner`` on its input resized to ``size`` (bilinear, as an exported graph can)."""

    def __init__(self, inner, size: int):
        super().__init__()
        self.inner, self.size = inner, size
        self.weights_identity = f"{inner.weights_identity}|resized-to-{size}-from-lite1-crop"
        self.pooled_dim, self.feature_tag = inner.pooled_dim, inner.feature_tag

    def forward(self, x):
        return self.inner(torch.nn.functional.interpolate(x, size=(self.size, self.size), mode="bilinear",
                                                          align_corners=False))

    def feature_groups(self):
        return self.inner.feature_groups()


def audio_spec(short: str, lite0_spec):
    """The default audio backbone (``lite0_spec``, with the probe's clip length) or the same front
    end drawing its picture at Lite1's 240 px for Lite1's ImageNet weights."""
    import dataclasses
    import functools

    from core.backbones.image_entries import LITE_FILES, build_lite, lite_weights

    if short == "lite0":
        return lite0_spec
    size = int(short[-1])
    return dataclasses.replace(lite0_spec, name=f"audio_efficientnet_lite{size}",
                               builder=functools.partial(build_lite, size), weights=lite_weights(size),
                               preprocessing=dataclasses.replace(lite0_spec.preprocessing,
                                                                 image_size=LITE_FILES[size][2]))


def features_path(name: str, short: str) -> Path:
    return tasks.default_root() / name / f"ensemble-lab-{short}.npz"


def embed_task(name: str, short: str) -> Path:
    from core import backbones

    from bench.semi_lab import _backbone, embed_files

    out = features_path(name, short)
    if out.exists():
        return out
    task = tasks.TASKS[name]
    task_dir = tasks.materialise(name)
    pool_paths, pool_labels, classes = tasks.files(task_dir, "pool")
    test_paths, test_labels, _ = tasks.files(task_dir, "test")
    if task.modality == "audio":  # the default log-mel front end drawn at the network's own size
        from bench.semi_lab import task_spec

        spec = audio_spec(short, task_spec("audio", pool_paths))
        backbone = _backbone(spec)
    elif short == "lite0r":  # Lite0 reading Lite1's picture (240 px crop) resized to 224 in the graph
        import dataclasses

        spec = dataclasses.replace(backbones.get("efficientnet_lite0"),
                                   preprocessing=backbones.get("efficientnet_lite1").preprocessing)
        backbone = Resized(_backbone(backbones.get("efficientnet_lite0")), 224)
    else:
        spec = backbones.get(BACKBONES[short])
        backbone = _backbone(spec)
    labels = np.asarray(pool_labels)
    picked = sorted({int(i) for n in SIZES for s in SEEDS for i in labelled_subset(labels, n, s)})
    rows = embed_files(task.modality, spec, backbone, pool_paths, test_paths, picked)
    groups = backbone.feature_groups()
    np.savez(out, pool_x=rows["pool_x"], pool_y=labels, test_x=rows["test_x"], test_y=np.asarray(test_labels),
             view_of=np.asarray(picked), views=rows["views"], classes=np.asarray(classes),
             default_width=rows["pool_x"].shape[1], modality=task.modality,
             **{f"group_{k}": g.numpy() for k, g in groups.items()})
    print(f"{name} {short}: {rows['count']} embeddings in {rows['seconds']:.0f} s, {rows['pool_x'].shape[1]} columns",
          flush=True)
    return out


def load(name: str, short: str) -> dict:
    if short == "lite0" and tasks.TASKS[name].modality == "image":
        data = load_lite0(name)
        width = int(data["default_width"])  # the std blocks after it are not Lite0's default features
        for key in ("pool_x", "test_x", "views"):
            data[key] = data[key][..., :width]
        data["modality"] = "image"
        return data
    data = dict(np.load(features_path(name, short)))
    data["modality"] = str(data.get("modality", "image"))
    data["groups"] = {k[len("group_"):]: torch.from_numpy(v) for k, v in data.items() if k.startswith("group_")}
    return data


def _rows(data: dict, idx: np.ndarray):
    """(labelled rows [n, D], their views [2, n, D], test rows) as float64 tensors."""
    where = {int(i): k for k, i in enumerate(data["view_of"])}
    feats = torch.from_numpy(data["pool_x"][idx].astype(np.float64))
    views = [torch.from_numpy(data["views"][v][[where[int(i)] for i in idx]].astype(np.float64)) for v in range(2)]
    return feats, views, torch.from_numpy(data["test_x"].astype(np.float64))


logit_store: dict = {}  # id(one backbone's data) -> its last head's test logits (the mean of logits)


def head_probabilities(parts: list[dict], idx: np.ndarray) -> tuple[np.ndarray, dict]:
    """The default probe's steps on the columns of ``parts`` side by side (one backbone: one part);
    (its class probabilities on the test files, what it chose)."""
    pool_y = parts[0]["pool_y"].astype(np.int64)
    classes = int(pool_y.max()) + 1
    feats, views, test, sets, offset = [], [[], []], [], {}, 0
    for data in parts:
        f, v, t = _rows(data, idx)
        feats.append(f), views[0].append(v[0]), views[1].append(v[1]), test.append(t)
        groups = data["groups"] if data["modality"] == "image" else {"grid": data["groups"]["grid"],
                                                                     "final": data["groups"]["final"]}
        for key, cols in groups.items():
            sets[key] = torch.cat([sets.get(key, torch.zeros(0, dtype=torch.long)), cols.long() + offset])
        offset += f.shape[1]
    feats, test = torch.cat(feats, 1), torch.cat(test, 1)
    views = [torch.cat(v, 1) for v in views]
    t0 = time.perf_counter()
    final = sets["final"]
    if parts[0]["modality"] == "audio":  # sounds: every level on the grid, no choice (probe_feature_choice)
        sets = {"grid": sets["grid"]}
    head, mean, std = solve_default(feats, views, pool_y[idx], classes, sets, final)
    with torch.no_grad():
        logits = ((test - mean) / std).float() @ head.weight + head.bias
    probs = torch.softmax(logits.double(), 1).numpy()
    logit_store[id(parts[0]) if len(parts) == 1 else None] = logits.double().numpy()
    return probs, {"features": head.features, "strength": head.strength, "estimate": head.estimate,
                   "columns": int(feats.shape[1]), "seconds": time.perf_counter() - t0}


def members(variant: str) -> tuple[str, list[str]]:
    """(how, backbones) of a variant: "lite1" -> ("one", ["lite1"]); "lmean01" -> ("lmean", ["lite0",
    "lite1"]); "r" names lite0r."""
    if variant.startswith("lite"):
        return "one", [variant]
    how = next(h for h in ("lmean", "mean", "cat") if variant.startswith(h))
    return how, ["lite0r" if k == "r" else f"lite{k}" for k in variant[len(how):]]


def run(names, variants, out_path: Path) -> list[dict]:
    rows = json.loads(out_path.read_text())["rows"] if out_path.exists() else []
    done = {(r["task"], r["per_class"], r["seed"]): r for r in rows}
    for name in names:
        needed = {"lite0"} | {b for v in variants for b in members(v)[1]}
        data = {s: load(name, s) for s in sorted(needed)}
        for s in needed - {"lite0"}:
            assert np.array_equal(data[s]["pool_y"], data["lite0"]["pool_y"])
            assert np.array_equal(data[s]["view_of"], data["lite0"]["view_of"])
        plain = embed.plain_features(tasks.default_root() / name, tasks.TASKS[name].modality)
        test_y = data["lite0"]["test_y"]
        singles = {b for v in variants if members(v)[0] in ("one", "mean", "lmean") for b in members(v)[1]}
        for n in SIZES:
            for seed in SEEDS:
                idx = labelled_subset(data["lite0"]["pool_y"], n, seed)
                row = draw_row(rows, done, name, n, seed, plain, idx)
                probs, logits = {}, {}
                for short in sorted(singles):
                    p, info = head_probabilities([data[short]], idx)
                    probs[short], logits[short] = p, logit_store[id(data[short])]
                    row["variants"][short] = {"test": float((p.argmax(1) == test_y).mean()), **info}
                for v in variants:
                    how, parts = members(v)
                    if how == "mean":
                        p = np.mean([probs[b] for b in parts], axis=0)
                    elif how == "lmean":
                        p = np.mean([logits[b] for b in parts], axis=0)
                    elif how == "cat" and v not in row["variants"]:
                        p, info = head_probabilities([data[b] for b in parts], idx)
                        row["variants"][v] = {"test": float((p.argmax(1) == test_y).mean()), **info}
                        continue
                    else:
                        continue
                    row["variants"][v] = {"test": float((p.argmax(1) == test_y).mean())}
                got = "  ".join(f"{v} {row['variants'][v]['test']:.3f}" for v in variants if v in row["variants"])
                print(f"{name:13s} n={n:2d} seed {seed}: plain {row['plain']:.3f}  {got}", flush=True)
                out_path.write_text(json.dumps({"rows": rows, "summary": summarise(rows)}, indent=1))
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    keys = sorted({(r["task"], r["per_class"]) for r in rows}, key=lambda k: ((PICTURE_TASKS + AUDIO_TASKS).index(k[0]), k[1]))
    for name, n in keys:
        sel = [r for r in rows if r["task"] == name and r["per_class"] == n]
        s = {"task": name, "per_class": n, "seeds": len(sel), "plain": 100 * float(np.mean([r["plain"] for r in sel]))}
        for v in sorted(set.intersection(*(set(r["variants"]) for r in sel))):
            s[v] = 100 * float(np.mean([r["variants"][v]["test"] for r in sel]))
        out.append(s)
    return out


def table(summary: list[dict], variants) -> str:
    lines = ["| task | n | plain | " + " | ".join(variants) + " |", "|" + "---|" * (3 + len(variants))]
    for s in summary:
        cells = [s["task"], str(s["per_class"]), f"{s['plain']:.1f}"]
        cells += [f"{s[v]:.1f} ({s[v] - s['plain']:+.1f})" if v in s else "-" for v in variants]
        lines.append("| " + " | ".join(cells) + " |")
    means = [f"{np.mean([s[v] - s['plain'] for s in summary if v in s]):+.2f}" for v in variants]
    lines.append("| mean gain | | | " + " | ".join(means) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=("embed", "run", "table"))
    parser.add_argument("--tasks", default=",".join(PICTURE_TASKS))
    parser.add_argument("--backbones", default="lite1,lite2")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "backbone_ensemble_lab.json"))
    a = parser.parse_args()
    torch.set_num_threads(1)
    names, variants, out = a.tasks.split(","), a.variants.split(","), Path(a.out)
    if a.stage == "embed":
        for name in names:
            for short in a.backbones.split(","):
                embed_task(name, short)
    elif a.stage == "run":
        print(table(summarise(run(names, variants, out)), variants))
    else:
        print(table(json.loads(out.read_text())["summary"], variants))


if __name__ == "__main__":
    main()
